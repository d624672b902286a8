"""What the four annotation formats share: the import checks, label mapping, edge snapping,
schema generation, and reading/writing rasd annotation JSONL.

Import contract: a format module only parses. It turns its files into :class:`Source`
documents (text, spans with the labels the tool used, positions) plus the problems only the
format can see (a discontinuous brat span, an I- tag after O in strict IOB2), and never
judges labels or offsets. :func:`collect` then maps labels, optionally snaps edges, and
checks each record with the validator's own rules (``training.validate``), so an imported
file passes ``python -m training validate`` by construction.

Policy: a record with any problem is reported (file, line or task number, span, reason) and
NOT written, because writing it without its bad spans would teach the model that those
words are outside every span. Clean records are written. Notes are reported but are not
errors: edges snapped with ``--snap``, tool results that are not spans, documents without
text or without any finished annotation, labels the label map drops on purpose.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from model.inputs import json_lines
from model.schema import Schema
from model.words import cuts_word, is_word_char, word_spans
from training.validate import Problem, span_problems

# Colours for labels a generated schema does not find in the base schema.
_PALETTE = ("#f4a261", "#8ecae6", "#e76f51", "#90be6d", "#43aa8b", "#b5838d", "#ffd166", "#c9ada7",
            "#9d4edd", "#577590", "#d62828", "#f77f00", "#2a9d8f", "#bc6c25")


@dataclass
class RawSpan:
    """A span as the tool stored it: its own label, and the text it recorded when it did."""

    start: int
    end: int
    label: str
    text: str | None = None
    line: int | None = None  # the span's own line in the source (brat .ann, CoNLL), if it has one


@dataclass
class Source:
    """One parsed document. ``line`` is a line number, or the 1-based task index in a JSON array."""

    path: str
    line: int
    id: str
    text: str
    spans: list[RawSpan] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    skip: str | None = None  # why this document is deliberately not imported (reported as a note)


@dataclass
class ReadOptions:
    """Parsing options; each format reads the ones that concern it."""

    text_field: str = "text"  # Label Studio data field / doccano key holding the text
    scheme: str = "auto"  # CoNLL: auto | iob1 | iob2
    # CoNLL: cut documents every N sentences (0: at -DOCSTART- only; None: at -DOCSTART- when the
    # file has any, else every conll.SENTENCES_PER_DOC sentences).
    sentences_per_doc: int | None = None


@dataclass
class ImportOptions:
    schema: Schema  # labels must come from it, unless ``layer`` generates one
    label_map: dict[str, str | None] = field(default_factory=dict)
    layer: str | None = None  # generate a schema putting every label found into this layer
    snap: bool = False  # move edges that cut a word (or sit on space/punctuation) to whole words


@dataclass
class ImportResult:
    records: list[dict]
    problems: list[Problem]
    notes: list[Problem]
    schema: Schema
    dropped: Counter = field(default_factory=Counter)  # labels the label map sent to null
    summary: list[str] = field(default_factory=list)  # counts a format sums up (CoNLL: sentences kept, dropped)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_label_map(path: str | Path | None) -> dict[str, str | None]:
    """A YAML mapping ``tool label: schema label`` (null drops the label on purpose)."""
    if path is None:
        return {}
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not all(value is None or isinstance(value, str) for value in raw.values()):
        raise ValueError(f"{path}: a label map is a mapping of label -> label (or null to drop it)")
    return {str(key): value for key, value in raw.items()}


def generate_schema(layer: str, labels: Iterable[str], base: Schema | None = None, origin: str = "") -> Schema:
    """A one-layer schema with ``labels`` in first-seen order; colours reused from ``base``."""
    known = base.colours() if base else {}
    names = list(dict.fromkeys(labels))
    body = {name: {"definition": f"imported label{f' from {origin}' if origin else ''}",
                   "colour": known.get(name, _PALETTE[index % len(_PALETTE)])}
            for index, name in enumerate(names)}
    if not body:
        raise ValueError(f"no labels found{f' in {origin}' if origin else ''}: cannot generate a schema")
    return Schema.from_dict({"version": 1, "layers": {layer: {"labels": body}}}, origin=origin or "<generated>")


def snap_to_words(text: str, start: int, end: int, words: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Trim space/punctuation at the edges, then widen each edge to its whole word."""
    while start < end and not is_word_char(text[start]):
        start += 1
    while end > start and not is_word_char(text[end - 1]):
        end -= 1
    if start == end:
        return None
    starts = [s for s, _ in words]
    first = bisect.bisect_right(starts, start) - 1
    last = bisect.bisect_right(starts, end - 1) - 1
    return words[first][0], words[last][1]


def _span_dict(source: Source, raw: RawSpan, label: str, options: ImportOptions,
               notes: list[Problem], words: list) -> dict:
    start, end = raw.start, raw.end
    in_range = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(source.text)
    span = {"start": start, "end": end, "label": label, "text": raw.text}
    if raw.text is None:
        span["text"] = source.text[start:end] if in_range else ""
    # Only a span whose text agrees with its offsets is snapped: a misplaced one stays a problem.
    agrees = in_range and span["text"] == source.text[start:end]
    if options.snap and agrees and cuts_word(source.text, start, end):
        if not words:
            words.extend(word_spans(source.text))
        snapped = snap_to_words(source.text, start, end, words)
        if snapped:
            span.update(start=snapped[0], end=snapped[1], text=source.text[snapped[0]:snapped[1]])
            notes.append(Problem(source.path, raw.line or source.line,
                                 f"snapped [{start}:{end}] {source.text[start:end]!r} to whole words", span))
    return span


def _check(source: Source, options: ImportOptions, schema: Schema, dropped: Counter) -> tuple[dict, list, list]:
    notes, words, spans, lines = list(source.notes), [], [], {}
    for raw in source.spans:
        label = options.label_map.get(raw.label, raw.label) if raw.label in options.label_map else raw.label
        if label is None:
            dropped[raw.label] += 1
            continue
        span = _span_dict(source, raw, label, options, notes, words)
        lines[(span["start"], span["end"], label)] = raw.line
        spans.append(span)
    spans.sort(key=lambda span: (span["start"], span["end"], span["label"]))
    record = {"id": source.id, "text": source.text, "spans": spans,
              "meta": {"imported_from": source.path, **source.meta}}
    problems = list(source.problems)
    for problem in span_problems(record, schema, source.path, source.line):
        key = problem.span and (problem.span.get("start"), problem.span.get("end"), problem.span.get("label"))
        # A span with a line of its own (brat, CoNLL) is reported there, not at its document.
        problem = replace(problem, line=lines.get(key) or problem.line) if key else problem
        problems.append(_with_snap_hint(problem, source.text, words) if not options.snap else problem)
    return record, problems, notes


def _with_snap_hint(problem: Problem, text: str, words: list) -> Problem:
    """A word-edge problem that ``--snap`` would fix, saying so and where the span would go."""
    span = problem.span or {}
    start, end = span.get("start"), span.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not problem.reason.startswith("span "):
        return problem
    if not (0 <= start < end <= len(text)) or span.get("_slice", text[start:end]) != text[start:end] \
            or not cuts_word(text, start, end):
        return problem
    if not words:
        words.extend(word_spans(text))
    snapped = snap_to_words(text, start, end, words)
    if snapped is None:
        return problem
    return replace(problem, reason=f"{problem.reason}; --snap would make it [{snapped[0]}:{snapped[1]}] "
                                   f"{text[snapped[0]:snapped[1]]!r}")


def collect(sources: Iterable[Source], options: ImportOptions) -> ImportResult:
    """Map, snap and check parsed documents; see the module docstring for what is written."""
    sources = list(sources)
    schema = options.schema
    if options.layer:
        found = (options.label_map.get(raw.label, raw.label) if raw.label in options.label_map else raw.label
                 for source in sources for raw in source.spans)
        schema = generate_schema(options.layer, (label for label in found if label is not None), options.schema,
                                 origin=", ".join(dict.fromkeys(source.path for source in sources)))
    result = ImportResult([], [], [], schema)
    seen: dict[str, str] = {}
    for source in sources:
        if source.skip is None and not source.text.strip() and not source.spans and not source.problems:
            source.skip = "empty document"
        if source.skip:
            result.notes += source.notes + [Problem(source.path, source.line, f"{source.skip}: not imported")]
            continue
        record, problems, notes = _check(source, options, schema, result.dropped)
        if source.id in seen:
            problems.append(Problem(source.path, source.line,
                                    f"duplicate id {source.id!r} (first at {seen[source.id]})"))
        seen.setdefault(source.id, f"{source.path}:{source.line}")
        result.notes += notes
        result.problems += problems
        if not problems:
            result.records.append(record)
    return result


def read_annotations(path: str | Path) -> list[dict]:
    """The records of a rasd annotation JSONL file (blank lines skipped; no span checks here).
    Raises ValueError at the first line that is not a JSON object (``make validate`` lists them all)."""
    records = []
    for item in json_lines(Path(path)):
        if item.error:
            raise ValueError(f"{path}:{item.line}: {item.error}")
        records.append(item.value)
    return records


def write_jsonl(records: Iterable[dict], path: str | Path) -> None:
    """Write one JSON object per line, UTF-8, atomically (temporary file, then rename)."""
    write_text(path, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))


def write_text(path: str | Path, content: str) -> None:
    """Write ``content`` atomically; a crash never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(content)
    os.replace(temporary, path)


def read_text_exact(path: str | Path) -> str:
    """A UTF-8 file as stored: no newline translation, since offsets count every \\r."""
    return Path(path).read_bytes().decode("utf-8")


def spans_by_layer(record: dict, schema: Schema) -> dict[str, list[dict]]:
    """The record's spans grouped per schema layer (schema order), each sorted by start."""
    layers: dict[str, list[dict]] = {layer: [] for layer in schema.layer_names}
    for span in sorted(record["spans"], key=lambda span: (span["start"], span["end"])):
        layers[schema.layer_of(span["label"])].append(span)
    return layers
