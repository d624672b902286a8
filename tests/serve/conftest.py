"""Serve fixtures: an app over the session's tiny model, a client for it, a seed paragraph."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from serve.app import create_app
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
