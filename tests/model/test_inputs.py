"""The one input reader: records of a folder, JSONL or CSV (gz ok), and JSONL lines parsed one by one.

Batch scoring's behaviour on these inputs (errors file, resume) is tested in
tests/serve/batch/test_score.py; here, what the reader itself yields.
"""

from __future__ import annotations

import gzip

from model.inputs import Fields, json_lines, read_records


def test_csv_records_report_their_first_line_and_bad_bytes(tmp_path):
    path = tmp_path / "dump.csv"
    path.write_bytes('id,text\na,"سطر\nثان"\n'.encode() + b"b,caf\xe9\n" + b"c,\n")
    records = list(read_records(path))
    assert [(r.id, r.line, r.error) for r in records] == [
        ("a", 2, None), ("b", 4, "not UTF-8 (in the row)"), ("c", 5, "empty text")]
    assert records[0].text == "سطر\nثان"


def test_json_lines_report_each_bad_line_and_keep_u2028_inside_strings(tmp_path):
    path = tmp_path / "mixed.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b'\xef\xbb\xbf{"text": "a\xe2\x80\xa8b"}\n\n{bad\n[1]\n{"x": "caf\xe9"}\n')
    lines = list(json_lines(path))
    assert [(item.line, item.value) for item in lines if item.error is None] == [(1, {"text": "a\u2028b"})]
    assert [(item.line, item.error.split(":")[0]) for item in lines if item.error] == [
        (3, "invalid JSON"), (4, "line is a JSON list, not an object"), (5, "not UTF-8 (byte 10)")]


def test_records_without_ids_are_named_by_file_and_line(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"text": "نص أول"}\n{"id": 2}\n{"text": "نص ثان"}\n', encoding="utf-8")
    records = list(read_records(path, Fields(id=None)))
    assert [(r.id, r.text, r.error) for r in records] == [
        ("corpus.jsonl:1", "نص أول", None), ("corpus.jsonl:2", None, "missing text field 'text'"),
        ("corpus.jsonl:3", "نص ثان", None)]
