"""Training end to end: overfit-save-reload, fallback to compact, atomic save, refusal on errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import tiny_config


def _one_document_file(tmp_path, seed_documents, index=0):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(seed_documents[index], ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_overfit_one_article_then_save_reload_predict(tmp_path, seed_documents):
    """A tiny encoder memorises one seed article; the reloaded model dir predicts the same spans."""
    from model.predictor import Predictor
    from model.schema import Schema
    from training.metrics import span_metrics
    from training.train import train

    document = seed_documents[0]
    config = tiny_config(tmp_path / "models", annotations=[str(_one_document_file(tmp_path, seed_documents))],
                         epochs=60, learning_rate=5e-3, head_learning_rate=1e-2)
    model_dir = train(config)
    assert (tmp_path / "models" / "current").resolve() == model_dir.resolve()
    from model import modeldir

    assert not modeldir.ModelDir(model_dir).check().missing()
    for name in (modeldir.INFO_FILE, modeldir.CARD_FILE, modeldir.METRICS_FILE, modeldir.TRAINING_CONFIG_FILE,
                 f"{modeldir.PLOTS_DIR}/loss.png", f"{modeldir.PLOTS_DIR}/f1.png", "tokenizer.json"):
        assert (model_dir / name).is_file(), name
    before = json.loads((model_dir / "metrics.json").read_text())  # scored in memory, before saving

    predictor = Predictor.load(model_dir, device="cpu")
    (predicted,) = predictor.predict([document["text"]])
    after = span_metrics([document], [predicted], Schema.load())
    for layer, body in after["layers"].items():
        assert body["micro"] == before["layers"][layer]["micro"], layer
    assert after["layers"]["entities"]["micro"]["f1"] >= 0.85  # 60 steps on one article; untrained: ~0
    entity_labels = set(predictor.schema.labels("entities"))
    gold = {(s["start"], s["end"], s["label"]) for s in document["spans"] if s["label"] in entity_labels}
    found = {(s.start, s.end, s.label) for s in predicted.layers["entities"]}
    assert 2 * len(gold & found) / (len(gold) + len(found)) >= 0.85
    print("overfit micro F1:", {layer: round(body["micro"]["f1"], 3) for layer, body in after["layers"].items()})


def test_unreachable_base_model_falls_back_to_compact(tmp_path, seed_documents, monkeypatch, capfd):
    from training.train import train

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = tiny_config(tmp_path / "models", base_model="rasd-tests/no-such-encoder",
                         annotations=[str(_one_document_file(tmp_path, seed_documents))], epochs=1)
    model_dir = train(config)
    err = capfd.readouterr().err
    assert "Could not load the base encoder 'rasd-tests/no-such-encoder'" in err
    assert "Training continues with the compact offline encoder" in err
    from model.modeldir import ModelDir

    base = ModelDir(model_dir).info()["base"]
    assert base["used"] == "compact" and base["requested"] == "rasd-tests/no-such-encoder"
    assert base["fallback_reason"].startswith("Could not load the base encoder")
    assert base["fallback_reason"] in (model_dir / "README.md").read_text()


def test_unreachable_hub_fails_fast_without_retries(monkeypatch):
    """No network and HF_HUB_OFFLINE unset: one probe, then the local cache only."""
    import training.base as base_module

    class Unreachable:
        def head(self, url, timeout):
            raise ConnectionError("Name or service not known")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(base_module.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(base_module, "get_session", lambda: Unreachable())
    base = base_module.load_base("rasd-tests/no-such-encoder", ["نص قصير عن قوات النظام"] * 3,
                                 vocab_size=200, hidden_size=32, layers=1)
    assert base.is_compact
    assert "unreachable: ConnectionError" in base.fallback_reason


def test_failure_while_saving_leaves_current_untouched(tmp_path, seed_documents, monkeypatch):
    import training.train as train_module
    from model.modeldir import point_current

    models_dir = tmp_path / "models"
    (models_dir / "old-run").mkdir(parents=True)
    point_current(models_dir, "old-run")

    def broken_plot(*args, **kwargs):
        raise RuntimeError("disk full while plotting")

    monkeypatch.setattr(train_module, "plot_loss", broken_plot)
    config = tiny_config(models_dir, annotations=[str(_one_document_file(tmp_path, seed_documents))], epochs=1)
    with pytest.raises(RuntimeError, match="disk full"):
        train_module.train(config)
    assert (models_dir / "current").resolve() == (models_dir / "old-run").resolve()
    assert sorted(path.name for path in models_dir.iterdir()) == ["current", "old-run"]


def test_train_command_refuses_bad_annotations(tmp_path, seed_documents):
    from typer.testing import CliRunner

    from training.cli import app

    document = dict(seed_documents[0])
    document["spans"] = [{"start": 1, "end": 4, "label": "GPE"}, {"start": 0, "end": 3, "label": "NOPE"}]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(document, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(bad), "--base-model", "compact",
                                      "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 1
    output = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert "training refused" in output
    assert "bad.jsonl:1" in output and "NOPE" in output
    assert not (tmp_path / "models").exists()
