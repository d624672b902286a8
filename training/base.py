"""Choose the encoder to fine-tune: CAMeLBERT (or any hub id / local path), else compact.

Users have network and get the real pretrained encoder; here, in CI and in air-gapped
newsrooms the hub is unreachable, so training says why in one paragraph and falls back to
the compact encoder. Which one ran is returned and recorded in the model dir.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoConfig, AutoModel, AutoTokenizer

from model.compact import build_compact_encoder

DEFAULT_BASE_MODEL = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
COMPACT = "compact"


@dataclass
class Base:
    tokenizer: object
    encoder: object
    requested: str
    used: str  # the hub id / path actually loaded, or "compact"
    fallback_reason: str | None = None

    @property
    def is_compact(self) -> bool:
        return self.used == COMPACT

    def describe(self) -> dict:
        return {"requested": self.requested, "used": self.used, "fallback_reason": self.fallback_reason,
                "kind": "compact (trained offline on local text)" if self.is_compact else "pretrained"}


def fallback_message(base_model: str, error: Exception) -> str:
    return (
        f"Could not load the base encoder {base_model!r} ({type(error).__name__}: {str(error).splitlines()[0][:200]}). "
        "This usually means the Hugging Face Hub is unreachable from this machine and the model is not in the "
        "local cache. Training continues with the compact offline encoder (a small BERT with a tokenizer "
        "trained on the local text), which works but scores well below CAMeLBERT. To use CAMeLBERT, run "
        f"`huggingface-cli download {base_model} --local-dir camelbert-msa` on a connected machine, copy that "
        "folder here and train with `make train BASE_MODEL=./camelbert-msa`; or point BASE_MODEL at an "
        "encoder you built with `make pretrain`."
    )


def load_base(base_model: str, local_texts: list[str], vocab_size: int = 12000, **compact_options) -> Base:
    """Load ``base_model`` (hub id or local dir) or build the compact encoder from ``local_texts``.

    ``compact_options`` (hidden_size, layers, heads) size the compact encoder when it is built.
    """
    if base_model != COMPACT:
        try:
            tokenizer = AutoTokenizer.from_pretrained(base_model)
            if not getattr(tokenizer, "is_fast", False):
                raise ValueError("rasd needs a fast tokenizer (word_ids / offsets)")
            config = AutoConfig.from_pretrained(base_model)
            # The pooler is for sentence classification; a tagger would only carry it around.
            extra = {"add_pooling_layer": False} if config.model_type == "bert" else {}
            encoder = AutoModel.from_pretrained(base_model, config=config, **extra)
            used = str(Path(base_model).resolve()) if Path(base_model).is_dir() else base_model
            return Base(tokenizer, encoder, base_model, used)
        except Exception as error:  # noqa: BLE001 - any load failure (network, missing files) falls back
            reason = fallback_message(base_model, error)
            print(f"\n{reason}\n", file=sys.stderr)
            tokenizer, encoder = build_compact_encoder(local_texts, vocab_size=vocab_size, **compact_options)
            return Base(tokenizer, encoder, base_model, COMPACT, reason)
    tokenizer, encoder = build_compact_encoder(local_texts, vocab_size=vocab_size, **compact_options)
    return Base(tokenizer, encoder, base_model, COMPACT)

