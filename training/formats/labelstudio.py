"""Label Studio: read a JSON export, write importable tasks, build the labeling config.

Read contract: the "JSON" export (a list of tasks, or one task object). Per task, the text is
``data[<text field>]``; the annotation used is the latest one not cancelled (``updated_at``,
then ``created_at``, then ``id``); its ``labels`` results become spans, one per label named.
Other result types (relations, choices, text areas) are counted in a note, not imported.
Tasks with no usable annotation are noted and skipped: importing them as documents with no
spans would teach the model that nothing in them is worth a label.

Offsets: Label Studio counts in JavaScript string units (UTF-16). They equal Python indices
unless the text holds characters beyond the BMP (emoji); when ``value.text`` shows that the
offsets are UTF-16, they are converted (and noted). Exports write UTF-16 offsets likewise.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

from model.schema import Schema
from training.formats.common import RawSpan, ReadOptions, Source, spans_by_layer, write_text
from training.validate import Problem

TO_NAME = "text"


def _has_astral(text: str) -> bool:
    return any(ord(char) > 0xFFFF for char in text)


def to_utf16(text: str, index: int) -> int:
    """A Python str index as a JavaScript (UTF-16) index into the same text."""
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


def from_utf16(text: str, unit: int) -> int | None:
    """A JavaScript (UTF-16) index as a Python str index; None if it splits a surrogate pair."""
    position = 0
    for index, char in enumerate(text):
        if position == unit:
            return index
        position += 2 if ord(char) > 0xFFFF else 1
        if position > unit:
            return None
    return len(text) if position == unit else None


def latest_annotation(annotations: list[dict]) -> dict | None:
    """The most recent annotation that was not cancelled, or None."""
    kept = [item for item in annotations if isinstance(item, dict) and not item.get("was_cancelled")]
    return max(kept, key=lambda item: (str(item.get("updated_at") or item.get("created_at") or ""),
                                       item.get("id") or 0), default=None)


def _result_spans(source: Source, results: list, task_line: int) -> Counter:
    """Append the task's label spans to ``source``; return the other result types seen."""
    ignored: Counter = Counter()
    for result in results:
        if not isinstance(result, dict) or result.get("type") != "labels":
            ignored[result.get("type", "?") if isinstance(result, dict) else "?"] += 1
            continue
        value = result.get("value") or {}
        start, end, text = value.get("start"), value.get("end"), value.get("text")
        if isinstance(start, int) and isinstance(end, int) and isinstance(text, str) \
                and source.text[start:end] != text and _has_astral(source.text):
            converted = (from_utf16(source.text, start), from_utf16(source.text, end))
            if None not in converted and source.text[converted[0]:converted[1]] == text:
                source.notes.append(Problem(source.path, task_line, f"UTF-16 offsets [{start}:{end}] "
                                            f"read as [{converted[0]}:{converted[1]}] {text!r}"))
                start, end = converted
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels:
            source.problems.append(Problem(source.path, task_line, f"result {result.get('id')!r} has no labels"))
            continue
        for label in labels:
            source.spans.append(RawSpan(start, end, str(label), text))
    return ignored


def read(path: Path, options: ReadOptions) -> Iterator[Source]:
    """Parse a Label Studio JSON export; positions are 1-based task indices."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    tasks = raw if isinstance(raw, list) else [raw]
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get(options.text_field) if isinstance(data, dict) else None
        doc_id = str(data.get("id", f"{Path(path).stem}-{task.get('id', number)}")) if isinstance(data, dict) else ""
        source = Source(str(path), number, doc_id, text if isinstance(text, str) else "",
                        meta={"task": task.get("id")} if isinstance(task, dict) else {})
        if not isinstance(text, str):
            fields = sorted(data) if isinstance(data, dict) else []
            source.problems.append(Problem(str(path), number, f"task has no text in data.{options.text_field} "
                                           f"(data fields: {', '.join(fields) or 'none'}); see --text-field"))
            yield source
            continue
        annotation = latest_annotation(task.get("annotations") or [])
        if annotation is None:
            source.skip = "no annotation that is not cancelled"
            yield source
            continue
        ignored = _result_spans(source, annotation.get("result") or [], number)
        if ignored:
            listing = ", ".join(f"{kind}×{count}" for kind, count in ignored.items())
            source.notes.append(Problem(str(path), number, f"results that are not spans ignored: {listing}"))
        yield source


def span_result(text: str, span: dict, layer: str, index: int, score: float | None = None) -> dict:
    """One Label Studio ``labels`` region for a span of ``layer`` (offsets in UTF-16 units)."""
    result = {"id": f"{layer}-{index}", "from_name": layer, "to_name": TO_NAME, "type": "labels",
              "value": {"start": to_utf16(text, span["start"]), "end": to_utf16(text, span["end"]),
                        "text": text[span["start"]:span["end"]], "labels": [span["label"]]}}
    if score is not None:
        result["score"] = round(float(score), 4)
    return result


def results_for(record: dict, schema: Schema, scores: bool = False) -> list[dict]:
    """Every span of a record as Label Studio results, numbered per layer."""
    return [span_result(record["text"], span, layer, index, span.get("score") if scores else None)
            for layer, spans in spans_by_layer(record, schema).items()
            for index, span in enumerate(spans, start=1)]


def labeling_config(schema: Schema) -> str:
    """A labeling config XML: one <Labels> per schema layer (schema colours), right-to-left text."""
    blocks = []
    for layer in schema.layer_names:
        labels = "".join(f"\n    <Label value={quoteattr(label.name)} background={quoteattr(label.colour)}/>"
                         for label in schema.layers[layer])
        blocks.append(f"  <Header value={quoteattr(layer)}/>\n  <Labels name={quoteattr(layer)} "
                      f"toName=\"{TO_NAME}\">{labels}\n  </Labels>")
    return ("<View>\n" + "\n".join(blocks) + f"\n  <View style=\"direction: rtl; text-align: right\">\n"
            f"    <Text name=\"{TO_NAME}\" value=\"$text\"/>\n  </View>\n</View>\n")


def config_path(out: Path) -> Path:
    """Where the labeling config goes beside ``out``: tasks.json -> tasks.config.xml."""
    return Path(out).with_suffix(".config.xml")


def write_tasks(tasks: list[dict], out: Path, schema: Schema) -> None:
    """Write tasks as one JSON array, and the labeling config beside them."""
    write_text(out, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    write_text(config_path(out), labeling_config(schema))


def write(records: list[dict], out: Path, schema: Schema) -> None:
    """Records as Label Studio tasks with one finished annotation each (importable as-is)."""
    tasks = [{"data": {TO_NAME: record["text"], "id": record["id"]},
              "annotations": [{"result": results_for(record, schema), "was_cancelled": False}]}
             for record in records]
    write_tasks(tasks, out, schema)
