"""Validate annotation JSONL files: every problem reported, one line each, never just the first.

Input contract: JSONL files with one document per line,
``{"id", "text", "spans": [{"start", "end", "label", "text"?}], "meta": {"source"?}}``;
offsets are Python str indices into ``text``, end exclusive. This module reads and judges;
it never rewrites a file.

Overlaps: spans of different layers may overlap. Inside a ``unit: span`` layer (entities,
sources) no two spans overlap. Inside a ``unit: sentence`` layer (claims), where a sentence's
gold is the set of labels of the spans touching it, spans may overlap only when their labels
differ: two identical whole-sentence spans with two labels are the two types of one sentence,
while two overlapping spans of one label would say the same thing twice.

``python -m training validate`` also checks the lexicon against the schema
(:func:`model.lexicon.check_lexicon`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from model.inputs import json_lines
from model.paths import ANNOTATIONS_DIR, ANNOTATIONS_GLOB, REPO_ROOT
from model.schema import Schema
from model.words import cuts_word


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one line (and, when it is about a span, that span)."""

    path: str
    line: int
    reason: str
    span: dict | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.span is None:
            return f"{where}: {self.reason}"
        text = self.span.get("_slice", self.span.get("text", ""))
        return (
            f"{where}: span [{self.span.get('start')}:{self.span.get('end')}] "
            f"{self.span.get('label')} {text!r}: {self.reason}"
        )


@dataclass
class Report:
    """Documents that parsed (even with span problems) and every problem found."""

    documents: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def span_problems(record: dict, schema: Schema, path: str, line: int) -> list[Problem]:
    """Every problem with the spans of one parsed record (text and spans already type-checked)."""
    text, problems = record["text"], []
    by_layer: dict[str, list[dict]] = defaultdict(list)
    for index, span in enumerate(record["spans"]):
        if not isinstance(span, dict):
            problems.append(Problem(path, line, f"spans[{index}] is not an object"))
            continue
        missing = [key for key in ("start", "end", "label") if key not in span]
        if missing:
            problems.append(Problem(path, line, f"spans[{index}] is missing field(s) {', '.join(missing)}", span))
            continue
        start, end, label = span["start"], span["end"], span["label"]
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
            problems.append(Problem(path, line, "start and end must be integers", span))
            continue
        if not (0 <= start < end <= len(text)):
            problems.append(
                Problem(path, line, f"offsets out of range or empty (text has {len(text)} characters)", span)
            )
            continue
        shown = {**span, "_slice": text[start:end]}
        if "text" in span and span["text"] != text[start:end]:
            problems.append(Problem(path, line, f"span text {span['text']!r} differs from the slice", shown))
        layer = schema.layer_of(label)
        if layer is None:
            problems.append(Problem(path, line, f"label {label!r} is not in the schema", shown))
        else:
            by_layer[layer].append(shown)
        reason = cuts_word(text, start, end)
        if reason:
            problems.append(Problem(path, line, reason, shown))
    for layer, spans in by_layer.items():
        sentence_unit = schema.unit(layer) == "sentence"
        groups: dict[str, list[dict]] = defaultdict(list)
        for span in spans:  # a sentence layer's spans only clash with spans of their own label
            groups[span["label"] if sentence_unit else ""].append(span)
        for group in groups.values():
            problems += _overlaps(group, layer, sentence_unit, path, line)
    return problems


def _overlaps(spans: list[dict], layer: str, same_label: bool, path: str, line: int) -> list[Problem]:
    """A problem for each span that overlaps the one before it (by start, then end)."""
    spans = sorted(spans, key=lambda span: (span["start"], span["end"]))
    suffix = " (spans of one label may not overlap in a sentence layer)" if same_label else ""
    return [Problem(path, line, f"overlaps {previous['label']} {previous['_slice']!r} "
                                f"[{previous['start']}:{previous['end']}] in layer {layer!r}{suffix}", current)
            for previous, current in pairwise(spans) if current["start"] < previous["end"]]


def _record_problems(record: dict, schema: Schema, path: str, line: int) -> tuple[dict | None, list[Problem]]:
    missing = [key for key in ("id", "text", "spans") if key not in record]
    if missing:
        return None, [Problem(path, line, f"missing field(s): {', '.join(missing)}")]
    if not isinstance(record["text"], str):
        return None, [Problem(path, line, "field 'text' must be a string")]
    if not isinstance(record["spans"], list):
        return None, [Problem(path, line, "field 'spans' must be a list")]
    problems = span_problems(record, schema, path, line)
    source = (record.get("meta") or {}).get("source")
    if source:
        source_path = REPO_ROOT / source  # meta.source is relative to the checkout (seeds/...)
        if not source_path.is_file():
            problems.append(Problem(path, line, f"meta.source {source!r} does not exist"))
        elif source_path.read_text(encoding="utf-8") != record["text"]:
            problems.append(Problem(path, line, f"text differs from the seed file {source!r}"))
    return record, problems


def validate(paths: list[Path], schema: Schema) -> Report:
    """Read and check every line of every file; documents with only span problems are kept."""
    report = Report()
    seen_ids: dict[str, str] = {}
    for path in paths:
        for item in json_lines(path):
            number = item.line
            if item.error:
                report.problems.append(Problem(str(path), number, item.error))
                continue
            record, problems = _record_problems(item.value, schema, str(path), number)
            report.problems += problems
            if record is None:
                continue
            doc_id = str(record["id"])
            if doc_id in seen_ids:
                report.problems.append(Problem(str(path), number, f"duplicate id {doc_id!r} (first at {seen_ids[doc_id]})"))
            seen_ids[doc_id] = f"{path}:{number}"
            report.documents.append(record)
    return report


def count_table(documents: list[dict], schema: Schema) -> str:
    """A plain-text table: spans per label (rows, grouped by layer) per document (columns)."""
    ids = [str(doc["id"]) for doc in documents]
    counts = {doc_id: Counter(span["label"] for span in doc["spans"]) for doc_id, doc in zip(ids, documents)}
    short = [doc_id[:10] for doc_id in ids]
    width = max([12, *map(len, short)])
    header = f"{'layer':<9} {'label':<11}" + "".join(f"{name:>{width}}" for name in short) + f"{'total':>8}"
    rows = [header, "-" * len(header)]
    for layer in schema.layer_names:
        layer_total = Counter()
        for label in schema.labels(layer):
            per_doc = [counts[doc_id][label] for doc_id in ids]
            rows.append(f"{layer:<9} {label:<11}" + "".join(f"{n:>{width}}" for n in per_doc) + f"{sum(per_doc):>8}")
            for doc_id, n in zip(ids, per_doc):
                layer_total[doc_id] += n
        totals = [layer_total[doc_id] for doc_id in ids]
        rows.append(f"{layer:<9} {'(all)':<11}" + "".join(f"{n:>{width}}" for n in totals) + f"{sum(totals):>8}")
        rows.append("")
    return "\n".join(rows)


def resolve_paths(paths: list[Path] | None) -> list[Path]:
    """The files named, or every ``annotations/*.jsonl`` when none are."""
    if paths:
        return list(paths)
    return sorted(ANNOTATIONS_DIR.glob(ANNOTATIONS_GLOB))
