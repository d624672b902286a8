"""The Ray Data engine of batch scoring: the same Predictor and chunks, on an actor pool.

An :data:`serve.batch.engines.Engine` like the local one, selected with ``--engine ray``.

``--engine ray`` connects to the Ray cluster named by ``RAY_ADDRESS`` (or the one already
initialised in this process, or starts a local instance) and scores chunks of documents with
``Dataset.map_batches`` over a pool of actors that each load the Predictor once. Every row
of the dataset is one chunk (the unit the local engine passes to ``Predictor.predict``), so
both engines batch the same documents together and write identical lines.

Results stream back to the driver in input order (``preserve_order``) and the driver writes
them through the same append-only log as the local engine: workers on other nodes cannot
write a file the driver can read without shared storage, and a single writer is what keeps
the kill-and-resume guarantee. Reading and triage also stay on the driver, so errors,
duplicates and resume behave exactly as with the local engine.

To bound the driver's memory the input goes to Ray in segments of a few thousand documents,
one dataset each; the actor pool (and the model load) is set up once per segment, a cost of
seconds against minutes of scoring. Cluster workers need rasd installed (or a
``runtime_env`` that ships it) and the model dir at the same path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import date

from serve.batch.engines import ChunkResult, ScoreOptions, load_predictor, score_chunk

# Chunks per actor in one segment: enough that the pool start-up is amortised.
CHUNKS_PER_ACTOR = 16


class ChunkScorer:
    """A Ray actor: loads the Predictor once, then scores one chunk per dataset row."""

    def __init__(self, options: ScoreOptions, threads: int):
        self.options = options
        self.predictor = load_predictor(options, threads=threads)

    def __call__(self, batch: dict) -> dict:
        results = []
        for ids, texts, dates in zip(batch["ids"], batch["texts"], batch["dates"]):
            published = [date.fromisoformat(value) if value else None for value in dates]
            result = score_chunk(self.predictor, list(ids), list(texts), self.options.clean, published)
            results.append(json.dumps(asdict(result), ensure_ascii=False))
        return {"result": results}


def ray_engine(chunks: Iterable[list], options: ScoreOptions) -> Iterator[tuple[list, ChunkResult]]:
    """Score ``chunks`` of records on Ray; yield (chunk, result) in input order."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise RuntimeError("--engine ray needs Ray Data: pip install 'rasd[ray]'") from error
    if not ray.is_initialized():
        ray.init()
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the scorer's own bar counts documents and tokens
    gpus = ray.cluster_resources().get("GPU", 0)
    gpu = options.device.startswith("cuda") or (options.device == "auto" and gpus > 0)
    threads = options.threads or 1
    if options.concurrency:
        actors = options.concurrency
    elif gpu:
        actors = max(1, int(gpus))
    else:
        actors = max(1, int(ray.cluster_resources().get("CPU", 1) // threads))
    segment: list[list] = []
    for chunk in chunks:
        segment.append(chunk)
        if len(segment) == actors * CHUNKS_PER_ACTOR:
            yield from _run_segment(ray.data, segment, options, actors, threads, gpu)
            segment = []
    if segment:
        yield from _run_segment(ray.data, segment, options, actors, threads, gpu)


def _run_segment(data, segment: list[list], options: ScoreOptions, actors: int, threads: int,
                 gpu: bool) -> Iterator[tuple[list, ChunkResult]]:
    # Dates travel as ISO strings ("" for none), so every row has one Arrow type.
    rows = [{"ids": [r.id for r in chunk], "texts": [r.text for r in chunk],
             "dates": [r.published.isoformat() if r.published else "" for r in chunk]} for chunk in segment]
    dataset = data.from_items(rows, override_num_blocks=min(len(rows), actors * 4)).map_batches(
        ChunkScorer,
        fn_constructor_kwargs={"options": options, "threads": threads},
        batch_size=1,
        compute=data.ActorPoolStrategy(size=min(actors, len(rows))),
        num_cpus=threads,
        num_gpus=1 if gpu else 0,
    )
    for chunk, row in zip(segment, dataset.iter_rows(), strict=True):
        yield chunk, ChunkResult(**json.loads(row["result"]))
