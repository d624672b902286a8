"""Publication dates of input records: the ``date`` or ``published`` field of a JSONL/CSV record.

The predictor resolves relative date expressions (أمس، الثلاثاء الماضي) against the article's
publication date, so batch scoring passes each record's date along with its text.
:func:`dated_records` yields every record of :func:`model.inputs.read_records` as a
:class:`DatedRecord`: the record plus its date, or the reason the date is unusable.

Field: ``date`` when the record has it (non-empty), else ``published``; absent, ``null`` or an
empty string is no date. A value is an ISO 8601 date (``2015-08-07``) or date-time
(``2015-08-07T14:35:00+03:00``, ``2015-08-07 14:35``: the calendar date as written, the
time and zone are dropped); anything else (``07/08/2015``, a number, a date that does not
exist) is an error the scorer reports for that record in ``OUT.errors.jsonl``. A folder of
``.txt`` carries no dates.

:class:`model.inputs.Record` holds no field but the text, so the same file is read a second
time alongside, in step, and each date is matched to its record by input position (file and
line where the record starts: the reader's documented contract). This costs a second JSON
or CSV parse of each line, small beside tagging it.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from model.inputs import Fields, Record, detect_format, json_lines, read_records

DATE_FIELDS = ("date", "published")


@dataclass
class DatedRecord(Record):
    """A record with its publication date (None when it has none), or why that is unusable."""

    published: date | None = None
    date_error: str | None = None


def parse_published(value) -> date | None:
    """The calendar date of a ``date``/``published`` value; None for no value (None, "").

    Raises TypeError for a value that is not a string and ValueError for a string that is not
    an ISO date or date-time; the message is the reason.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise TypeError(f"is a {type(value).__name__}, not an ISO date string")
    text = value.strip()
    try:
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def date_value(values: dict) -> tuple[str | None, object]:
    """(field name, raw value) of the first of :data:`DATE_FIELDS` holding a value, else (None, None)."""
    for name in DATE_FIELDS:
        value = values.get(name)
        if value is not None and value != "":
            return name, value
    return None, None


def dated_records(path: Path, fields: Fields | None = None, fmt: str = "auto") -> Iterator[DatedRecord]:
    """Every record of ``path`` (as :func:`model.inputs.read_records` yields them, in order)
    with its publication date; see the module docstring."""
    path = Path(path)
    records = read_records(path, fields, fmt)
    fmt = detect_format(path) if fmt == "auto" else fmt
    values = _values_by_line(path, fmt) if fmt in ("jsonl", "csv") and not path.is_dir() else iter(())
    pending: tuple[int, dict] | None = next(values, None)
    for record in records:
        dated = DatedRecord(**vars(record))
        # Records and values come in file order; skip values of lines that gave no record.
        while pending is not None and record.line is not None and pending[0] < record.line:
            pending = next(values, None)
        if pending is not None and record.line is not None and pending[0] == record.line:
            name, raw = date_value(pending[1])
            try:
                dated.published = parse_published(raw)
            except (TypeError, ValueError) as error:
                dated.date_error = f"bad {name} field: {error}"
        yield dated


def _values_by_line(path: Path, fmt: str) -> Iterator[tuple[int, dict]]:
    """(first line, field values) of each JSON object / CSV row of ``path``, numbered as
    :mod:`model.inputs` numbers records; stops quietly where the file becomes unreadable
    (the reader reports that)."""
    try:
        if fmt == "jsonl":
            for item in json_lines(path):
                if item.value is not None:
                    yield item.line, item.value
            return
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as binary:
            stream = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.DictReader(stream)
            if reader.fieldnames is None:  # reads the header row, as the reader does: lines count alike
                return
            line = reader.line_num
            for row in reader:
                start, line = line + 1, reader.line_num
                yield start, row
    except (OSError, EOFError, ValueError, csv.Error):
        return

