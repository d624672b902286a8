"""`make eval`: leave-one-document-out cross-validation writes a markdown and a JSON report."""

from __future__ import annotations

import json

from tests.conftest import tiny_config


def test_cross_validation_reports(tmp_path, seed_documents, capfd):
    from training.evaluate import evaluate

    annotations = tmp_path / "two.jsonl"
    annotations.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in seed_documents[:2]),
                           encoding="utf-8")
    config = tiny_config(tmp_path / "models", annotations=[str(annotations)], epochs=1,
                         compact_hidden=32, compact_layers=1, base_model="rasd-tests/no-such-encoder")
    metrics = evaluate(config, tmp_path / "reports", progress=False)

    assert [fold["id"] for fold in metrics["folds"]] == [doc["id"] for doc in seed_documents[:2]]
    assert metrics["setup"]["base"]["used"] == "compact"
    assert capfd.readouterr().err.count("Could not load the base encoder") == 1  # said once, not per fold
    assert metrics["scheme"] == "seqeval strict IOB2"
    assert set(metrics["layers"]) == {"entities", "claims", "sources"}
    assert not (tmp_path / "models").exists()  # eval publishes nothing
    saved = json.loads((tmp_path / "reports" / "eval.json").read_text())
    assert saved["layers"] == metrics["layers"]
    report = (tmp_path / "reports" / "eval.md").read_text()
    assert "leave-one-document-out" in report and "| entities | **micro** |" in report
    assert seed_documents[1]["id"] in report
