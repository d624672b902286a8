"""Build gold annotation records from ``.marks`` files, so no offset is ever typed by hand.

A marks file names one document (first line ``doc: seeds/<file>.txt``; an optional
``origin: <name>`` line after it goes into ``meta.origin``, e.g. ``written`` for the team's
own training articles) and then lists
the spans an annotator marked, one per line::

    LABEL<TAB>surface words

Lines starting with ``#`` are comments. Each layer keeps a cursor: a mark is looked up at
or after the end of the previous mark *of the same layer*, on whole-word boundaries, so
marks of one layer are written in reading order (entities inside a claim come after the
claim line or before it, either works, because the layers' cursors are independent).
Writing ``LABEL<TAB>surface<TAB>skip=N`` skips N further whole-word occurrences first.

``python -m training.marks FILE.marks ... --out annotations/seeds.jsonl`` resolves every
file, reports every mark it cannot place (file:line, label, surface, reason) and writes the
JSONL only when all marks resolve. It does not judge boundaries or labels beyond that: run
the validator on the output.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import typer

from model.paths import REPO_ROOT, SCHEMA_PATH
from model.schema import Schema
from model.words import cuts_word


@dataclass
class MarkError:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def _find_whole_words(text: str, surface: str, start: int) -> int:
    """First index >= start where ``surface`` occurs as whole words, or -1."""
    index = text.find(surface, start)
    while index != -1:
        if cuts_word(text, index, index + len(surface)) is None:
            return index
        index = text.find(surface, index + 1)
    return -1


def resolve_marks(path: Path, schema: Schema) -> tuple[dict | None, list[MarkError]]:
    """Turn one marks file into an annotation record; returns (record or None, errors)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    errors: list[MarkError] = []
    if not lines or not lines[0].startswith("doc:"):
        return None, [MarkError(f"{path}:1", "first line must be 'doc: seeds/<file>.txt'")]
    source = lines[0].removeprefix("doc:").strip()
    text = (REPO_ROOT / source).read_text(encoding="utf-8")
    cursors: dict[str, int] = {}
    spans = []
    origin = None
    if len(lines) > 1 and lines[1].startswith("origin:"):
        origin = lines[1].removeprefix("origin:").strip()
    for number, line in enumerate(lines[1:], start=2):
        if number == 2 and origin is not None:
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path}:{number}"
        if len(fields) not in (2, 3):
            errors.append(MarkError(where, f"expected LABEL<TAB>surface[<TAB>skip=N], got {line!r}"))
            continue
        label, surface = fields[0].strip(), fields[1].strip()
        skip = int(fields[2].strip().removeprefix("skip=")) if len(fields) == 3 else 0
        layer = schema.layer_of(label)
        if layer is None:
            errors.append(MarkError(where, f"unknown label {label!r} for {surface!r}"))
            continue
        index = _find_whole_words(text, surface, cursors.get(layer, 0))
        for _ in range(skip):
            if index == -1:
                break
            index = _find_whole_words(text, surface, index + len(surface))
        if index == -1:
            errors.append(
                MarkError(where, f"{label} {surface!r} not found as whole words after offset "
                                 f"{cursors.get(layer, 0)} (marks of layer {layer!r} must be in reading order)")
            )
            continue
        end = index + len(surface)
        cursors[layer] = end
        spans.append({"start": index, "end": end, "label": label, "text": text[index:end]})
    spans.sort(key=lambda span: (span["start"], span["end"]))
    doc_id = Path(source).stem
    meta = {"source": source, **({"origin": origin} if origin else {})}
    return {"id": doc_id, "text": text, "spans": spans, "meta": meta}, errors


def _bracketed(record: dict, schema: Schema, layer: str) -> str:
    """The document text with one layer's spans written as [LABEL words]."""
    text, pieces, cursor = record["text"], [], 0
    for span in record["spans"]:
        if schema.layer_of(span["label"]) != layer or span["start"] < cursor:
            continue
        pieces += [text[cursor : span["start"]], f"[{span['label']} ", text[span["start"] : span["end"]], "]"]
        cursor = span["end"]
    return "".join(pieces) + text[cursor:]


def main(
    marks: list[Path] = typer.Argument(..., help="marks files, one per document"),
    out: Path = typer.Option(None, help="JSONL to write when every mark resolves"),
    schema_path: Path = typer.Option(SCHEMA_PATH, "--schema"),
    show: bool = typer.Option(False, help="print each document with its spans bracketed, per layer"),
) -> None:
    """Resolve marks files into annotation records (see the module docstring for the format)."""
    schema = Schema.load(schema_path)
    records, errors = [], []
    for path in marks:
        record, problems = resolve_marks(path, schema)
        errors += problems
        if record:
            records.append(record)
            print(f"{path}: {len(record['spans'])} spans", file=sys.stderr)
            if show:
                for layer in schema.layer_names:
                    print(f"===== {record['id']} layer {layer}")
                    print(_bracketed(record, schema, layer))
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        raise typer.Exit(1)
    if out:
        with out.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"wrote {len(records)} records to {out}", file=sys.stderr)


if __name__ == "__main__":
    typer.run(main)
