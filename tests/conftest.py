"""Shared fixtures: a tiny compact model trained on the seed annotations, once per session.

Tests never touch the network and never train BERT-base: the encoder here is a 2-layer,
64-wide BERT built from a config with a tokenizer trained on the seed text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEED_ANNOTATIONS = REPO / "annotations" / "seeds.jsonl"


def tiny_config(models_dir: Path, **overrides):
    from training.config import TrainConfig

    options = {"base_model": "compact", "compact_hidden": 64, "compact_layers": 2, "epochs": 30, "lstm_hidden": 32,
               "learning_rate": 2e-3, "max_length": 128, "device": "cpu", "seed": 7,
               "annotations": [str(SEED_ANNOTATIONS)], "models_dir": str(models_dir),
               "calibration_share": 0}  # calibration (one extra fit) has its own test
    options.update(overrides)
    return TrainConfig(**options)


@pytest.fixture(scope="session")
def seed_documents() -> list[dict]:
    return [json.loads(line) for line in SEED_ANNOTATIONS.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A model dir (the real `make train` path) of a tiny encoder fitted to the five seeds."""
    from training.train import train

    models_dir = tmp_path_factory.mktemp("models")
    return train(tiny_config(models_dir))


@pytest.fixture(scope="session")
def tiny_predictor(tiny_model_dir):
    from model.predictor import Predictor

    return Predictor.load(tiny_model_dir, device="cpu")


@pytest.fixture(scope="session")
def seed_tokenizer(seed_documents):
    """A compact WordPiece tokenizer trained on the seed texts (what alignment tests cut with)."""
    from model.compact import train_tokenizer

    return train_tokenizer([doc["text"] for doc in seed_documents], vocab_size=2000)
