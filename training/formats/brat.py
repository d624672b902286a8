"""brat standoff: ``<name>.txt`` + ``<name>.ann``; text-bound (T) annotations are spans.

Read contract: PATH is a folder (every ``*.ann`` below it, each with its ``.txt`` beside it)
or one ``.ann``/``.txt`` file of a pair. The record id is the file stem. ``T`` lines
``T1<TAB>LABEL START END<TAB>text`` become spans; a discontinuous span
(``START END;START END``) is a problem, since a rasd span is one contiguous range. Relations,
events, attributes and notes are counted in a note, not imported. Offsets are character
offsets into the .txt as stored (a ``\\r`` counts), which is what brat uses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from model.schema import Schema
from training.formats.common import (
    RawSpan,
    ReadOptions,
    Source,
    read_text_exact,
    spans_by_layer,
    write_text,
)
from training.validate import Problem

_OFFSETS = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_UNSAFE = re.compile(r"[^\w.-]+")


def _pairs(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.ann"))
    return [path.with_suffix(".ann")]


def _parse_ann(source: Source, ann: Path) -> None:
    ignored: Counter = Counter()
    for number, line in enumerate(read_text_exact(ann).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if not line.startswith("T"):
            ignored[line[:1]] += 1
            continue
        parts = line.split("\t")
        label, _, offsets = parts[1].partition(" ") if len(parts) > 1 else ("", "", "")
        if len(parts) < 2 or not _OFFSETS.match(offsets):
            source.problems.append(Problem(str(ann), number, f"malformed T line {line!r}"))
            continue
        fragments = [tuple(map(int, fragment.split())) for fragment in offsets.split(";")]
        if len(fragments) > 1:
            source.problems.append(Problem(str(ann), number, f"discontinuous span {parts[0]} {label} "
                                           f"({len(fragments)} fragments {offsets}): a span must be one range; "
                                           "split it into separate spans in brat"))
            continue
        (start, end), = fragments
        recorded = parts[2] if len(parts) > 2 else None
        # brat writes a span's line breaks as spaces in the .ann text column.
        if recorded is not None and recorded == re.sub(r"[\r\n]", " ", source.text[start:end]):
            recorded = source.text[start:end]
        source.spans.append(RawSpan(start, end, label, recorded, number))
    if ignored:
        listing = ", ".join(f"{kind}×{count}" for kind, count in ignored.items())
        source.notes.append(Problem(str(ann), 1, f"annotations that are not text-bound ignored: {listing}"))


def read(path: Path, options: ReadOptions) -> Iterator[Source]:
    """Parse brat pairs; positions are .ann line numbers (1 for the document itself)."""
    for ann in _pairs(Path(path)):
        txt = ann.with_suffix(".txt")
        source = Source(str(ann), 1, ann.stem, "")
        if not txt.is_file() or not ann.is_file():
            missing = txt if not txt.is_file() else ann
            source.problems.append(Problem(str(ann), 1, f"{missing.name} is missing: brat needs a .txt and an .ann"))
            yield source
            continue
        source.text = read_text_exact(txt)
        _parse_ann(source, ann)
        yield source


def file_stem(doc_id: str) -> str:
    """A file name for a record id (characters outside word, dot and dash become '_')."""
    return _UNSAFE.sub("_", doc_id) or "document"


def _visual_conf(schema: Schema, labels: list[str]) -> str:
    colours = schema.colours()
    return "[labels]\n\n[drawing]\n" + "".join(f"{label}\tbgColor:{colours[label]}\n" for label in labels)


def write(records: list[dict], out: Path, schema: Schema) -> None:
    """One .txt/.ann pair per record in folder ``out``, plus annotation.conf and visual.conf.

    The file name is the record id with unsafe characters replaced (see :func:`file_stem`);
    ids that would collide are refused (ValueError) rather than overwritten.
    """
    out = Path(out)
    stems: dict[str, str] = {}
    for record in records:
        stem = file_stem(str(record["id"]))
        if stems.setdefault(stem, str(record["id"])) != str(record["id"]):
            raise ValueError(f"ids {stems[stem]!r} and {record['id']!r} would both be written as {stem}.txt")
    out.mkdir(parents=True, exist_ok=True)
    for record in records:
        lines, number = [], 0
        for spans in spans_by_layer(record, schema).values():
            for span in spans:
                number += 1
                shown = re.sub(r"[\r\n]", " ", record["text"][span["start"]:span["end"]])
                lines.append(f"T{number}\t{span['label']} {span['start']} {span['end']}\t{shown}\n")
        stem = file_stem(str(record["id"]))
        write_text(out / f"{stem}.txt", record["text"])
        write_text(out / f"{stem}.ann", "".join(lines))
    labels = [label for layer in schema.layer_names for label in schema.labels(layer)]
    write_text(out / "annotation.conf", "[entities]\n" + "".join(f"{label}\n" for label in labels)
               + "\n[relations]\n\n[events]\n\n[attributes]\n")
    write_text(out / "visual.conf", _visual_conf(schema, labels))
