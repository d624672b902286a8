"""`make eval`: held-out scores beside CRF / TF-IDF baselines, cross-validation and TEST=, on tiny data."""

from __future__ import annotations

import json

from tests.conftest import tiny_config


def _write(path, documents):
    path.write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in documents), encoding="utf-8")
    return path


def test_cross_validation_holds_out_real_articles_only(tmp_path, seed_documents, capfd):
    from training.evaluate import evaluate

    written = dict(seed_documents[2], id="w-test", meta={**seed_documents[2]["meta"], "origin": "written"})
    annotations = _write(tmp_path / "three.jsonl", [*seed_documents[:2], written])
    config = tiny_config(tmp_path / "models", annotations=[str(annotations)], epochs=1, min_steps=1,
                         compact_hidden=32, compact_layers=1, lstm_hidden=16, base_model="rasd-tests/no-such-encoder")
    metrics = evaluate(config, tmp_path / "reports", progress=False)

    # The written article trains every fold and is never held out.
    assert [fold["id"] for fold in metrics["folds"]] == [doc["id"] for doc in seed_documents[:2]]
    assert metrics["setup"]["written_documents"] == 1
    assert metrics["setup"]["base"]["used"] == "compact"
    assert capfd.readouterr().err.count("Could not load the base encoder") == 1  # said once, not per fold
    for system in ("rasd", "baseline"):
        assert set(metrics[system]["layers"]) == {"entities", "claims", "sources"}
    # Claims are scored per (sentence, type): support is the number of such gold pairs.
    from model.schema import Schema
    from model.sentences import claim_types_per_sentence

    claims = set(Schema.load().labels("claims"))
    pairs = sum(len(types) for doc in seed_documents[:2] for _, _, types in
                claim_types_per_sentence(doc["text"], [span for span in doc["spans"] if span["label"] in claims]))
    assert metrics["rasd"]["layers"]["claims"]["micro"]["support"] == pairs
    assert metrics["baseline"]["layers"]["claims"]["micro"]["support"] == pairs
    assert not (tmp_path / "models").exists()  # eval publishes nothing
    saved = json.loads((tmp_path / "reports" / "eval.json").read_text())
    assert saved["rasd"]["layers"] == metrics["rasd"]["layers"]
    report = (tmp_path / "reports" / "eval.md").read_text()
    assert "leave-one-article-out" in report and "| entities | **micro** |" in report
    assert "baseline F1" in report and seed_documents[1]["id"] in report


def test_test_file_and_learning_curve(tmp_path, seed_documents):
    from training.evaluate import evaluate

    annotations = _write(tmp_path / "train.jsonl", seed_documents[:3])
    test = _write(tmp_path / "test.jsonl", seed_documents[3:])
    config = tiny_config(tmp_path / "models", annotations=[str(annotations)], epochs=1, min_steps=1,
                         compact_hidden=32, compact_layers=1, lstm_hidden=16)
    metrics = evaluate(config, tmp_path / "reports", test=test, curve=[1, 3], progress=False)

    assert metrics["split"].startswith("trained on 3 annotated documents, tested on 2")
    from model.schema import Schema

    entities = set(Schema.load().labels("entities"))
    entity_support = sum(span["label"] in entities for doc in seed_documents[3:] for span in doc["spans"])
    assert metrics["rasd"]["layers"]["entities"]["micro"]["support"] == entity_support
    assert metrics["baseline"]["layers"]["entities"]["micro"]["support"] == entity_support
    assert [point["documents"] for point in metrics["learning_curve"]] == [1, 3]
    assert (tmp_path / "reports" / "learning_curve.png").stat().st_size > 1000
    assert "## Learning curve" in (tmp_path / "reports" / "eval.md").read_text()
