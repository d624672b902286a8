"""The events CSV of batch scoring (``--events``): one row per (claim sentence, claim type).

Built from the results JSONL once a run has finished (:func:`write_events`), so it always
matches that file, resumed documents included; a rerun of a finished run rescores nothing
and rewrites the CSV. Columns (:data:`COLUMNS`) take ACLED's names where they mean the same
thing and plain names where rasd has no ACLED equivalent:

=================  ===========================================================================
``document_id``    the record's id
``published``      the article's date as given in the input (``date``/``published``), or empty
``event_date``     ACLED's: the first date expression of the sentence that resolves, as an ISO
                   value at its precision (``2015-08-06``, ``2015-W31``, ``2015-08``, ``2015``);
                   empty when none resolves (the article's date is not copied in)
``date_precision`` day, week, month or year (ACLED's numeric ``time_precision`` differs)
``event_type``     ACLED's name, rasd's claim types (AIRSTRIKE, CASUALTIES, …)
``score``          the type's probability for this sentence
``actor1``         ACLED's: the first actor (PER/ORG/MIL) named in the sentence. There is no
                   ``actor2``: the order of mention does not tell the other side from an ally
``actors``         every actor of the sentence
``location``       ACLED's: the first place (GPE/LOC/FAC) named in the sentence
``places``         every place of the sentence
``dates``          every date expression, ``text (value)`` when it resolves
``quantities``     every quantity, ``text (value, qualifier)``; ``text (qualifier)`` for a
                   vague count (عشرات)
``fatalities``     ACLED's: for CASUALTIES rows, the first quantity of the sentence with a
                   parsed number (it may count the wounded or lost vehicles: check ``quantities``)
``weapons``        every weapon of the sentence
``source``         ACLED's: whom the claim is attributed to, as written
``source_kind``    named or anonymous
``notes``          ACLED's: the sentence itself
``start``/``end``  the sentence's offsets into the document text, end exclusive
=================  ===========================================================================

Several values in one cell are joined with ``"; "``. The file is UTF-8 with a byte order
mark (Excel reads UTF-8 without one as a legacy code page and garbles the Arabic; Python
reads it with ``encoding="utf-8-sig"``) and CRLF line ends. A text cell that a spreadsheet
would take for a formula (it starts with ``=`` ``+`` ``-`` ``@``, a tab or CR: a bullet line,
or a scraped page that plants one) gets a leading ``'``; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from model.inputs import json_lines

COLUMNS = ("document_id", "published", "event_date", "date_precision", "event_type", "score", "actor1", "actors",
           "location", "places", "dates", "quantities", "fatalities", "weapons", "source", "source_kind", "notes",
           "start", "end")
SEPARATOR = "; "
ENCODING = "utf-8-sig"
CASUALTIES = "CASUALTIES"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def event_rows(result: dict) -> Iterator[dict]:
    """The rows of one results line (``{"id", "date", "claims": [...]}``): one per claim
    sentence and type, in the order of the sentences and of their types (highest score first)."""
    for claim in result.get("claims") or []:
        event = claim.get("event") or {}
        actors, places = event.get("actors") or [], event.get("places") or []
        dates, quantities = event.get("dates") or [], event.get("quantities") or []
        resolved = next((item for item in dates if item.get("value")), None)
        counted = next((item for item in quantities if item.get("value") is not None), None)
        shared = {
            "document_id": result.get("id"),
            "published": result.get("date") or "",
            "event_date": resolved["value"] if resolved else "",
            "date_precision": resolved["precision"] if resolved else "",
            "actor1": actors[0]["text"] if actors else "",
            "actors": _joined(actors),
            "location": places[0]["text"] if places else "",
            "places": _joined(places),
            "dates": SEPARATOR.join(_date_cell(item) for item in dates),
            "quantities": SEPARATOR.join(_quantity_cell(item) for item in quantities),
            "weapons": _joined(event.get("weapons") or []),
            "source": event.get("source") or "",
            "source_kind": event.get("source_kind") or "",
            "notes": claim["text"],
            "start": claim["start"],
            "end": claim["end"],
        }
        for kind in claim.get("types") or []:
            fatalities = counted["value"] if counted and kind["label"] == CASUALTIES else ""
            yield {**shared, "event_type": kind["label"], "score": kind["score"], "fatalities": fatalities}


def write_events(results: Path, out: Path) -> int:
    """Write the events CSV of the results JSONL ``results`` to ``out`` (atomically: a crash
    leaves the previous file or none); return the number of rows. Streams both files.
    Raises ValueError at a line of ``results`` that is not a JSON object."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    rows = 0
    try:
        with os.fdopen(handle, "w", encoding=ENCODING, newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            if Path(results).exists():
                for item in json_lines(Path(results)):
                    if item.error:
                        raise ValueError(f"{results}:{item.line}: {item.error}")
                    for row in event_rows(item.value):
                        writer.writerow({key: _safe(value) for key, value in row.items()})
                        rows += 1
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return rows


def _joined(items: list[dict]) -> str:
    return SEPARATOR.join(item["text"] for item in items)


def _date_cell(item: dict) -> str:
    return f"{item['text']} ({item['value']})" if item.get("value") else item["text"]


def _quantity_cell(item: dict) -> str:
    parsed = [str(item["value"])] if item.get("value") is not None else []
    if item.get("qualifier") not in (None, "exact", "unknown"):
        parsed.append(item["qualifier"])
    return f"{item['text']} ({', '.join(parsed)})" if parsed else item["text"]


def _safe(value):
    """A text cell that a spreadsheet would evaluate as a formula, defused with a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
