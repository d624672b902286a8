"""Batch scoring: tag a dump of articles into JSONL, resumable, nothing lost.

``score(inputs, out, options)`` reads documents with :mod:`model.inputs` and their publication
dates with :mod:`serve.batch.published`, blanks page chrome with :mod:`serve.batch.chrome`
(offsets still index the original text), tags chunks of many documents with one
:class:`~model.predictor.Predictor` call each (it sorts the windows of a whole chunk by
length, so padding stays small), and appends one line per document to OUT:

    {"id": ..., "model": {"name": ..., "version": ...}, "date": "2015-08-07" | null,
     "entities": [spans], "claims": [claim sentences], "sources": [spans]}

in the shape of ``Document.to_dict`` (as ``/predict``). Every input record that cannot be
scored (unreadable, bad JSON, missing or non-string text, empty, a bad ``date``/``published``
value, duplicate id, inference failure) becomes one line of ``OUT.errors.jsonl``:
``{"id": id or null, "file": ..., "line": ... or null, "reason": ...}``.
So after a complete run, records read = lines of OUT + lines of OUT.errors.jsonl.

Resume: each line is written with one ``write`` on an unbuffered file and the files are
fsynced after every chunk, so a run killed at any instant (SIGKILL included) leaves at most
one partial last line per file. A rerun with the same OUT truncates that line, then skips
ids already in OUT and input positions already in the errors file. It does not check that
the earlier lines came from the same model or options. Streaming throughout: memory holds
one chunk, the set of ids seen and the positions of earlier errors, not the dump.

With ``options.events`` set, a run that gets to the end writes the events CSV
(:mod:`serve.batch.events`) from the whole of OUT, earlier runs' lines included.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from model.inputs import Record, count_records
from serve.batch.engines import Engine, ScoreOptions, local_engine
from serve.batch.events import write_events
from serve.batch.logs import LineLog, error_position, errors_path, output_id
from serve.batch.published import DatedRecord, dated_records

ENGINES = ("local", "ray")


@dataclass
class Summary:
    """What one run did; ``skipped`` counts records already handled by an earlier run."""

    documents: int = 0
    tokens: int = 0
    errors: int = 0
    skipped: int = 0
    wall_s: float = 0.0
    events: int | None = None  # rows of the events CSV, when one was written

    def __str__(self) -> str:
        wall = max(self.wall_s, 1e-9)
        return (f"scored {self.documents:,} documents ({self.tokens:,} tokens), {self.errors:,} errors, "
                f"{self.skipped:,} skipped as already done; {self.wall_s:.1f} s wall, "
                f"{self.documents / wall:.1f} docs/s, {self.tokens / wall:,.0f} tokens/s"
                + (f"; {self.events:,} event rows" if self.events is not None else ""))


def score(inputs: Path, out: Path, options: ScoreOptions | None = None) -> Summary:
    """Score every record of ``inputs`` into ``out`` (see the module docstring), resuming
    where an earlier run with the same ``out`` stopped. Returns this run's summary; its wall
    time (and so its throughput) includes loading the model."""
    options = options or ScoreOptions()
    inputs, out = Path(inputs), Path(out)
    if not inputs.exists():
        raise FileNotFoundError(f"input {inputs} does not exist")
    started = time.perf_counter()
    results_log, errors_log = LineLog(out), LineLog(errors_path(out))
    done_ids = results_log.recover(output_id)
    done_positions = errors_log.recover(error_position)
    total = count_records(inputs, options.fmt)
    remaining = None if total is None else max(total - len(done_ids) - len(done_positions), 0)
    summary = Summary()
    out.parent.mkdir(parents=True, exist_ok=True)
    results_log.open()
    errors_log.open()
    bar = tqdm(total=remaining, unit="doc", disable=not options.progress, file=sys.stderr, dynamic_ncols=True,
               smoothing=0.1)
    try:
        def report(record: Record, reason: str) -> None:
            errors_log.write({"id": record.id, "file": record.source, "line": record.line, "reason": reason})
            summary.errors += 1
            bar.update(1)

        pending = _triage(dated_records(inputs, options.fields, options.fmt), done_ids, done_positions,
                          report, summary)
        chunks = _chunked(pending, options.chunk_size)
        for chunk, result in engine(options.engine)(chunks, options):
            for record, line, error in zip(chunk, result.lines, result.errors):
                if line is None:
                    report(record, error)
                else:
                    results_log.write_line(line.encode("utf-8") + b"\n")
                    summary.documents += 1
            summary.tokens += result.tokens
            results_log.sync()
            errors_log.sync()
            bar.update(sum(line is not None for line in result.lines))
            elapsed = time.perf_counter() - started
            bar.set_postfix_str(f"{summary.tokens / elapsed:,.0f} tok/s", refresh=False)
    finally:
        bar.close()
        results_log.close()
        errors_log.close()
    if options.events is not None:
        summary.events = write_events(out, options.events)
    summary.wall_s = time.perf_counter() - started
    return summary


def _triage(records: Iterable[DatedRecord], done_ids: set, done_positions: set, report,
            summary: Summary) -> Iterator[DatedRecord]:
    """Yield the records still to score; report unreadable ones, bad dates and duplicate ids
    (the second and later occurrences), skip what an earlier run already wrote."""
    first_seen: dict[str, tuple] = {}
    for record in records:
        if record.position in done_positions:
            summary.skipped += 1
        elif record.error is not None:
            report(record, record.error)
        elif record.date_error is not None:
            report(record, record.date_error)
        elif record.id in first_seen:
            source, line = first_seen[record.id]
            report(record, f"duplicate id {record.id!r}, first at {source}" + (f":{line}" if line else ""))
        else:
            first_seen[record.id] = record.position
            if record.id in done_ids:
                summary.skipped += 1
            else:
                yield record


def _chunked(records: Iterable[DatedRecord], size: int) -> Iterator[list[DatedRecord]]:
    chunk: list[DatedRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def engine(name: str) -> Engine:
    """The engine called ``name``: ``local``, or ``ray`` (imported only when asked for)."""
    if name == "ray":
        from serve.batch.ray_engine import ray_engine

        return ray_engine
    if name != "local":
        raise ValueError(f"unknown engine {name!r}; use {' or '.join(ENGINES)}")
    return local_engine
