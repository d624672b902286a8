"""Choose the encoder to fine-tune: CAMeLBERT (or any hub id / local path), else compact.

Users have network and get the real pretrained encoder; here, in CI and in air-gapped
newsrooms the hub is unreachable, so training says why in one paragraph and falls back to
the compact encoder. Which one ran is returned and recorded in the model dir.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import constants, get_session
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


def load_base(base_model: str, local_texts: list[str], vocab_size: int = 12000, **compact_options) -> Base:
    """Load ``base_model`` (hub id or local dir) or build the compact encoder from ``local_texts``.

    ``compact_options`` (hidden_size, layers, heads) size the compact encoder when it is built.
    """
    if base_model != COMPACT:
        try:
            tokenizer, encoder, used = load_pretrained(base_model)
            return Base(tokenizer, encoder, base_model, used, small=is_small(encoder.config))
        except Exception as error:  # noqa: BLE001 - any load failure (network, missing files) falls back
            reason = fallback_message(base_model, error)
            print(f"\n{reason}\n", file=sys.stderr)
            tokenizer, encoder = build_compact_encoder(local_texts, vocab_size=vocab_size, **compact_options)
            return Base(tokenizer, encoder, base_model, COMPACT, reason)
    tokenizer, encoder = build_compact_encoder(local_texts, vocab_size=vocab_size, **compact_options)
    return Base(tokenizer, encoder, base_model, COMPACT)


def is_small(config) -> bool:
    """Compact-sized encoders (e.g. from ``make pretrain`` of the compact encoder) fine-tune
    best with the compact recipe (higher learning rate, more epochs) than BERT-base ones."""
    return getattr(config, "hidden_size", 768) < 512
