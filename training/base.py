"""What every training run starts from: the encoder and the Trainer's shared arguments.

The encoder is CAMeLBERT (or any hub id / local path), else the compact one. Users have
network and get the real pretrained encoder; here, in CI and in air-gapped newsrooms the hub
is unreachable, so training says why in one paragraph and falls back to the compact
encoder. Which one ran is returned and recorded in the model dir. Fine-tuning
(:mod:`training.train`) loads it with ``AutoModel``, masked-LM pre-training
(:mod:`training.pretrain`) with ``AutoModelForMaskedLM``; both build their
``TrainingArguments`` with :func:`training_arguments`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import constants, get_session
from transformers import AutoConfig, AutoModel, AutoTokenizer, BertForMaskedLM, BertModel, TrainingArguments

from model.compact import compact_config, train_tokenizer
from model.predictor import resolve_device
from training.config import COMPACT, COMPACT_HIDDEN, COMPACT_LAYERS, COMPACT_VOCAB_SIZE, DEFAULT_BASE_MODEL

__all__ = ["COMPACT", "DEFAULT_BASE_MODEL", "Base", "load_base", "load_pretrained", "training_arguments"]


@dataclass
class Base:
    tokenizer: object
    encoder: object
    requested: str
    used: str  # the hub id / path actually loaded, or "compact"
    fallback_reason: str | None = None
    small: bool = True  # fine-tune with the compact recipe (see is_small)

    @property
    def is_compact(self) -> bool:
        return self.used == COMPACT

    def describe(self) -> dict:
        return {"requested": self.requested, "used": self.used, "fallback_reason": self.fallback_reason,
                "kind": "compact (trained offline on local text)" if self.is_compact
                else "pretrained" + (" (compact-sized)" if self.small else "")}


def fallback_message(base_model: str, error: Exception) -> str:
    return (
        f"Could not load the base encoder {base_model!r} ({type(error).__name__}: {str(error).splitlines()[0][:200]}). "
        "This usually means the Hugging Face Hub is unreachable from this machine and the model is not in the "
        "local cache. Training continues with the compact offline encoder (a small BERT with a tokenizer "
        "trained on the local text), which works but scores well below CAMeLBERT. To use CAMeLBERT, run "
        f"`hf download {base_model} --local-dir camelbert-msa` on a connected machine, copy that "
        "folder here and train with `make train BASE_MODEL=./camelbert-msa`; or point BASE_MODEL at an "
        "encoder you built with `make pretrain`."
    )


def hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the Hugging Face Hub cannot be asked for files right now, or None when it can.

    One HEAD request with a short timeout (proxies from the environment apply). Without this
    probe, ``from_pretrained`` on a machine with no network retries each file for ~25 s
    before giving up; with it, loading goes straight to the local cache.
    """
    if constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return "HF_HUB_OFFLINE is set"
    try:
        get_session().head(constants.ENDPOINT, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - DNS, TLS, proxy, timeout: all mean "no hub"
        return f"{constants.ENDPOINT} unreachable: {type(error).__name__}: {error}"
    return None


def load_pretrained(base_model: str, model_class=AutoModel) -> tuple[object, object, str]:
    """(fast tokenizer, ``model_class`` instance, what was loaded) for a hub id or local dir.

    Raises on any failure; when the hub is unreachable the error says so at once instead of
    after the hub client's retries. Shared by fine-tuning (AutoModel) and ``make pretrain``
    (AutoModelForMaskedLM).
    """
    local = Path(base_model).is_dir()
    # A hub id on a machine without the hub: read the local cache only, fail at once.
    offline = None if local else hub_unreachable()
    options = {"local_files_only": bool(offline)}
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, **options)
        config = AutoConfig.from_pretrained(base_model, **options)
        # The pooler is for sentence classification; a tagger would only carry it around.
        extra = {"add_pooling_layer": False} if model_class is AutoModel and config.model_type == "bert" else {}
        model = model_class.from_pretrained(base_model, config=config, **options, **extra)
    except Exception as error:
        if offline:
            raise OSError(f"{offline}, and the model is not in the local Hugging Face cache") from error
        raise
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("rasd needs a fast tokenizer (word_ids / offsets)")
    return tokenizer, model, str(Path(base_model).resolve()) if local else base_model


def load_base(base_model: str, local_texts: list[str], vocab_size: int = COMPACT_VOCAB_SIZE,
              hidden_size: int = COMPACT_HIDDEN, layers: int = COMPACT_LAYERS, model_class=AutoModel) -> Base:
    """Load ``base_model`` (hub id or local dir) as a ``model_class``, or build the compact
    encoder from ``local_texts`` when it is ``compact`` or cannot be loaded.

    ``vocab_size``, ``hidden_size`` and ``layers`` size the compact encoder when it is built:
    a ``BertModel`` without pooler for ``AutoModel``, a ``BertForMaskedLM`` for
    ``AutoModelForMaskedLM`` (pre-training from scratch).
    """
    reason = None
    if base_model != COMPACT:
        try:
            tokenizer, encoder, used = load_pretrained(base_model, model_class)
            return Base(tokenizer, encoder, base_model, used, small=is_small(encoder.config))
        except Exception as error:  # noqa: BLE001 - any load failure (network, missing files) falls back
            reason = fallback_message(base_model, error)
            print(f"\n{reason}\n", file=sys.stderr)
    tokenizer = train_tokenizer(local_texts, vocab_size=vocab_size)
    config = compact_config(len(tokenizer), hidden_size=hidden_size, layers=layers, heads=max(1, hidden_size // 64))
    encoder = BertModel(config, add_pooling_layer=False) if model_class is AutoModel else BertForMaskedLM(config)
    return Base(tokenizer, encoder, base_model, COMPACT, reason)


def training_arguments(output_dir: str, device: str, seed: int, progress: bool, **options) -> TrainingArguments:
    """The ``TrainingArguments`` fine-tuning and pre-training share (device and precision, seed,
    no reporting, no worker processes, the progress bar), plus each run's own ``options``."""
    target = resolve_device(device)
    return TrainingArguments(
        output_dir=output_dir, seed=seed, use_cpu=target.type == "cpu",
        bf16=target.type == "cuda" and torch.cuda.is_bf16_supported(), report_to="none",
        dataloader_num_workers=0, disable_tqdm=not progress, weight_decay=0.01, **options,
    )


def is_small(config) -> bool:
    """Compact-sized encoders (e.g. from ``make pretrain`` of the compact encoder) fine-tune
    best with the compact recipe (higher learning rate, more epochs) than BERT-base ones."""
    return getattr(config, "hidden_size", 768) < 512
