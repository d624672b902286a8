"""Publication dates of input records: which values are dates, and each date reaches its own
record in JSONL (blank and broken lines around it) and CSV (multi-line fields, gzip)."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date

import pytest

from serve.batch.published import dated_records, parse_published

PARSED = [
    ("2015-08-07", date(2015, 8, 7)),
    (" 2015-08-07 ", date(2015, 8, 7)),
    ("2015-08-07T23:30:00+03:00", date(2015, 8, 7)),  # the calendar date as written, zone dropped
    ("2015-08-07T23:30:00Z", date(2015, 8, 7)),
    ("2015-08-07 14:35", date(2015, 8, 7)),
    ("20150807", date(2015, 8, 7)),
    (None, None),
    ("", None),
    ("   ", None),
]
REFUSED = [
    ("07/08/2015", "'07/08/2015' is not an ISO date (YYYY-MM-DD)"),
    ("2015-02-30", "'2015-02-30' is not an ISO date (YYYY-MM-DD)"),
    ("أمس", "'أمس' is not an ISO date (YYYY-MM-DD)"),
    ("2015-08-07Tnoon", "'2015-08-07Tnoon' is not an ISO date (YYYY-MM-DD)"),
    (20150807, "is a int, not an ISO date string"),
    ({"y": 2015}, "is a dict, not an ISO date string"),
]


@pytest.mark.parametrize("value,expected", PARSED)
def test_iso_dates_and_date_times_parse_to_their_calendar_date(value, expected):
    assert parse_published(value) == expected


@pytest.mark.parametrize("value,reason", REFUSED)
def test_anything_else_is_refused_with_its_reason(value, reason):
    with pytest.raises((TypeError, ValueError)) as error:
        parse_published(value)
    assert str(error.value) == reason


def test_jsonl_dates_follow_their_records_past_blank_and_broken_lines(tmp_path):
    lines = [json.dumps({"id": "a", "text": "x", "date": "2015-01-01"}), "", "{broken",
             json.dumps({"id": "b", "text": "x", "published": "2015-01-02", "date": ""}),
             json.dumps(["a list"]), json.dumps({"id": "c", "text": "x"}),
             json.dumps({"id": "d", "text": "x", "date": "1.1.2015"}),
             json.dumps({"id": "e", "text": "x", "date": "2015-01-05", "published": "2015-01-04"})]
    path = tmp_path / "in.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    found = [(r.id, r.line, r.published, r.date_error, r.error is not None) for r in dated_records(path)]
    assert found == [("a", 1, date(2015, 1, 1), None, False),
                     (None, 3, None, None, True),
                     ("b", 4, date(2015, 1, 2), None, False),
                     (None, 5, None, None, True),
                     ("c", 6, None, None, False),
                     ("d", 7, None, "bad date field: '1.1.2015' is not an ISO date (YYYY-MM-DD)", False),
                     ("e", 8, date(2015, 1, 5), None, False)]


def test_csv_dates_follow_records_with_multi_line_fields(tmp_path):
    path = tmp_path / "in.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "published"])
        writer.writeheader()
        writer.writerows([{"id": "a", "text": "سطر\nوسطر\nوثالث", "published": "2015-03-01"},
                          {"id": "b", "text": "نص", "published": ""},
                          {"id": "c", "text": "نص\r\nآخر", "published": "2015-03-03T08:00:00"}])
    found = [(r.id, r.line, r.published) for r in dated_records(path)]
    assert found == [("a", 2, date(2015, 3, 1)), ("b", 5, None), ("c", 6, date(2015, 3, 3))]


def test_a_folder_of_text_files_has_no_dates(tmp_path):
    (tmp_path / "a.txt").write_text("نص", encoding="utf-8")
    assert [(r.id, r.published, r.date_error) for r in dated_records(tmp_path)] == [("a", None, None)]
