"""Imports and exports of Label Studio, doccano and brat: every problem reported, round trips exact.

Fixtures are written by the tests in each tool's format, over one Arabic text with known offsets.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.paths import REPO_ROOT as REPO
from model.schema import Schema
from training.formats import FORMATS, export_annotations, import_annotations
from training.formats.common import ImportOptions, ReadOptions, read_annotations, write_jsonl
from training.validate import validate

SEEDS = REPO / "annotations" / "seeds.jsonl"
SCHEMA = Schema.load()
TEXT = "قصفت الطائرات الروسية مطار تدمر أمس، وقال مصدر خاص إن 150 عنصراً وصلوا."


def at(phrase: str, label: str, text: str = TEXT) -> dict:
    start = text.index(phrase)
    return {"start": start, "end": start + len(phrase), "label": label, "text": phrase}


def test_offsets_are_known():
    assert at("مطار تدمر", "FAC") == {"start": 22, "end": 31, "label": "FAC", "text": "مطار تدمر"}


def run_import(fmt: str, path: Path, **options):
    read = ReadOptions(**{key: options.pop(key) for key in ("text_field", "scheme") if key in options})
    return import_annotations(fmt, path, ImportOptions(schema=options.pop("schema", SCHEMA), **options), read)


def reasons(result) -> list[str]:
    return [problem.reason for problem in result.problems]


def ls_task(spans, annotations=None, task_id=7, **data):
    result = [{"id": str(i), "from_name": "entities", "to_name": "text", "type": "labels",
               "value": {"start": s["start"], "end": s["end"], "text": s["text"], "labels": [s["label"]]}}
              for i, s in enumerate(spans)]
    return {"id": task_id, "data": {"text": TEXT, **data},
            "annotations": annotations if annotations is not None else [{"id": 1, "result": result}]}


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


# -- round trips -------------------------------------------------------------------------------

OUTPUTS = {"labelstudio": "tasks.json", "doccano": "docs.jsonl", "brat": "brat", "conll": "entities.conll"}


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "conll"])  # CoNLL: test_formats_conll.py
def test_round_trip_preserves_every_span(fmt, tmp_path, seed_documents):
    first = tmp_path / OUTPUTS[fmt]
    assert export_annotations(fmt, [SEEDS], first, SCHEMA) == []
    imported = run_import(fmt, first)
    assert imported.problems == [] and len(imported.records) == len(seed_documents)
    for original, back in zip(seed_documents, imported.records):
        assert (back["id"], back["text"]) == (original["id"], original["text"])
        key = lambda span: (span["start"], span["end"], span["label"])
        assert [key(s) for s in back["spans"]] == sorted(key(s) for s in original["spans"])
    again = tmp_path / "again.jsonl"
    write_jsonl(imported.records, again)
    assert validate([again], SCHEMA).ok
    second = tmp_path / ("second-" + OUTPUTS[fmt])
    assert export_annotations(fmt, [again], second, SCHEMA) == []
    assert without_meta(run_import(fmt, second).records) == without_meta(imported.records)


def without_meta(records: list[dict]) -> list[dict]:
    return [{key: record[key] for key in ("id", "text", "spans")} for record in records]


# -- Label Studio ------------------------------------------------------------------------------

def test_labelstudio_latest_annotation_not_cancelled_wins(tmp_path):
    def annotation(id_, spans, updated, cancelled=False):
        return {"id": id_, "updated_at": updated, "was_cancelled": cancelled,
                "result": ls_task(spans)["annotations"][0]["result"]}

    task = ls_task([], annotations=[
        annotation(1, [at("تدمر", "GPE")], "2024-01-01T10:00:00Z"),
        annotation(2, [at("مطار تدمر", "FAC")], "2024-02-01T10:00:00Z"),
        annotation(3, [at("الطائرات", "WEAPON")], "2024-03-01T10:00:00Z", cancelled=True),
    ])
    result = run_import("labelstudio", write_json(tmp_path / "export.json", [task]))
    assert result.problems == []
    assert [(s["label"], s["text"]) for s in result.records[0]["spans"]] == [("FAC", "مطار تدمر")]
    assert result.records[0]["id"] == "export-7"


def test_labelstudio_problems_notes_and_text_field(tmp_path):
    wrong_text = {**at("مطار تدمر", "FAC"), "text": "مطار حميميم"}
    tasks = [
        ls_task([wrong_text], body=TEXT),
        ls_task([at("تدمر", "AIRPORT")], task_id=8, body=TEXT),
        {"id": 9, "data": {"body": TEXT}, "annotations": [{"id": 1, "was_cancelled": True, "result": []}]},
        {"id": 10, "data": {"title": "x"}, "annotations": []},
    ]
    tasks[1]["annotations"][0]["result"].append({"type": "relation", "from_id": "0", "to_id": "0"})
    result = run_import("labelstudio", write_json(tmp_path / "export.json", tasks), text_field="body")
    found = [(p.line, p.reason) for p in result.problems]
    assert found == [(1, "span text 'مطار حميميم' differs from the slice"),
                     (2, "label 'AIRPORT' is not in the schema"),
                     (4, "task has no text in data.body (data fields: title); see --text-field")]
    notes = [(n.line, n.reason) for n in result.notes]
    assert (2, "results that are not spans ignored: relation×1") in notes
    assert (3, "no annotation that is not cancelled: not imported") in notes
    assert result.records == []


def test_labelstudio_utf16_offsets_after_emoji(tmp_path):
    text = "🔴 عاجل: قصف مطار تدمر"
    python = at("مطار تدمر", "FAC", text)
    javascript = {**python, "start": python["start"] + 1, "end": python["end"] + 1}  # 🔴 is two UTF-16 units
    task = {"data": {"text": text, "id": "emoji"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": javascript["start"], "end": javascript["end"],
                                     "text": "مطار تدمر", "labels": ["FAC"]}}]}]}
    result = run_import("labelstudio", write_json(tmp_path / "export.json", [task]))
    assert result.problems == [] and result.records[0]["spans"] == [python]
    assert "UTF-16 offsets" in result.notes[0].reason
    out = tmp_path / "back.json"
    write_jsonl(result.records, tmp_path / "r.jsonl")
    assert export_annotations("labelstudio", [tmp_path / "r.jsonl"], out, SCHEMA) == []
    value = json.loads(out.read_text(encoding="utf-8"))[0]["annotations"][0]["result"][0]["value"]
    assert (value["start"], value["end"]) == (javascript["start"], javascript["end"])


# -- doccano -----------------------------------------------------------------------------------

def doccano_file(tmp_path: Path, lines: list[dict]) -> Path:
    path = tmp_path / "doccano.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def test_doccano_both_variants_and_every_problem(tmp_path):
    fac, gpe, src = at("مطار تدمر", "FAC"), at("تدمر", "GPE"), at("مصدر خاص", "SRC_ANON")
    lines = [
        {"id": 1, "text": TEXT, "label": [[fac["start"], fac["end"], "FAC"], [src["start"], src["end"], "SRC_ANON"]]},
        {"id": 2, "text": TEXT, "entities": [{"id": 5, "start_offset": fac["start"], "end_offset": fac["end"],
                                              "label": "FAC"}], "relations": [{"id": 1}]},
        {"id": 3, "text": TEXT, "label": [[fac["start"], fac["end"], "FAC"], [gpe["start"], gpe["end"], "GPE"]]},
        {"id": 4, "text": TEXT, "label": [[fac["start"] + 1, fac["end"], "FAC"]]},
        {"id": 5, "text": TEXT, "label": [[0, 500, "FAC"]]},
        {"id": 6, "text": TEXT, "label": [[fac["start"], fac["end"], "AIRPORT"]]},
        {"id": 7, "text": "", "label": []},
    ]
    result = run_import("doccano", doccano_file(tmp_path, lines))
    assert [(r["id"], [(s["label"], s["text"]) for s in r["spans"]]) for r in result.records] == [
        ("1", [("FAC", "مطار تدمر"), ("SRC_ANON", "مصدر خاص")]), ("2", [("FAC", "مطار تدمر")])]
    assert [(p.line, p.reason) for p in result.problems] == [
        (3, "overlaps FAC 'مطار تدمر' [22:31] in layer 'entities'"),
        (4, "span starts inside a word; --snap would make it [22:31] 'مطار تدمر'"),
        (5, f"offsets out of range or empty (text has {len(TEXT)} characters)"),
        (6, "label 'AIRPORT' is not in the schema"),
    ]
    assert [(n.line, n.reason) for n in result.notes] == [(2, "1 relation(s) not imported"),
                                                         (7, "empty document: not imported")]


def test_label_map_renames_and_drops_on_purpose(tmp_path):
    fac, gpe = at("مطار تدمر", "AIRPORT"), at("الروسية", "NATIONALITY")
    path = doccano_file(tmp_path, [{"text": TEXT, "label": [[fac["start"], fac["end"], "AIRPORT"],
                                                            [gpe["start"], gpe["end"], "NATIONALITY"]]}])
    result = run_import("doccano", path, label_map={"AIRPORT": "FAC", "NATIONALITY": None})
    assert result.problems == [] and result.dropped == {"NATIONALITY": 1}
    assert result.records[0]["id"] == "doccano-1"
    assert [(s["label"], s["text"]) for s in result.records[0]["spans"]] == [("FAC", "مطار تدمر")]


def test_snap_moves_edges_to_whole_words_and_says_so(tmp_path):
    sloppy = at("مطار تدمر أمس،", "FAC")
    sloppy = {**sloppy, "start": sloppy["start"] + 2, "end": sloppy["end"] - 5}  # "ار تدمر " with a space
    path = doccano_file(tmp_path, [{"text": TEXT, "label": [[sloppy["start"], sloppy["end"], "FAC"]]}])
    # Without --snap the problem says what --snap would do.
    assert reasons(run_import("doccano", path)) == ["span starts inside a word; --snap would make it [22:31] 'مطار تدمر'"]
    snapped = run_import("doccano", path, snap=True)
    assert snapped.problems == [] and snapped.records[0]["spans"] == [at("مطار تدمر", "FAC")]
    assert snapped.notes[0].reason.startswith(f"snapped [{sloppy['start']}:{sloppy['end']}]")


# -- brat --------------------------------------------------------------------------------------

def test_brat_discontinuous_unknown_and_crlf(tmp_path):
    text = TEXT.replace("، ", "،\r\n")  # brat offsets count the \r
    (tmp_path / "a.txt").write_bytes(text.encode("utf-8"))
    fac, src = at("مطار تدمر", "FAC", text), at("مصدر خاص", "SRC_ANON", text)
    (tmp_path / "a.ann").write_text(
        f"T1\tFAC {fac['start']} {fac['end']}\tمطار تدمر\n"
        f"T2\tSRC_ANON {src['start']} {src['end']}\tمصدر خاص\n"
        "R1\tAttribution Arg1:T2 Arg2:T1\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.ann").write_text("T1\tFAC 22 26;27 31\tمطار تدمر\nT2\tAIRPORT 22 31\tمطار تدمر\n",
                                    encoding="utf-8")
    result = run_import("brat", tmp_path)
    assert [r["id"] for r in result.records] == ["a"]
    assert result.records[0]["spans"] == [fac, src]
    assert [(Path(p.path).name, p.line, p.reason.split(":")[0]) for p in result.problems] == [
        ("b.ann", 1, "discontinuous span T1 FAC (2 fragments 22 26;27 31)"),
        ("b.ann", 2, "label 'AIRPORT' is not in the schema")]
    assert "not text-bound ignored: R×1" in result.notes[0].reason


# -- the command line --------------------------------------------------------------------------

def test_import_cli_writes_clean_records_and_exits_1_on_problems(tmp_path):
    fac = at("مطار تدمر", "FAC")
    path = doccano_file(tmp_path, [{"id": "ok", "text": TEXT, "label": [[fac["start"], fac["end"], "FAC"]]},
                                   {"id": "bad", "text": TEXT, "label": [[fac["start"], fac["end"], "AIRPORT"]]}])
    out = tmp_path / "annotations" / "imported.jsonl"
    run = subprocess.run([sys.executable, "-m", "training", "import", str(path), "--from", "doccano", "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr
    assert f"{path}:2: span [22:31] AIRPORT 'مطار تدمر': label 'AIRPORT' is not in the schema" in run.stderr
    assert [record["id"] for record in read_annotations(out)] == ["ok"]
    check = subprocess.run([sys.executable, "-m", "training", "validate", str(out)], cwd=REPO, capture_output=True, check=False)
    assert check.returncode == 0


def test_export_refuses_what_does_not_validate(tmp_path):
    bad = tmp_path / "bad.jsonl"
    write_jsonl([{"id": "x", "text": TEXT, "spans": [{**at("مطار تدمر", "FAC"), "start": 23}]}], bad)
    problems = export_annotations("brat", [bad], tmp_path / "out", SCHEMA)
    assert [p.reason for p in problems] == ["span text 'مطار تدمر' differs from the slice", "span starts inside a word"]
    assert not (tmp_path / "out").exists()
