"""Fine-tune the multi-layer tagger on validated annotations and publish a model dir.

Contract: refuses to train when any annotation file has a problem (they are printed);
trains with the transformers Trainer, seeded; writes ``models/<timestamp>/`` atomically and
only then repoints ``models/current``. Does not evaluate on held-out data: ``make eval``
does (cross-validation by document).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import torch
from datasets import Dataset
from transformers import PrinterCallback, Trainer, TrainingArguments, set_seed

from model.network import MultiLayerTagger, layer_tags_from_schema
from model.predictor import INFO_FILE, Predictor, resolve_device
from model.schema import DEFAULT_SCHEMA_PATH, Schema
from training.base import DEFAULT_BASE_MODEL, load_base
from training.card import model_card, plot_f1, plot_loss
from training.features import PadCollator, build_features
from training.metrics import score
from training.modeldir import new_run_name, write_model_dir
from training.validate import resolve_paths, validate

REPO_ROOT = Path(__file__).resolve().parent.parent


# Cross-validated on the seeds (reports/eval.md, entities micro F1 held out): 0.351 at 5e-4
# for 30 epochs, 0.361 at 1e-3 for 30, 0.366-0.382 at 1e-3 for 40 (runs differ by ~0.02).
# 40 epochs (compact_epochs) cost two thirds of the former 60 epochs at 5e-4.
COMPACT_LEARNING_RATE = 1e-3
PRETRAINED_LEARNING_RATE = 5e-5


class AnnotationError(ValueError):
    """The annotations have problems; training refuses to start."""


@dataclass
class TrainConfig:
    base_model: str = DEFAULT_BASE_MODEL
    epochs: float | None = None  # default: compact_epochs for compact-sized encoders, 8 for BERT-base ones
    learning_rate: float | None = None  # default: COMPACT_LEARNING_RATE or PRETRAINED_LEARNING_RATE
    seed: int = 13
    batch_size: int = 8
    max_length: int = 256
    device: str = "auto"
    annotations: list[str] = field(default_factory=list)
    schema: str = str(DEFAULT_SCHEMA_PATH)
    models_dir: str = str(REPO_ROOT / "models")
    compact_hidden: int = 256  # size of the compact encoder when it is used
    compact_layers: int = 4
    compact_epochs: float = 40  # epochs when `epochs` is unset and the encoder is compact-sized


def load_documents(paths: list[Path], schema: Schema) -> list[dict]:
    """Validated documents from ``paths``; raises AnnotationError listing every problem."""
    report = validate(paths, schema)
    if not report.ok:
        listing = "\n".join(str(problem) for problem in report.problems)
        raise AnnotationError(f"{len(report.problems)} annotation problem(s); fix them and run again:\n{listing}")
    if not report.documents:
        raise AnnotationError(f"no annotated documents in {', '.join(map(str, paths))}")
    return report.documents


def fit(documents: list[dict], schema: Schema, config: TrainConfig, extra_texts: list[str] = (),
        output_dir: Path | None = None, progress: bool = True):
    """Train a tagger on ``documents``; returns (model, base, trainer log history, chosen settings).

    ``progress=False`` silences the Trainer's progress bar and loss lines (cross-validation
    shows its own bar over folds).
    """
    set_seed(config.seed)
    base = load_base(config.base_model, [doc["text"] for doc in documents] + list(extra_texts),
                     hidden_size=config.compact_hidden, layers=config.compact_layers,
                     heads=max(1, config.compact_hidden // 64))
    epochs = config.epochs or (config.compact_epochs if base.small else 8)
    learning_rate = config.learning_rate or (COMPACT_LEARNING_RATE if base.small else PRETRAINED_LEARNING_RATE)
    max_length = min(config.max_length, base.encoder.config.max_position_embeddings)
    model = MultiLayerTagger(base.encoder, layer_tags_from_schema(schema))
    features = build_features(documents, base.tokenizer, schema, max_length)
    device = resolve_device(config.device)
    with tempfile.TemporaryDirectory(prefix="rasd-train-") as scratch:
        arguments = TrainingArguments(
            output_dir=str(output_dir or scratch), num_train_epochs=epochs, learning_rate=learning_rate,
            per_device_train_batch_size=config.batch_size, warmup_steps=0.1, weight_decay=0.01,
            logging_steps=5, save_strategy="no", report_to="none", seed=config.seed,
            use_cpu=device.type == "cpu", bf16=device.type == "cuda" and torch.cuda.is_bf16_supported(),
            remove_unused_columns=False, dataloader_num_workers=0, disable_tqdm=not progress,
        )
        trainer = Trainer(model=model, args=arguments, train_dataset=Dataset.from_list(features),
                          data_collator=PadCollator(base.tokenizer.pad_token_id))
        if not progress:
            trainer.remove_callback(PrinterCallback)
        trainer.train()
    model = model.cpu().float().eval()
    chosen = {"epochs": epochs, "learning_rate": learning_rate, "max_length": max_length,
              "windows": len(features)}
    return model, base, trainer.state.log_history, chosen


def train(config: TrainConfig) -> Path:
    """Validate, fit, and publish ``models/<timestamp>``; returns the new model dir."""
    schema = Schema.load(config.schema)
    paths = resolve_paths([Path(p) for p in config.annotations] or None)
    documents = load_documents(paths, schema)
    model, base, history, chosen = fit(documents, schema, config)
    name = new_run_name()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    info = {"name": name, "version": name, "created": created, "base": base.describe(),
            "max_length": chosen["max_length"], "schema_version": schema.version}
    training_config = {**asdict(config), **chosen, "annotations": [str(p) for p in paths],
                       "documents": len(documents), "spans": sum(len(d["spans"]) for d in documents)}

    def write(directory: Path) -> None:
        model.save(directory)
        base.tokenizer.save_pretrained(directory)
        schema.save(directory / "schema.yaml")
        (directory / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        (directory / "training_config.json").write_text(json.dumps(training_config, ensure_ascii=False, indent=2),
                                                        encoding="utf-8")
        predictor = Predictor(model, base.tokenizer, schema, info, torch.device("cpu"),
                              max_length=chosen["max_length"])
        metrics = score(documents, predictor.predict([doc["text"] for doc in documents]), schema)
        metrics["split"] = "training documents (seen in training)"
        metrics["note"] = ("These scores are on the documents the model was trained on: they show it fits "
                           "its data, not how it does on new articles. Held-out scores come from "
                           "`make eval` (leave-one-document-out cross-validation).")
        (directory / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        (directory / "plots").mkdir()
        plot_loss(history, directory / "plots" / "loss.png")
        plot_f1(metrics, schema.colours(), directory / "plots" / "f1.png", "Per-label F1 on training documents")
        summary = (f"{len(documents)} documents, {training_config['spans']} spans, from "
                   + ", ".join(f"`{Path(p).name}`" for p in paths))
        (directory / "README.md").write_text(model_card(info, chosen | {"seed": config.seed, "base": base.used},
                                                        metrics, summary), encoding="utf-8")

    model_dir = write_model_dir(Path(config.models_dir), write, name)
    print(f"model written to {model_dir} (base encoder: {base.used}); models/current now points at it",
          file=sys.stderr)
    return model_dir
