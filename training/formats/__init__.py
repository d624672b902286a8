"""Annotation formats: import from and export to Label Studio, doccano, brat and CoNLL.

``import_annotations`` parses with the format's module and checks with
:func:`training.formats.common.collect` (what is written, what is reported: see there);
``export_annotations`` refuses input that does not validate, since every format's offsets
and CoNLL's word tags assume whole-word, non-overlapping spans.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from model.schema import Schema
from training.formats.common import (
    ImportOptions,
    ImportResult,
    ReadOptions,
    collect,
    read_annotations,
)
from training.validate import Problem, validate

FORMATS = ("labelstudio", "doccano", "brat", "conll")


def _module(name: str):
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")
    return import_module(f"training.formats.{name}")


def import_annotations(name: str, path: str | Path, options: ImportOptions,
                       read_options: ReadOptions | None = None) -> ImportResult:
    """Read ``path`` in format ``name``; return the clean records, problems and notes.

    A format that parses smaller units than documents (CoNLL: sentences, so that a problem
    drops only its sentence) joins the checked units back into documents with its ``assemble``.
    """
    module = _module(name)
    sources = list(module.read(Path(path), read_options or ReadOptions()))
    result = collect(sources, options)
    assemble = getattr(module, "assemble", None)
    return assemble(sources, result) if assemble else result


def export_annotations(name: str, paths: list[Path], out: str | Path, schema: Schema,
                       layer: str | None = None) -> list[Problem]:
    """Write the records of ``paths`` to ``out`` in format ``name``; only ``layer``'s spans if given.

    Returns the validation problems instead of writing when there are any. For CoNLL the
    layer defaults to the schema's first; the other formats carry every layer by default.
    """
    module = _module(name)
    if layer is not None and layer not in schema.layer_names:
        raise ValueError(f"layer {layer!r} is not in the schema (layers: {', '.join(schema.layer_names)})")
    report = validate(paths, schema)
    if not report.ok:
        return report.problems
    records = [record for path in paths for record in read_annotations(path)]
    if layer is not None:
        records = [{**record, "spans": [span for span in record["spans"] if schema.layer_of(span["label"]) == layer]}
                   for record in records]
    if name == "conll":
        module.write(records, Path(out), schema, layer)
    else:
        module.write(records, Path(out), schema)
    return []
