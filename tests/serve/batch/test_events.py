"""The events CSV: opened with the csv module, each row checked against the results JSONL it
came from; built by ``score --events`` at the end of every run, resumed ones included."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.paths import REPO_ROOT as REPO
from serve.batch import engines
from serve.batch.engines import ScoreOptions
from serve.batch.events import COLUMNS, event_rows, write_events
from serve.batch.logs import errors_path
from serve.batch.run import score
from tests.serve.batch.stub_predictor import StubPredictor

ARTICLES = [
    {"id": "a1", "date": "2015-08-07",
     "text": "قتل 5 عناصر من قوات النظام أمس في حلب. وقال المرصد إن الاشتباكات مستمرة."},
    {"id": "a2", "published": "2015-08-07T09:30:00+03:00", "text": "- قصف الطيران الروسي إدلب أمس بصواريخ."},
    {"id": "a3", "text": "قتل 5 عناصر أمس بحسب مصدر محلي."},
    {"id": "a4", "text": "لا خبر هنا."},
]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def type_pairs(results: list[dict]) -> int:
    return sum(len(claim["types"]) for result in results for claim in result["claims"])


@pytest.fixture()
def stub(monkeypatch) -> StubPredictor:
    predictor = StubPredictor()
    monkeypatch.setattr(engines, "load_predictor", lambda options, threads=None: predictor)
    return predictor


@pytest.fixture()
def scored(tmp_path, stub) -> tuple[Path, Path]:
    """ARTICLES scored by the stub into out.jsonl, with the events CSV."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ARTICLES), encoding="utf-8")
    out, events = tmp_path / "out.jsonl", tmp_path / "events.csv"
    summary = score(source, out, ScoreOptions(progress=False, events=events))
    assert summary.events == type_pairs(read_jsonl(out)) == 6
    return out, events


def test_a_row_matches_its_claim_in_the_jsonl(scored):
    out, events = scored
    results = {result["id"]: result for result in read_jsonl(out)}
    rows = read_csv(events)
    assert tuple(rows[0]) == COLUMNS
    assert [(row["document_id"], row["event_type"]) for row in rows] == [
        ("a1", "CASUALTIES"), ("a1", "ATTACK"), ("a1", "ATTACK"), ("a2", "AIRSTRIKE"), ("a3", "CASUALTIES"),
        ("a3", "ATTACK")]

    first, claim = rows[0], results["a1"]["claims"][0]
    text = ARTICLES[0]["text"]
    assert first["notes"] == claim["text"] == text[int(first["start"]):int(first["end"])]
    assert float(first["score"]) == claim["types"][0]["score"] == 0.91
    assert (first["published"], first["event_date"], first["date_precision"]) == ("2015-08-07", "2015-08-06", "day")
    assert first["dates"] == "أمس (2015-08-06)"
    assert (first["actor1"], first["actors"], first["location"], first["places"]) == (
        "قوات النظام", "قوات النظام", "حلب", "حلب")
    assert first["quantities"] == "5 عناصر (5)" and first["fatalities"] == "5"
    assert rows[1]["fatalities"] == "", "fatalities only on CASUALTIES rows"
    # The second sentence's source is the Observatory, named in it.
    assert (rows[2]["source"], rows[2]["source_kind"]) == ("المرصد", "named")
    assert rows[2]["notes"] == results["a1"]["claims"][1]["text"]
    assert rows[4]["source"] == "مصدر محلي" and rows[4]["source_kind"] == "anonymous"


def test_dates_come_from_date_or_published_and_the_csv_suits_spreadsheets(scored, stub):
    out, events = scored
    assert [result["date"] for result in read_jsonl(out)] == ["2015-08-07", "2015-08-07", None, None]
    assert [str(value) if value else None for value in stub.dates_seen] == ["2015-08-07", "2015-08-07", None, None]
    raw = events.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # a BOM so Excel reads UTF-8
    rows = read_csv(events)
    # A bullet line would start a formula in a spreadsheet: defused with a leading '.
    assert rows[3]["notes"] == "'" + read_jsonl(out)[1]["claims"][0]["text"]
    assert rows[4]["event_date"] == "" and rows[4]["dates"] == "أمس", "no article date: أمس stays unresolved"


def test_resumed_run_rewrites_the_csv_from_the_whole_output(tmp_path, scored):
    out, events = scored
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[1][:10])  # killed mid-write
    events.unlink()
    source = tmp_path / "in.jsonl"
    summary = score(source, out, ScoreOptions(progress=False, events=events))
    assert (summary.skipped, summary.documents) == (1, 3)
    assert len(read_csv(events)) == type_pairs(read_jsonl(out)) == 6
    again = score(source, out, ScoreOptions(progress=False, events=tmp_path / "again.csv"))
    assert again.documents == 0 and (tmp_path / "again.csv").read_bytes() == events.read_bytes()


def test_event_rows_of_a_written_line():
    line = {"id": "d", "date": None, "claims": [{
        "start": 0, "end": 20, "text": "=HYPERLINK(\"x\") قتل", "entities": [], "source": None,
        "types": [{"label": "CASUALTIES", "score": 0.8}],
        "event": {"actors": [], "places": [], "weapons": [], "source": None, "source_kind": None,
                  "dates": [{"text": "الأسبوع الماضي", "value": "2015-W31", "precision": "week"},
                            {"text": "قبل أيام", "value": None, "precision": None}],
                  "quantities": [{"text": "عشرات القتلى", "value": None, "qualifier": "tens", "unit": "القتلى"},
                                 {"text": "نحو 20 جريحا", "value": 20, "qualifier": "approximately",
                                  "unit": "جريحا"}]}}]}
    (row,) = event_rows(line)
    assert (row["event_date"], row["date_precision"]) == ("2015-W31", "week")
    assert row["dates"] == "الأسبوع الماضي (2015-W31); قبل أيام"
    assert row["quantities"] == "عشرات القتلى (tens); نحو 20 جريحا (20, approximately)"
    assert row["fatalities"] == 20, "the first quantity with a number"
    assert row["published"] == "" and row["actor1"] == "" and row["source"] == ""


def test_write_events_of_an_empty_output_is_a_header(tmp_path):
    (tmp_path / "out.jsonl").write_text("", encoding="utf-8")
    assert write_events(tmp_path / "out.jsonl", tmp_path / "e.csv") == 0
    with open(tmp_path / "e.csv", encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [list(COLUMNS)]


def test_bad_dates_are_errors_of_their_record(tmp_path, stub):
    rows = [{"id": "ok", "text": "قتل 5 عناصر أمس.", "date": "2015-08-07"},
            {"id": "slashes", "text": "قتل.", "date": "07/08/2015"},
            {"id": "number", "text": "قتل.", "published": 20150807},
            {"id": "nonexistent", "text": "قتل.", "date": "2015-02-30"},
            {"id": "empty", "text": "قتل.", "date": ""}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = score(source, out, ScoreOptions(progress=False))
    assert [result["id"] for result in read_jsonl(out)] == ["ok", "empty"]
    errors = {error["id"]: error["reason"] for error in read_jsonl(errors_path(out))}
    assert errors == {"slashes": "bad date field: '07/08/2015' is not an ISO date (YYYY-MM-DD)",
                      "number": "bad published field: is a int, not an ISO date string",
                      "nonexistent": "bad date field: '2015-02-30' is not an ISO date (YYYY-MM-DD)"}
    assert (summary.documents, summary.errors) == (2, 3)
    assert score(source, out, ScoreOptions(progress=False)).skipped == 5, "errors are not retried"


def test_score_command_with_the_tiny_model_writes_one_row_per_claim_type(tmp_path, tiny_model_dir, seed_documents):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": doc["id"], "text": doc["text"], "date": "2021-05-01"},
                                         ensure_ascii=False) + "\n" for doc in seed_documents), encoding="utf-8")
    out, events = tmp_path / "out.jsonl", tmp_path / "events.csv"
    run = subprocess.run([sys.executable, "-m", "serve", "score", str(source), str(out), "--model", str(tiny_model_dir),
                          "--device", "cpu", "--no-progress", "--events", str(events)],
                         cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    results = read_jsonl(out)
    assert len(results) == len(seed_documents) and {result["date"] for result in results} == {"2021-05-01"}
    with open(events, encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == list(COLUMNS) and len(rows) == type_pairs(results)
    assert f"{len(rows)} event rows" in run.stdout
