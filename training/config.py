"""Training settings, each default declared once: here.

:class:`TrainConfig` (``make train`` / ``make eval``) and :class:`PretrainConfig`
(``make pretrain``) hold every default and its help text (``metadata["help"]``); the
command line (:mod:`training.cli`) derives its options from these fields and the Makefile
passes variables through only when they are set. Importing this module is cheap (no torch),
so ``--help`` stays fast.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields

from model.lexicon import DEFAULT_LEXICON_PATH
from model.paths import MODELS_DIR, SCHEMA_PATH

DEFAULT_BASE_MODEL = "CAMeL-Lab/bert-base-arabic-camelbert-msa"
COMPACT = "compact"

DEFAULT_SEED = 13
DEVICE_HELP = "auto, cpu or cuda"
# The compact offline encoder (model/compact.py), when it is built.
COMPACT_VOCAB_SIZE = 12000
COMPACT_HIDDEN = 128
COMPACT_LAYERS = 2

# With word features, the lexicon and a BiLSTM carrying most of the signal offline, the compact
# encoder is kept small. Dev set (12 unseen articles), micro F1 entities/sources/claims:
# 2 × 128 0.659/0.465/0.449, 1 × 64 0.648/0.447/0.351, embeddings only 0.653/0.323/0.481; a 4 × 256 one had not finished one
# training on the 49 documents after 15 minutes on 2 shared cores (stopped, unmeasured).
# 30 epochs of the 49 documents are ~300 optimizer steps; MIN_STEPS raises epochs for fewer.
COMPACT_EPOCHS = 30
COMPACT_LEARNING_RATE = 1e-3
PRETRAINED_EPOCHS = 8
PRETRAINED_LEARNING_RATE = 5e-5
# Word features, BiLSTM and heads start from scratch whatever the encoder, so they get their
# own, higher rate. Epochs are raised until training takes at least MIN_STEPS optimizer steps:
# five articles are two steps an epoch, and 8 epochs of BERT-base would be 16 steps.
HEAD_LEARNING_RATE = 2e-3
MIN_STEPS = 300
# Blend weights and claim thresholds are chosen on this share of the training documents,
# held out from one extra fit (training/calibrate.py).
CALIBRATION_SHARE = 0.2
# Masked-LM pre-training from scratch (or of a compact-sized encoder) learns faster than
# fine-tuning a tagger and slower than a pretrained BERT-base is continued.
MLM_SCRATCH_LEARNING_RATE = 5e-4


def _setting(default=MISSING, help: str = "", **options):
    """A dataclass field whose ``metadata["help"]`` is its command-line help."""
    return field(default=default, metadata={"help": help}, **options)


@dataclass
class TrainConfig:
    base_model: str = _setting(DEFAULT_BASE_MODEL, "hub id, local dir, or 'compact' for the offline encoder")
    epochs: float | None = _setting(
        None, f"default: {COMPACT_EPOCHS} for compact-sized encoders, {PRETRAINED_EPOCHS} for BERT-base ones")
    learning_rate: float | None = _setting(
        None, f"default: {COMPACT_LEARNING_RATE:g} compact-sized, {PRETRAINED_LEARNING_RATE:g} BERT-base")
    head_learning_rate: float = _setting(HEAD_LEARNING_RATE, "learning rate of the word features, BiLSTM and heads")
    min_steps: int = _setting(MIN_STEPS, "epochs are raised until training takes at least this many optimizer steps")
    lexicon: str = _setting(str(DEFAULT_LEXICON_PATH),
                            "lexicon.yaml for the word features ('none': train without a lexicon)")
    calibration_share: float = _setting(
        CALIBRATION_SHARE, "share of the documents held out once (one extra fit) to choose the blend with the "
                           "CRF / TF-IDF models and the claim thresholds; 0: even blend, thresholds 0.5")
    lstm_hidden: int = _setting(128, "hidden size of each direction of the word BiLSTM")
    seed: int = _setting(DEFAULT_SEED)
    batch_size: int = _setting(8, "windows per optimizer step")
    max_length: int = _setting(256, "window length in subword tokens during training")
    device: str = _setting("auto", DEVICE_HELP)
    annotations: list[str] = field(default_factory=list,
                                   metadata={"help": "annotation JSONL files (default: annotations/*.jsonl)"})
    schema: str = _setting(str(SCHEMA_PATH), "schema.yaml the labels come from")
    models_dir: str = _setting(str(MODELS_DIR), "where model dirs and the `current` link live")
    compact_hidden: int = _setting(COMPACT_HIDDEN, "hidden size of the compact encoder, when it is used")
    compact_layers: int = _setting(COMPACT_LAYERS, "layers of the compact encoder, when it is used")
    compact_epochs: float = _setting(COMPACT_EPOCHS, "epochs when --epochs is unset and the encoder is compact-sized")


@dataclass
class PretrainConfig:
    corpus: str = _setting(help="folder of .txt files (recursive), or JSONL / CSV with a 'text' field (gz ok)")
    base_model: str = _setting(DEFAULT_BASE_MODEL,
                               "'compact' (from scratch), or a hub id / local dir to continue")
    out: str | None = _setting(None, "output dir (default: models/pretrained-<timestamp>); "
                                     "rerun with the same --out to resume")
    epochs: float = _setting(3)
    max_steps: int = _setting(-1, "stop after this many optimizer steps (> 0 overrides --epochs)")
    resume: bool = _setting(True, "continue from OUT/checkpoints if present")
    learning_rate: float | None = _setting(
        None, f"default: {MLM_SCRATCH_LEARNING_RATE:g} from scratch or compact-sized, "
              f"{PRETRAINED_LEARNING_RATE:g} BERT-base")
    batch_size: int = _setting(16, "blocks per optimizer step")
    max_length: int = _setting(256, "block length in subword tokens")
    mlm_probability: float = _setting(0.15, "share of subwords masked")
    save_steps: int = _setting(200, "checkpoint every N steps")
    seed: int = _setting(DEFAULT_SEED)
    device: str = _setting("auto", DEVICE_HELP)
    vocab_size: int = _setting(COMPACT_VOCAB_SIZE, "vocabulary of the compact tokenizer, when one is trained")
    compact_hidden: int = _setting(COMPACT_HIDDEN, "hidden size when training the compact encoder")
    compact_layers: int = _setting(COMPACT_LAYERS, "layers when training the compact encoder")


def default_of(config_class, name: str):
    """The declared default of field ``name`` (``...`` when it has none: a required argument)."""
    spec = next(item for item in fields(config_class) if item.name == name)
    if spec.default is not MISSING:
        return spec.default
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return ...


def help_of(config_class, name: str) -> str:
    return next(item for item in fields(config_class) if item.name == name).metadata.get("help", "")
