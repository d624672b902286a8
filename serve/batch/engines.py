"""What both batch-scoring engines share: the options, one chunk's scoring, and the local engine.

An engine is a function ``(chunks, options) -> iterator of (chunk, ChunkResult)`` in input
order (:data:`Engine`); a chunk is a list of :class:`serve.batch.published.DatedRecord` (a
record and its publication date) that are tagged with one ``Predictor.predict`` call. :func:`local_engine` runs them in this process;
:mod:`serve.batch.ray_engine` runs the same :func:`score_chunk` on a Ray Data actor pool.
:mod:`serve.batch.run` picks one by name and writes the results; engines never write files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from model.inputs import Fields
from model.modeldir import CURRENT
from model.paths import MODELS_DIR
from serve.batch import chrome
from serve.batch.published import DatedRecord


@dataclass
class ScoreOptions:
    """How to score; the CLI's flags map one to one onto these fields."""

    model_dir: Path = MODELS_DIR / CURRENT
    device: str = "auto"
    quantize: str = "none"  # none | int8 (CPU only)
    threads: int = 0  # torch threads (per actor with Ray); 0: physical cores, 1 per actor on Ray
    clean: bool = True
    chunk_size: int = 64  # documents per Predictor call
    fields: Fields = field(default_factory=Fields)
    fmt: str = "auto"
    engine: str = "local"  # local | ray
    concurrency: int = 0  # Ray actors; 0: cluster CPUs / threads (GPUs with cuda)
    progress: bool = True
    events: Path | None = None  # also write the events CSV (serve.batch.events) here at the end


@dataclass
class ChunkResult:
    """Per document of a chunk, in order: its output line (JSON, no newline) or an error reason."""

    lines: list[str | None]
    errors: list[str | None]
    tokens: int


Engine = Callable[[Iterable[list[DatedRecord]], ScoreOptions], Iterator[tuple[list[DatedRecord], ChunkResult]]]


def default_threads() -> int:
    """Physical cores available to this process: hyper-threads only slow matrix kernels down."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        physical = os.cpu_count() or 1
    return max(1, min(physical, len(os.sched_getaffinity(0))))


def score_chunk(predictor, ids: list[str], texts: list[str], clean: bool,
                dates: list[date | None] | None = None) -> ChunkResult:
    """Tag one chunk with a single ``predict`` call (one call per document if that fails, so one
    bad document costs only itself). ``dates``: each article's publication date or None, to
    resolve relative dates. Offsets and texts index the uncleaned ``texts``. A line is
    ``{"id", "model", "date": ISO date or null, <layer>: [...]}``."""
    inputs = [chrome.clean(text) for text in texts] if clean else list(texts)
    dates = list(dates) if dates is not None else [None] * len(texts)
    encoded = predictor.tokenizer(inputs, add_special_tokens=False, verbose=False)["input_ids"]
    tokens = sum(len(token_ids) for token_ids in encoded)
    model = {"name": predictor.info.get("name"), "version": predictor.info.get("version")}
    try:
        documents = predictor.predict(inputs, dates)
        failures = [None] * len(inputs)
    except Exception:  # noqa: BLE001 - narrowed down per document just below
        documents, failures = [], []
        for text, published in zip(inputs, dates):
            try:
                documents.append(predictor.predict([text], [published])[0])
                failures.append(None)
            except Exception as error:  # noqa: BLE001 - reported as this document's error line
                documents.append(None)
                failures.append(f"inference failed: {type(error).__name__}: {error}")
    lines = []
    for doc_id, text, published, document in zip(ids, texts, dates, documents):
        if document is None:
            lines.append(None)
            continue
        layers = document.to_dict()
        if clean:
            _restore_texts(layers, text)
        lines.append(json.dumps({"id": doc_id, "model": model, "date": published.isoformat() if published else None,
                                 **layers}, ensure_ascii=False))
    return ChunkResult(lines, failures, tokens)


def _restore_texts(layers: dict, text: str) -> None:
    """Texts from the original: a span or sentence can straddle a blanked chrome line. Covers
    spans, claim sentences, the entities and source inside them and their event record."""
    for items in layers.values():
        for item in items:
            nested = item.get("entities", []) + ([item["source"]] if item.get("source") else [])
            event = item.get("event") or {}
            nested += [entry for values in event.values() if isinstance(values, list) for entry in values]
            for span in [item, *nested]:
                span["text"] = text[span["start"] : span["end"]]
            if item.get("source") and event.get("source") is not None:
                event["source"] = item["source"]["text"]


def load_predictor(options: ScoreOptions, threads: int | None = None):
    """Set torch's thread count, then load the Predictor the options describe."""
    import torch

    from model.predictor import Predictor

    torch.set_num_threads(threads or options.threads or default_threads())
    return Predictor.load(options.model_dir, device=options.device, quantize=options.quantize)


def local_engine(chunks: Iterable[list[DatedRecord]], options: ScoreOptions
                 ) -> Iterator[tuple[list[DatedRecord], ChunkResult]]:
    """Score the chunks one after the other with one Predictor loaded in this process."""
    predictor = load_predictor(options)
    for chunk in chunks:
        yield chunk, score_chunk(predictor, [r.id for r in chunk], [r.text for r in chunk], options.clean,
                                 [r.published for r in chunk])
