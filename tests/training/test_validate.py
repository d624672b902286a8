"""Truth table for the validator: one crafted line per error kind, each with its exact reason."""

import json
import subprocess
import sys

import pytest

from model.paths import REPO_ROOT as REPO
from model.schema import Schema
from training.validate import validate

TEXT = "قصف الطيران الروسي مطار تدمر، وقتل 5 عناصر."



def line(spans, **extra):
    return json.dumps({"id": extra.pop("id", "doc"), "text": extra.pop("text", TEXT), "spans": spans, **extra},
                      ensure_ascii=False)


CASES = [
    ('{"id": "x", "text": "قصف"', "invalid JSON: Expecting ',' delimiter at column 26"),
    ('["not", "an", "object"]', "line is a JSON list, not an object"),
    ('{"id": "x", "spans": []}', "missing field(s): text"),
    (line([{"start": 0, "end": 3}]), "spans[0] is missing field(s) label"),
    (line([{"start": 30, "end": 99, "label": "GPE"}]), "offsets out of range or empty (text has 43 characters)"),
    (line([{"start": 5, "end": 5, "label": "GPE"}]), "offsets out of range or empty (text has 43 characters)"),
    (line([{"start": 19, "end": 28, "label": "FAC", "text": "تدمر"}]), "span text 'تدمر' differs from the slice"),
    (line([{"start": 19, "end": 28, "label": "AIRPORT"}]), "label 'AIRPORT' is not in the schema"),
    (line([{"start": 19, "end": 28, "label": "FAC"}, {"start": 24, "end": 28, "label": "GPE"}]),
     "overlaps FAC 'مطار تدمر' [19:28] in layer 'entities'"),
    # claims are a sentence layer: overlapping spans are fine unless they share a label
    (line([{"start": 0, "end": 42, "label": "ATTACK"}, {"start": 30, "end": 42, "label": "ATTACK"}]),
     ("overlaps ATTACK 'قصف الطيران الروسي مطار تدمر، وقتل 5 عناصر' [0:42] in layer 'claims' "
      "(spans of one label may not overlap in a sentence layer)")),
    (line([{"start": 0, "end": 42, "label": "CASUALTIES"}, {"start": 0, "end": 42, "label": "CASUALTIES"}]),
     ("overlaps CASUALTIES 'قصف الطيران الروسي مطار تدمر، وقتل 5 عناصر' [0:42] in layer 'claims' "
      "(spans of one label may not overlap in a sentence layer)")),
    (line([{"start": 20, "end": 28, "label": "FAC"}]), "span starts inside a word"),
    (line([{"start": 19, "end": 27, "label": "FAC"}]), "span ends inside a word"),
    (line([{"start": 18, "end": 28, "label": "FAC"}]), "span starts or ends on whitespace"),
    (line([{"start": 19, "end": 29, "label": "FAC"}]), "span starts or ends on punctuation"),
    (line([], meta={"source": "seeds/000_311e08a0292f7c5c.txt"}), "text differs from the seed file 'seeds/000_311e08a0292f7c5c.txt'"),
    (line([], meta={"source": "seeds/missing.txt"}), "meta.source 'seeds/missing.txt' does not exist"),
]


@pytest.mark.parametrize("raw,reason", CASES)
def test_each_error_kind_has_its_exact_reason(tmp_path, raw, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text(raw + "\n", encoding="utf-8")
    report = validate([path], Schema.load())
    assert [problem.reason for problem in report.problems] == [reason]
    assert str(report.problems[0]).startswith(f"{path}:1: ")


def test_clean_spans_pass_and_layers_may_overlap(tmp_path):
    spans = [
        {"start": 4, "end": 18, "label": "MIL", "text": "الطيران الروسي"},
        {"start": 19, "end": 28, "label": "FAC", "text": "مطار تدمر"},
        {"start": 35, "end": 42, "label": "QUANTITY", "text": "5 عناصر"},
        {"start": 0, "end": 28, "label": "AIRSTRIKE"},
        {"start": 30, "end": 42, "label": "CASUALTIES", "text": "وقتل 5 عناصر"},
    ]
    path = tmp_path / "good.jsonl"
    path.write_text(line(spans) + "\n", encoding="utf-8")
    report = validate([path], Schema.load())
    assert report.ok, [str(problem) for problem in report.problems]


SENTENCE_TYPES = [
    # one sentence, two types: two identical whole-sentence spans with different labels
    [{"start": 0, "end": 42, "label": "AIRSTRIKE"}, {"start": 0, "end": 42, "label": "CASUALTIES"}],
    # a whole-sentence span beside a clause span of another label
    [{"start": 0, "end": 42, "label": "AIRSTRIKE"}, {"start": 30, "end": 42, "label": "CASUALTIES"}],
]


@pytest.mark.parametrize("spans", SENTENCE_TYPES)
def test_claim_spans_of_different_labels_may_overlap(tmp_path, spans):
    path = tmp_path / "types.jsonl"
    path.write_text(line(spans) + "\n", encoding="utf-8")
    assert validate([path], Schema.load()).problems == []


def test_entity_spans_may_not_overlap_even_with_different_labels(tmp_path):
    path = tmp_path / "entities.jsonl"
    path.write_text(line([{"start": 19, "end": 28, "label": "FAC"}, {"start": 19, "end": 28, "label": "GPE"}]) + "\n",
                    encoding="utf-8")
    assert [problem.reason for problem in validate([path], Schema.load()).problems] == [
        "overlaps FAC 'مطار تدمر' [19:28] in layer 'entities'"]


def test_duplicate_ids_and_non_utf8_lines_are_reported(tmp_path):
    path = tmp_path / "dupes.jsonl"
    path.write_bytes((line([]) + "\n" + line([]) + "\n").encode() + b"\xff\xfe\n")
    reasons = [(problem.line, problem.reason) for problem in validate([path], Schema.load()).problems]
    assert reasons == [(2, f"duplicate id 'doc' (first at {path}:1)"), (3, "not UTF-8 (byte 0)")]


def test_cli_names_every_bad_line_and_exits_1(tmp_path):
    path = tmp_path / "all_bad.jsonl"
    path.write_text("\n".join(raw for raw, _ in CASES) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "training", "validate", str(path)],
                            check=False, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 1
    for number, (_, reason) in enumerate(CASES, start=1):
        assert f"{path}:{number}: " in result.stderr and reason in result.stderr


def test_seed_annotations_validate_clean_with_enough_spans():
    paths = [REPO / "annotations" / "seeds.jsonl"]
    schema = Schema.load()
    report = validate(paths, schema)
    assert report.ok, "\n".join(map(str, report.problems[:20]))
    assert len(report.documents) == 5
    per_layer = {layer: 0 for layer in schema.layer_names}
    for document in report.documents:
        layers = {schema.layer_of(span["label"]) for span in document["spans"]}
        assert layers == set(schema.layer_names), f"{document['id']} lacks a layer"
        for span in document["spans"]:
            per_layer[schema.layer_of(span["label"])] += 1
    assert per_layer["entities"] >= 250 and per_layer["claims"] >= 50 and per_layer["sources"] >= 20


LEXICON = """version: 1
entities:
  GPE: [حلب, [دير الزور, ديرالزور]]
  AIRPORT: [مطار المزة]
  MIL: [حلب]
cues:
  ATTRIBUTION: [أفاد]
"""


def run_validate(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training", "validate", *map(str, arguments)],
                          check=False, capture_output=True, text=True, cwd=REPO)


def test_cli_checks_the_lexicon_against_the_schema(tmp_path):
    annotations, lexicon = tmp_path / "clean.jsonl", tmp_path / "lexicon.yaml"
    annotations.write_text(line([]) + "\n", encoding="utf-8")
    lexicon.write_text(LEXICON, encoding="utf-8")
    result = run_validate(annotations, "--lexicon", lexicon)
    assert result.returncode == 1
    assert f"{lexicon}: entities.AIRPORT: unknown label; entities allows DATE, FAC, GPE, " in result.stderr
    assert f"{lexicon}: entities.MIL[0]: 'حلب' is listed under GPE and MIL (entities.GPE[0])" in result.stderr
    assert "0 problem(s) in 1 file(s), 2 in the lexicon" in result.stderr

    skipped = run_validate(annotations, "--lexicon", "none")
    assert skipped.returncode == 0 and "all valid." in skipped.stdout


def test_the_repository_lexicon_validates():
    result = run_validate(REPO / "annotations" / "seeds.jsonl")
    assert result.returncode == 0, result.stderr
    assert f"lexicon {REPO / 'annotations' / 'lexicon.yaml'}: valid." in result.stdout
