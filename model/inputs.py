"""The one reader of input documents: a folder of .txt, JSONL or CSV, each optionally gzipped.

Batch scoring (``serve.batch``), pre-annotation and pre-training (``training``) read their
inputs here, and every JSONL file (annotations included: ``training.validate``) is parsed
line by line with :func:`json_lines`. Every reader is a generator of :class:`Record` in input order and never holds more than one
document in memory, so a 1 GB dump streams. A record carries either a text or an error
reason; nothing a reader meets is skipped without a record, except blank lines in JSONL
(they hold no document). Duplicate ids are not a reader's business: the scorer sees the
whole stream and reports them.

Formats (``fmt="auto"`` picks by name; ``.gz`` is stripped first):

- a folder: every ``*.txt`` / ``*.txt.gz`` under it (recursively, sorted); the id is the
  path relative to the folder without the ``.txt``/``.txt.gz`` suffix (``a/b.txt`` → ``a/b``,
  so a flat folder gives the file stem); the text is the whole file, verbatim.
- ``.jsonl`` / ``.ndjson`` / ``.json``: one JSON object per line, fields ``id_field`` and
  ``text_field``; a numeric id becomes its decimal string. With ``Fields(id=None)`` (texts
  without ids, e.g. a pre-training corpus) the id is ``<file>:<line>``.
- ``.csv``: a header row, then one document per record (quoted multi-line fields allowed).
- ``.txt``: one document, id = file stem.

With ``title_field`` set, the text is ``title + "\\n\\n" + body`` when the title is a non-empty
string (else the body alone): offsets in the output index that joined string.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("auto", "txt", "jsonl", "csv")
TITLE_SEPARATOR = "\n\n"
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_BOM = b"\xef\xbb\xbf"
# What errors="surrogateescape" turns an undecodable byte into.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# Articles routinely exceed csv's default 128 KiB field limit.
csv.field_size_limit(sys.maxsize)


@dataclass
class Record:
    """One input document, or the reason it could not be read.

    ``source`` is the file relative to the input root (its name for a single file) and
    ``line`` the 1-based line where the record starts (None for whole-file documents);
    together they name the input position, which stays stable across reruns.
    """

    id: str | None
    text: str | None
    source: str
    line: int | None = None
    error: str | None = None

    @property
    def position(self) -> tuple[str, int | None]:
        return self.source, self.line


@dataclass
class Fields:
    """Which fields of a JSONL object / CSV row hold the id, the body and the optional title."""

    id: str | None = "id"  # None: records carry no id; it is "<file>:<line>"
    text: str = "text"
    title: str | None = None


@dataclass
class JsonLine:
    """One non-blank line of a JSONL file: its 1-based number and the JSON object, or the reason
    it is not one."""

    line: int
    value: dict | None = None
    error: str | None = None


def detect_format(path: Path) -> str:
    """'txt' for a folder or a .txt file, else 'jsonl' or 'csv' by suffix (after .gz)."""
    if path.is_dir():
        return "txt"
    suffix = Path(path.name.removesuffix(".gz")).suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return suffix[1:]
    raise ValueError(f"cannot tell the format of {path} from its name; pass --format txt|jsonl|csv")


def read_records(path: Path, fields: Fields | None = None, fmt: str = "auto") -> Iterator[Record]:
    """Yield every document of ``path`` (see the module docstring for formats and ids)."""
    fields = fields or Fields()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input {path} does not exist")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if path.is_dir():
        if fmt != "txt":
            raise ValueError(f"{path} is a folder: only a folder of .txt files can be read")
        for file in _text_files(path):
            yield _read_text_file(file, file.relative_to(path).as_posix())
        return
    reader = {"txt": _read_text_file, "jsonl": _read_jsonl, "csv": _read_csv}[fmt]
    if fmt == "txt":
        yield reader(path, path.name)
    else:
        yield from reader(path, path.name, fields)


def count_records(path: Path, fmt: str = "auto") -> int | None:
    """The number of records when it is cheap to know (a folder, an uncompressed JSONL), else
    None. For JSONL it counts non-blank lines, which is what the reader yields."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if path.is_dir():
        return sum(1 for _ in _text_files(path))
    if fmt == "txt":
        return 1
    if fmt != "jsonl" or path.name.endswith(".gz"):
        return None
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            count += bool(line.strip())
    return count or 1  # an empty file still yields its one "empty file" record


def _text_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".txt", ".txt.gz")))


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _doc_id(source: str) -> str:
    return source.removesuffix(".gz").removesuffix(".txt")


def _read_text_file(path: Path, source: str) -> Record:
    doc_id = _doc_id(source)
    try:
        with _open_binary(path) as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        return Record(doc_id, None, source, error=f"unreadable file: {error}")
    if not data:
        return Record(doc_id, None, source, error="empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Record(doc_id, None, source, error=f"not UTF-8 (byte {error.start})")
    return _checked(Record(doc_id, text, source))


def _checked(record: Record) -> Record:
    """Turn a record whose text is empty or only whitespace into an error: nothing to tag."""
    if record.error is None and not record.text.strip():
        record.text, record.error = None, "empty text"
    return record


def _from_fields(values: dict, fields: Fields, source: str, line: int) -> Record:
    """Build a record from one JSON object or CSV row; every missing or mistyped field is an error."""
    raw_id = f"{source}:{line}" if fields.id is None else values.get(fields.id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or raw_id == "":
        reason = (f"missing id field {fields.id!r}" if raw_id in (None, "")
                  else f"id is a {type(raw_id).__name__}, not a string")
        return Record(None, None, source, line, reason)
    doc_id = str(raw_id)
    body = values.get(fields.text)
    if body is None:
        return Record(doc_id, None, source, line, f"missing text field {fields.text!r}")
    if not isinstance(body, str):
        return Record(doc_id, None, source, line, f"text is a {type(body).__name__}, not a string")
    if fields.title is not None:
        title = values.get(fields.title)
        if title is not None and not isinstance(title, str):
            return Record(doc_id, None, source, line, f"title is a {type(title).__name__}, not a string")
        if title and title.strip():
            body = title + TITLE_SEPARATOR + body
    return _checked(Record(doc_id, body, source, line))


def json_lines(path: Path) -> Iterator[JsonLine]:
    """Every non-blank line of a JSONL file (``.gz`` ok) as a JSON object, or why it is not one
    (not UTF-8, invalid JSON, not an object). Lines end at ``\n`` only, so a U+2028 inside a
    JSON string never splits a record; a UTF-8 byte order mark is ignored. Streams."""
    with _open_binary(Path(path)) as handle:
        yield from _json_lines(handle)


def _json_lines(handle) -> Iterator[JsonLine]:
    # Bytes, line by line: one non-UTF-8 line is one error, not a dead file.
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.removesuffix(b"\n").decode("utf-8"))
        except UnicodeDecodeError as error:
            yield JsonLine(number, error=f"not UTF-8 (byte {error.start})")
            continue
        except json.JSONDecodeError as error:
            yield JsonLine(number, error=f"invalid JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(value, dict):
            yield JsonLine(number, error=f"line is a JSON {type(value).__name__}, not an object")
            continue
        yield JsonLine(number, value)


def _read_jsonl(path: Path, source: str, fields: Fields) -> Iterator[Record]:
    seen_any = False
    line_number = 0
    try:
        with _open_binary(path) as handle:
            for item in _json_lines(handle):
                seen_any, line_number = True, item.line
                if item.error:
                    yield Record(None, None, source, item.line, item.error)
                else:
                    yield _from_fields(item.value, fields, source, item.line)
    except (OSError, EOFError, zlib.error) as error:
        yield Record(None, None, source, line_number + 1, f"unreadable after line {line_number}: {error}")
        return
    if not seen_any:
        yield Record(None, None, source, error="empty file")


def _read_csv(path: Path, source: str, fields: Fields) -> Iterator[Record]:
    seen_any = False
    line = 0
    try:
        with _open_binary(path) as binary:
            # surrogateescape keeps undecodable bytes as lone surrogates, so a bad row is
            # found and reported on its own while the rest of the file still reads.
            stream = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.DictReader(stream)
            if reader.fieldnames is not None and _has_bad_bytes(reader.fieldnames):
                yield Record(None, None, source, 1, "not UTF-8 (in the header row)")
                return
            line = reader.line_num
            for row in reader:
                start, line = line + 1, reader.line_num
                seen_any = True
                values = {key: value for key, value in row.items() if key is not None}
                if _has_bad_bytes(values.values()):
                    doc_id = values.get(fields.id) if not _has_bad_bytes([values.get(fields.id)]) else None
                    yield Record(doc_id or None, None, source, start, "not UTF-8 (in the row)")
                    continue
                yield _from_fields(values, fields, source, start)
    except (OSError, EOFError, zlib.error, csv.Error) as error:
        yield Record(None, None, source, line + 1, f"unreadable after line {line}: {error}")
        return
    if not seen_any:
        yield Record(None, None, source, error="empty file" if line == 0 else "no rows after the header")


def _has_bad_bytes(values) -> bool:
    return any(isinstance(v, str) and _ESCAPED_BYTE.search(v) for v in values)
