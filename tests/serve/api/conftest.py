"""API fixtures: an app whose model answers the documented example with a known claim sentence."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from serve.api.app import create_app
from serve.api.inference import InferenceService
from tests.serve.api.scripted import scripted_loader
from tests.serve.helpers import make_settings


@pytest.fixture(scope="module")
def scripted_client(tiny_model_dir):
    """A client of an app serving :class:`~tests.serve.api.scripted.ScriptedPredictor`; its
    predictor (``client.app.state.service.predictor``) records the dates it was given."""
    app = create_app(make_settings(tiny_model_dir), service=InferenceService(tiny_model_dir, scripted_loader))
    with TestClient(app) as client:
        yield client
