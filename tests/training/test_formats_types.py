"""Claims are a sentence layer: a sentence with two claim types (two identical whole-sentence
spans with different labels) exports as two regions and imports back as two spans, in every
format that can hold overlapping spans; CoNLL, one tag per word, refuses them."""

from __future__ import annotations

import json

import pytest

from model.schema import Schema
from model.sentences import claim_types_per_sentence
from training.formats import export_annotations, import_annotations
from training.formats.common import ImportOptions, write_jsonl

SCHEMA = Schema.load()
TEXT = "قصفت الطائرات الروسية مطار تدمر أمس. وقتل 5 عناصر في قصف مدفعي."


def at(phrase: str, label: str) -> dict:
    start = TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase), "label": label, "text": phrase}


FIRST = "قصفت الطائرات الروسية مطار تدمر أمس"
SECOND = "وقتل 5 عناصر في قصف مدفعي"
RECORD = {"id": "two-types", "text": TEXT, "spans": [
    at(FIRST, "AIRSTRIKE"),
    at(SECOND, "ATTACK"), at(SECOND, "CASUALTIES"),  # one sentence, two types
    at("مطار تدمر", "FAC"), at("5 عناصر", "QUANTITY"),
]}
OUTPUTS = {"labelstudio": "tasks.json", "doccano": "docs.jsonl", "brat": "brat"}


def key(span: dict) -> tuple:
    return span["start"], span["end"], span["label"]


@pytest.fixture()
def gold(tmp_path):
    path = tmp_path / "gold.jsonl"
    write_jsonl([RECORD], path)
    return path


def test_the_gold_is_two_sentences_with_their_types():
    claims = [span for span in RECORD["spans"] if SCHEMA.layer_of(span["label"]) == "claims"]
    assert [labels for _, _, labels in claim_types_per_sentence(TEXT, claims)] == [
        {"AIRSTRIKE"}, {"ATTACK", "CASUALTIES"}]


@pytest.mark.parametrize("fmt", list(OUTPUTS))
def test_two_types_of_one_sentence_round_trip(fmt, tmp_path, gold):
    out = tmp_path / OUTPUTS[fmt]
    assert export_annotations(fmt, [gold], out, SCHEMA) == []
    back = import_annotations(fmt, out, ImportOptions(schema=SCHEMA))
    assert back.problems == []
    (record,) = back.records
    assert sorted(map(key, record["spans"])) == sorted(map(key, RECORD["spans"]))


def test_labelstudio_writes_two_regions_on_one_sentence(tmp_path, gold):
    out = tmp_path / "tasks.json"
    export_annotations("labelstudio", [gold], out, SCHEMA)
    results = json.loads(out.read_text(encoding="utf-8"))[0]["annotations"][0]["result"]
    second = at(SECOND, "ATTACK")
    on_second = [result for result in results
                 if (result["value"]["start"], result["value"]["end"]) == (second["start"], second["end"])]
    assert [(result["from_name"], result["value"]["labels"]) for result in on_second] == [
        ("claims", ["ATTACK"]), ("claims", ["CASUALTIES"])]
    assert len({result["id"] for result in results}) == len(results)


def test_labelstudio_region_with_two_labels_imports_as_two_spans(tmp_path):
    second = at(SECOND, "ATTACK")
    task = {"data": {"text": TEXT, "id": "t"}, "annotations": [{"id": 1, "result": [
        {"id": "r", "from_name": "claims", "to_name": "text", "type": "labels",
         "value": {"start": second["start"], "end": second["end"], "text": SECOND,
                   "labels": ["ATTACK", "CASUALTIES"]}}]}]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    result = import_annotations("labelstudio", path, ImportOptions(schema=SCHEMA))
    assert result.problems == []
    assert [key(span) for span in result.records[0]["spans"]] == [key(second), key(at(SECOND, "CASUALTIES"))]


def test_conll_refuses_a_layer_whose_spans_overlap(tmp_path, gold):
    with pytest.raises(ValueError, match="claims spans overlap"):
        export_annotations("conll", [gold], tmp_path / "claims.conll", SCHEMA, layer="claims")
    assert export_annotations("conll", [gold], tmp_path / "entities.conll", SCHEMA, layer="entities") == []
