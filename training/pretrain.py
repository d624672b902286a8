"""Domain-adaptive masked-LM pre-training on unlabelled articles: ``make pretrain CORPUS=...``.

Contract: reads what batch scoring reads (a folder of ``.txt`` files searched recursively,
or a JSONL / CSV file whose records carry a ``text`` field; gz ok); trains a masked LM with
the transformers Trainer and ``DataCollatorForLanguageModeling``: from scratch for the
compact encoder (tokenizer trained on the corpus plus the annotated texts), or continuing a
pretrained one (hub id or local dir; an unreachable one falls back to compact with the same
paragraph as training). Checkpoints go to ``OUT/checkpoints`` and a rerun with the same
``--out`` resumes from the last one. The finished encoder (weights, config, tokenizer,
``pretrain.json``) replaces ``OUT`` in one rename (:func:`model.modeldir.publish_encoder`),
so ``OUT`` works as ``BASE_MODEL`` for ``make train``: the tagger loads it with AutoModel and
the MLM head is dropped. It does not fine-tune a tagger.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from transformers import AutoModelForMaskedLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer, set_seed
from transformers.trainer_utils import get_last_checkpoint

from model.inputs import Fields, read_records
from model.modeldir import is_encoder_dir, new_run_name, publish_encoder
from model.paths import MODELS_DIR
from training.base import is_small, load_base, training_arguments
from training.config import MLM_SCRATCH_LEARNING_RATE, PRETRAINED_LEARNING_RATE, PretrainConfig
from training.validate import resolve_paths

CHECKPOINTS = "checkpoints"
BASE_RECORD = "base.json"  # in CHECKPOINTS: what the run started from, kept across resumes


class CorpusError(ValueError):
    """The corpus is missing, unreadable or holds no text."""


def read_corpus(path: Path) -> list[str]:
    """Non-empty texts of ``path``, read like batch scoring's inputs (:func:`model.inputs.read_records`:
    a folder of .txt searched recursively, JSONL or CSV with a ``text`` field, gz ok; no ids
    needed). Records without text are skipped; a corpus with no text at all is an error."""
    try:
        records = list(read_records(path, Fields(id=None)))
    except (FileNotFoundError, ValueError) as error:
        raise CorpusError(f"corpus: {error}; give a folder of .txt files or a JSONL file") from None
    if path.is_dir() and not records:
        raise CorpusError(f"corpus folder {path} holds no .txt files")
    texts = [record.text for record in records if record.error is None]
    if not texts:
        problems = "; ".join(f"{record.source}:{record.line or 1}: {record.error}" for record in records[:3])
        raise CorpusError(f"corpus {path} holds no text ({problems or 'nothing to read'})")
    return texts


def chunk(tokenizer, texts: list[str], max_length: int) -> list[dict]:
    """Each text cut into blocks of ``max_length - 2`` subwords framed by [CLS] … [SEP]."""
    inner = max_length - 2
    blocks = []
    for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        for start in range(0, len(ids), inner):
            blocks.append({"input_ids": [tokenizer.cls_token_id, *ids[start:start + inner], tokenizer.sep_token_id]})
    return blocks


def _annotation_texts() -> list[str]:
    return [record.text for path in resolve_paths(None) for record in read_records(path) if record.error is None]


def _start(config: PretrainConfig, texts: list[str], last: str | None) -> tuple[object, object, dict]:
    """(tokenizer, masked-LM model, base description) to train, from a checkpoint when resuming."""
    if last:
        # The checkpoint holds the tokenizer the model was trained with: never retrain it.
        return AutoTokenizer.from_pretrained(last), AutoModelForMaskedLM.from_pretrained(last), {}
    base = load_base(config.base_model, texts + _annotation_texts(), vocab_size=config.vocab_size,
                     hidden_size=config.compact_hidden, layers=config.compact_layers,
                     model_class=AutoModelForMaskedLM)
    return base.tokenizer, base.encoder, {**base.describe(), "from_scratch": base.is_compact}


def pretrain(config: PretrainConfig, progress: bool = True) -> Path:
    """Run masked-LM training and publish the encoder at ``config.out``; returns that path.

    Raises CorpusError for a missing or empty corpus and FileExistsError when ``out``
    already holds a finished encoder.
    """
    texts = read_corpus(Path(config.corpus))
    out = Path(config.out or MODELS_DIR / f"pretrained-{new_run_name()}")
    checkpoints = out / CHECKPOINTS
    if is_encoder_dir(out):
        raise FileExistsError(f"{out} already holds a pre-trained encoder; choose another --out")
    last = get_last_checkpoint(str(checkpoints)) if config.resume and checkpoints.is_dir() else None
    if last:
        print(f"resuming from {last}", file=sys.stderr)
    set_seed(config.seed)
    tokenizer, model, base = _start(config, texts, last)
    checkpoints.mkdir(parents=True, exist_ok=True)
    base_path = checkpoints / BASE_RECORD
    if last:
        base = json.loads(base_path.read_text(encoding="utf-8")) if base_path.is_file() else {}
    else:
        base_path.write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    max_length = min(config.max_length, model.config.max_position_embeddings)
    blocks = chunk(tokenizer, texts, max_length)
    small = base.get("from_scratch", True) or is_small(model.config)
    arguments = training_arguments(
        str(checkpoints), config.device, config.seed, progress, num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate or (MLM_SCRATCH_LEARNING_RATE if small else PRETRAINED_LEARNING_RATE),
        per_device_train_batch_size=config.batch_size, warmup_steps=0.06, logging_steps=10,
        save_strategy="steps", save_steps=config.save_steps, save_total_limit=2,
    )
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=config.mlm_probability)
    trainer = Trainer(model=model, args=arguments, train_dataset=blocks, data_collator=collator,
                      processing_class=tokenizer)
    result = trainer.train(resume_from_checkpoint=last)
    info = {"base": base, "corpus": str(config.corpus), "texts": len(texts), "blocks": len(blocks),
            "steps": trainer.state.global_step, "train_loss": result.training_loss,
            "created": datetime.now(UTC).isoformat(timespec="seconds"), "config": asdict(config)}
    publish_encoder(out, trainer.model, tokenizer, info)
    print(f"pre-trained encoder written to {out}; fine-tune on it with `make train BASE_MODEL={out}`",
          file=sys.stderr)
    return out
