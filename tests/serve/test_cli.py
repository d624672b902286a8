"""`python -m serve api`: settings from options and environment, clear startup errors, GPU path."""

from __future__ import annotations

import pytest
import torch
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from model.modeldir import LABELS_FILE
from serve.api.app import create_app
from serve.cli import app as cli
from tests.serve.helpers import assert_offsets_match, make_settings

runner = CliRunner()


@pytest.fixture()
def started(monkeypatch):
    """Capture what would be served instead of starting a server."""
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.update(app=app, **options))
    return calls


def test_missing_model_dir_says_run_make_train(tmp_path, started):
    result = runner.invoke(cli, ["api", "--model-dir", str(tmp_path / "models" / "current")])
    assert result.exit_code == 1 and not started
    assert "make train" in result.output and "Traceback" not in result.output


def test_a_dir_that_is_not_a_model_is_refused(tmp_path, started):
    result = runner.invoke(cli, ["api", "--model-dir", str(tmp_path)])
    assert result.exit_code == 1 and LABELS_FILE in result.output and not started


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_without_a_gpu_is_a_clear_startup_error(tiny_model_dir, started):
    result = runner.invoke(cli, ["api", "--model-dir", str(tiny_model_dir), "--device", "cuda"])
    assert result.exit_code == 1 and not started
    assert "no CUDA GPU" in result.output and "--device cpu" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("option, value", [("--device", "tpu"), ("--quantize", "int4"), ("--port", "70000")])
def test_invalid_options_are_named(tiny_model_dir, started, option, value):
    result = runner.invoke(cli, ["api", "--model-dir", str(tiny_model_dir), option, value])
    assert result.exit_code == 2 and option.strip("-") in result.output and not started


def test_options_and_environment_reach_uvicorn(tiny_model_dir, started, monkeypatch):
    monkeypatch.setenv("RASD_PORT", "8123")
    monkeypatch.setenv("RASD_API_KEY", "from-env")
    result = runner.invoke(cli, ["api", "--model-dir", str(tiny_model_dir), "--host", "0.0.0.0", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert started["host"] == "0.0.0.0" and started["port"] == 8123
    settings = started["app"].state.settings
    assert settings.model_dir == tiny_model_dir and settings.device == "cpu"
    assert settings.api_key.get_secret_value() == "from-env"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_serves_in_half_precision(tiny_model_dir, seed_paragraph):
    with TestClient(create_app(make_settings(tiny_model_dir, device="cuda"))) as client:
        predictor = client.app.state.service.predictor
        assert next(predictor.model.parameters()).dtype in (torch.bfloat16, torch.float16)
        assert client.get("/model").json()["device"].startswith("cuda")
        response = client.post("/predict", json={"texts": [seed_paragraph, "😀 " + seed_paragraph]})
        assert response.status_code == 200
        for document, text in zip(response.json()["documents"], [seed_paragraph, "😀 " + seed_paragraph]):
            assert document["entities"]
            assert_offsets_match(text, document)
