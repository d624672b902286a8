"""The model card opens with Hugging Face model-card metadata, held-out scores in its model-index."""

from __future__ import annotations

import json

import yaml

from training.card import front_matter, model_card

BASE = {"requested": "CAMeL-Lab/bert-base-arabic-camelbert-msa", "used": "CAMeL-Lab/bert-base-arabic-camelbert-msa",
        "fallback_reason": None, "kind": "pretrained"}
INFO = {"name": "20260101-120000", "created": "2026-01-01T12:00:00+00:00", "base": BASE}
TRAINING_METRICS = {"scheme": "IOB2 strict", "layers": {}}


def scores(f1: float) -> dict:
    return {"micro": {"precision": f1 + 0.1, "recall": f1 - 0.1, "f1": f1, "support": 10}, "macro": {}, "labels": {}}


# The shape `make eval` writes (training/evaluate.py): rasd beside the baselines, the split, the setup.
EVAL = {"rasd": {"layers": {"entities": scores(0.61234), "claims": scores(0.4), "sources": scores(0.3)}},
        "baseline": {"layers": {"entities": scores(0.5)}},
        "split": "leave-one-article-out over the 5 real articles (each fold also trains on 44 written articles)",
        "setup": {"base": BASE}}


def metadata(card: str) -> dict:
    assert card.startswith("---\n")
    head, _, body = card[4:].partition("\n---\n")
    assert body.lstrip().startswith("# rasd model `20260101-120000`")
    return yaml.safe_load(head)


def test_card_metadata_carries_the_held_out_scores():
    meta = metadata(model_card(INFO, {"seed": 7}, TRAINING_METRICS, "5 documents", held_out=EVAL))
    assert meta["language"] == ["ar"] and meta["license"] == "mit" and meta["library_name"] == "rasd"
    assert meta["pipeline_tag"] == "token-classification" and "arabic" in meta["tags"]
    assert meta["base_model"] == "CAMeL-Lab/bert-base-arabic-camelbert-msa"
    [index] = meta["model-index"]
    assert index["name"] == "rasd-20260101-120000"
    entities, claims, sources = index["results"]
    assert entities == {
        "task": {"type": "token-classification", "name": "Token classification: entities"},
        "dataset": {"type": "rasd-annotations", "name": "rasd hand-annotated Arabic conflict news",
                    "split": EVAL["split"]},
        "metrics": [{"type": "f1", "value": 0.6123, "name": "entities micro f1"},
                    {"type": "precision", "value": 0.7123, "name": "entities micro precision"},
                    {"type": "recall", "value": 0.5123, "name": "entities micro recall"}]}
    assert claims["task"]["type"] == "text-classification"  # claims are scored per sentence
    assert sources["metrics"][0] == {"type": "f1", "value": 0.3, "name": "sources micro f1"}


def test_no_model_index_without_a_report_or_from_another_base_encoder(tmp_path):
    assert "model-index" not in metadata(model_card(INFO, {}, TRAINING_METRICS, "", held_out=tmp_path / "none.json"))
    compact = {**INFO, "base": {**BASE, "used": "compact", "kind": "compact (trained offline on local text)"}}
    meta = yaml.safe_load(front_matter(compact, EVAL).strip("-\n"))
    assert "model-index" not in meta and "base_model" not in meta  # trained from scratch: no hub base
    assert "compact-encoder" in meta["tags"]
    report = tmp_path / "eval.json"
    report.write_text(json.dumps({**EVAL, "setup": {"base": {"used": "compact"}}}), encoding="utf-8")
    assert metadata(model_card(compact, {}, TRAINING_METRICS, "", held_out=report))["model-index"]


def test_a_trained_model_dir_card_is_hub_ready(tiny_model_dir):
    card = (tiny_model_dir / "README.md").read_text(encoding="utf-8")
    head = yaml.safe_load(card[4:].partition("\n---\n")[0])
    assert card.startswith("---\n") and head["language"] == ["ar"] and head["pipeline_tag"] == "token-classification"
    assert {"license", "library_name", "tags"} <= set(head)


def test_card_shows_what_calibration_chose_as_a_table():
    calibration = {"blend": {"entities": 0.75, "sources": 0.25, "claims": 0.5},
                   "thresholds": {"AIRSTRIKE": 0.35, "CLASH": 0.5},
                   "held_out_scores": {"entities": {"0.75": 0.8}, "documents": 10}}
    card = model_card(INFO, {"seed": 7, "calibration": calibration}, TRAINING_METRICS, "")
    assert "chosen on 10 held-out training documents" in card
    assert "| entities | 0.75 |\n| sources | 0.25 |\n| claims | 0.5 |" in card
    assert "Claim thresholds: AIRSTRIKE 0.35, CLASH 0.5." in card  # edited by hand: one per type
    same = {**calibration, "thresholds": {"AIRSTRIKE": 0.35, "CLASH": 0.35}}  # what calibration writes
    assert "Claim thresholds: 0.35 for every type." in model_card(INFO, {"calibration": same}, TRAINING_METRICS, "")
    assert "| calibration |" not in card  # not dumped raw into the settings table
    assert "Blend and calibration" not in model_card(INFO, {"seed": 7}, TRAINING_METRICS, "")
