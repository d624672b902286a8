"""doccano sequence labelling JSONL: read either export variant, write the import format.

Read contract: one JSON object per line with the text under ``text`` (or ``--text-field``),
and spans either as ``label: [[start, end, label], ...]`` (also spelled ``labels``) or as
``entities: [{"id", "start_offset", "end_offset", "label"}]`` (the variant with relations;
relations are noted, not imported). Offsets are Python str indices. The record id is ``id``
when present, else ``<file stem>-<line>``. Other keys are kept in ``meta.doccano``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from model.schema import Schema
from training.formats.common import RawSpan, ReadOptions, Source, read_text_exact, write_jsonl
from training.validate import Problem

_SPAN_KEYS = ("label", "labels", "entities", "relations")


def _spans(item: dict, source: Source) -> None:
    if "entities" in item:
        for entity in item.get("entities") or []:
            if not isinstance(entity, dict) or not {"start_offset", "end_offset", "label"} <= set(entity):
                source.problems.append(Problem(source.path, source.line, f"entity {entity!r} needs "
                                               "start_offset, end_offset and label"))
                continue
            source.spans.append(RawSpan(entity["start_offset"], entity["end_offset"], str(entity["label"])))
        if item.get("relations"):
            source.notes.append(Problem(source.path, source.line,
                                        f"{len(item['relations'])} relation(s) not imported"))
        return
    for span in item.get("label", item.get("labels")) or []:
        if not isinstance(span, (list, tuple)) or len(span) != 3:
            source.problems.append(Problem(source.path, source.line, f"label {span!r} is not [start, end, label]"))
            continue
        source.spans.append(RawSpan(span[0], span[1], str(span[2])))


def read(path: Path, options: ReadOptions) -> Iterator[Source]:
    """Parse a doccano JSONL export; positions are line numbers."""
    stem = Path(path).stem
    for number, line in enumerate(read_text_exact(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            yield Source(str(path), number, f"{stem}-{number}", "",
                         problems=[Problem(str(path), number, f"invalid JSON: {error.msg} at column {error.colno}")])
            continue
        text = item.get(options.text_field) if isinstance(item, dict) else None
        if not isinstance(text, str):
            reason = f"no text in field {options.text_field!r}; see --text-field"
            yield Source(str(path), number, f"{stem}-{number}", "", problems=[Problem(str(path), number, reason)])
            continue
        extra = {key: value for key, value in item.items() if key not in (options.text_field, "id", *_SPAN_KEYS)}
        source = Source(str(path), number, str(item.get("id", f"{stem}-{number}")), text,
                        meta={"doccano": extra} if extra else {})
        _spans(item, source)
        yield source


def record_line(record: dict, spans: list[dict], extra: dict | None = None) -> dict:
    """One doccano line: ``id``, ``text``, ``label: [[start, end, label]]``, then any extra keys."""
    return {"id": record["id"], "text": record["text"],
            "label": [[span["start"], span["end"], span["label"]] for span in spans], **(extra or {})}


def write(records: list[dict], out: Path, schema: Schema) -> None:
    """Records as doccano JSONL (the ``label`` variant, importable into a sequence labelling project)."""
    write_jsonl((record_line(record, sorted(record["spans"], key=lambda span: (span["start"], span["end"])))
                 for record in records), out)
