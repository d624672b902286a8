"""Batch scoring: tag a dump of articles into JSONL, resumable, nothing lost.

``score(inputs, out, options)`` reads documents with :mod:`serve.sources`, blanks page chrome
with :mod:`serve.chrome` (offsets still index the original text), tags chunks of many
documents with one :class:`~model.predictor.Predictor` call each (it sorts the windows of a
whole chunk by length, so padding stays small), and appends one line per document to OUT:

    {"id": ..., "model": {"name": ..., "version": ...}, "<layer>": [spans as in /predict], ...}

Every input record that cannot be scored (unreadable, bad JSON, missing or non-string text,
empty, duplicate id, inference failure) becomes one line of ``OUT.errors.jsonl``:
``{"id": id or null, "file": ..., "line": ... or null, "reason": ...}``.
So after a complete run, records read = lines of OUT + lines of OUT.errors.jsonl.

Resume: each line is written with one ``write`` on an unbuffered file and the files are
fsynced after every chunk, so a run killed at any instant (SIGKILL included) leaves at most
one partial last line per file. A rerun with the same OUT truncates that line, then skips
ids already in OUT and input positions already in the errors file. It does not check that
the earlier lines came from the same model or options. Streaming throughout: memory holds
one chunk, the set of ids seen and the positions of earlier errors, not the dump.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from serve import chrome
from serve.sources import Fields, Record, count_records, read_records

# The id is the first key of every output line, so a resume reads it without parsing the line.
_LEADING_ID = re.compile(rb'^\{"id": ("(?:[^"\\]|\\.)*")')


@dataclass
class ScoreOptions:
    """How to score; the CLI's flags map one to one onto these fields."""

    model_dir: Path = Path("models/current")
    device: str = "auto"
    quantize: str | None = None
    threads: int | None = None  # torch threads (per actor with Ray); None: physical cores
    clean: bool = True
    chunk_size: int = 64  # documents per Predictor call
    fields: Fields = field(default_factory=Fields)
    fmt: str = "auto"
    engine: str = "local"  # local | ray
    concurrency: int | None = None  # Ray actors; None: cluster CPUs / threads
    progress: bool = True


@dataclass
class Summary:
    """What one run did; ``skipped`` counts records already handled by an earlier run."""

    documents: int = 0
    tokens: int = 0
    errors: int = 0
    skipped: int = 0
    wall_s: float = 0.0

    def __str__(self) -> str:
        wall = max(self.wall_s, 1e-9)
        return (f"scored {self.documents:,} documents ({self.tokens:,} tokens), {self.errors:,} errors, "
                f"{self.skipped:,} skipped as already done; {self.wall_s:.1f} s wall, "
                f"{self.documents / wall:.1f} docs/s, {self.tokens / wall:,.0f} tokens/s")


@dataclass
class ChunkResult:
    """Per document of a chunk, in order: its output line (JSON, no newline) or an error reason."""

    lines: list[str | None]
    errors: list[str | None]
    tokens: int


def errors_path(out: Path) -> Path:
    return out.with_name(out.name + ".errors.jsonl")


def default_threads() -> int:
    """Physical cores available to this process: hyper-threads only slow matrix kernels down."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        physical = os.cpu_count() or 1
    return max(1, min(physical, len(os.sched_getaffinity(0))))


def score_chunk(predictor, ids: list[str], texts: list[str], clean: bool) -> ChunkResult:
    """Tag one chunk with a single ``predict`` call (one call per document if that fails, so one
    bad document costs only itself). Span offsets and texts index the uncleaned ``texts``."""
    inputs = [chrome.clean(text) for text in texts] if clean else list(texts)
    encoded = predictor.tokenizer(inputs, add_special_tokens=False, verbose=False)["input_ids"]
    tokens = sum(len(token_ids) for token_ids in encoded)
    model = {"name": predictor.info.get("name"), "version": predictor.info.get("version")}
    try:
        documents = predictor.predict(inputs)
        failures = [None] * len(inputs)
    except Exception:  # noqa: BLE001 - narrowed down per document just below
        documents, failures = [], []
        for text in inputs:
            try:
                documents.append(predictor.predict([text])[0])
                failures.append(None)
            except Exception as error:  # noqa: BLE001 - reported as this document's error line
                documents.append(None)
                failures.append(f"inference failed: {type(error).__name__}: {error}")
    lines = []
    for doc_id, text, document in zip(ids, texts, documents):
        if document is None:
            lines.append(None)
            continue
        layers = document.to_dict()
        if clean:
            _restore_texts(layers, text)
        lines.append(json.dumps({"id": doc_id, "model": model, **layers}, ensure_ascii=False))
    return ChunkResult(lines, failures, tokens)


def _restore_texts(layers: dict, text: str) -> None:
    """Span texts from the original: a span can straddle a blanked chrome line."""
    for spans in layers.values():
        for span in spans:
            span["text"] = text[span["start"] : span["end"]]
            for inner in span.get("entities", []) + ([span["source"]] if span.get("source") else []):
                inner["text"] = text[inner["start"] : inner["end"]]


class LineLog:
    """An append-only JSONL file whose lines survive a kill of the writer: one ``write`` per
    line on an unbuffered file, ``sync`` to fsync. ``recover`` truncates a partial last line."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def recover(self, key) -> set:
        """Return ``key(line_bytes, full)`` of every complete line; truncate a partial or
        unparsable last line. An unparsable line before the last is not a kill's doing: raise
        ValueError. ``key`` raises ValueError or TypeError for a line it cannot read."""
        keys: set = set()
        if not self.path.exists():
            return keys
        with open(self.path, "r+b") as handle:
            offset, previous = 0, None
            for number, line in enumerate(handle, start=1):
                if previous is not None:
                    keys.add(self._key(key, *previous))
                previous = (number, line)
                offset += len(line)
            if previous is None:
                return keys
            number, line = previous
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no newline")
                keys.add(self._key(key, number, line, full=True))
            except (ValueError, TypeError):
                handle.truncate(offset - len(line))
        return keys

    def _key(self, key, number: int, line: bytes, full: bool = False):
        try:
            return key(line, full)
        except (ValueError, TypeError) as error:
            if full:
                raise
            raise ValueError(f"{self.path}:{number} is not a JSON line ({error}); only the last line "
                             "can be cut by a kill, so this file was edited or damaged") from None

    def open(self) -> LineLog:
        # Held open for the whole run and closed by close(); unbuffered, so write == os.write.
        self.handle = open(self.path, "ab", buffering=0)  # noqa: SIM115
        return self

    def write(self, record: dict) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.write_line(data)

    def write_line(self, data: bytes) -> None:
        written = self.handle.write(data)
        if written != len(data):  # a regular file takes it all; anything else is an I/O fault
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes")

    def sync(self) -> None:
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _output_id(line: bytes, full: bool) -> str:
    match = None if full else _LEADING_ID.match(line)
    if match:
        return json.loads(match.group(1))
    value = json.loads(line)  # JSONDecodeError is a ValueError
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise TypeError("no string id")
    return value["id"]


def _error_position(line: bytes, full: bool) -> tuple:
    value = json.loads(line)
    if not isinstance(value, dict) or "file" not in value:
        raise TypeError("no file")
    return value["file"], value.get("line")


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
    done_ids = results_log.recover(_output_id)
    done_positions = errors_log.recover(_error_position)
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

        pending = _triage(read_records(inputs, options.fields, options.fmt), done_ids, done_positions,
                          report, summary)
        chunks = _chunked(pending, options.chunk_size)
        for chunk, result in _engine(options)(chunks):
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
    summary.wall_s = time.perf_counter() - started
    return summary


def _triage(records: Iterable[Record], done_ids: set, done_positions: set, report,
            summary: Summary) -> Iterator[Record]:
    """Yield the records still to score; report unreadable ones and duplicate ids (the second
    and later occurrences), skip what an earlier run already wrote."""
    first_seen: dict[str, tuple] = {}
    for record in records:
        if record.position in done_positions:
            summary.skipped += 1
        elif record.error is not None:
            report(record, record.error)
        elif record.id in first_seen:
            source, line = first_seen[record.id]
            report(record, f"duplicate id {record.id!r}, first at {source}" + (f":{line}" if line else ""))
        else:
            first_seen[record.id] = record.position
            if record.id in done_ids:
                summary.skipped += 1
            else:
                yield record


def _chunked(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _engine(options: ScoreOptions):
    """A function from an iterator of chunks to an iterator of (chunk, ChunkResult), in order."""
    if options.engine == "ray":
        from serve.ray_engine import ray_engine

        return lambda chunks: ray_engine(chunks, options)
    if options.engine != "local":
        raise ValueError(f"unknown engine {options.engine!r}; use local or ray")
    predictor = load_predictor(options)

    def run(chunks: Iterable[list[Record]]) -> Iterator[tuple[list[Record], ChunkResult]]:
        for chunk in chunks:
            yield chunk, score_chunk(predictor, [r.id for r in chunk], [r.text for r in chunk], options.clean)

    return run


def load_predictor(options: ScoreOptions, threads: int | None = None):
    """Set torch's thread count, then load the Predictor the options describe."""
    import torch

    from model.predictor import Predictor

    torch.set_num_threads(threads or options.threads or default_threads())
    return Predictor.load(options.model_dir, device=options.device, quantize=options.quantize)
