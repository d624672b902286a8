"""Serve fixtures: an app over the session's tiny model, a client for it, a seed paragraph."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from model.modeldir import INFO_FILE, point_current
from serve.api.app import create_app
from tests.serve.helpers import make_settings


@pytest.fixture(scope="session")
def app(tiny_model_dir):
    return create_app(make_settings(tiny_model_dir))


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def seed_paragraph(seed_documents) -> str:
    """The seed paragraph (150-700 characters) with the most annotated spans: entities, claims, sources."""
    best = (0, "")
    for document in seed_documents:
        text, position = document["text"], 0
        for line in text.split("\n"):
            start, position = position, position + len(line) + 1
            if 150 < len(line) < 700:
                inside = sum(start <= span["start"] and span["end"] <= start + len(line) for span in document["spans"])
                best = max(best, (inside, line))
    return best[1]


@pytest.fixture()
def models(tmp_path, tiny_model_dir):
    """models/{run-a,run-b}: copies of the tiny model named apart, current -> run-a."""
    for name in ("run-a", "run-b"):
        shutil.copytree(tiny_model_dir, tmp_path / name)
        info_path = tmp_path / name / INFO_FILE
        info = json.loads(info_path.read_text(encoding="utf-8"))
        info_path.write_text(json.dumps({**info, "name": name, "version": name}), encoding="utf-8")
    point_current(tmp_path, "run-a")
    return tmp_path
