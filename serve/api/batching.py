"""Micro-batching: concurrent /predict requests joined into one ``InferenceService.run`` call.

``Predictor.predict`` already sorts the windows of all the documents it is given by length and
packs them into forward passes, so one call over the texts of several requests does one set of
forward passes for all of them instead of one per request. A single worker thread owns those
calls; endpoints only enqueue and wait on a ``Future``. The queue is bounded: when it is full,
``submit`` refuses at once (``Overloaded``, answered 503 with Retry-After) instead of letting
waiting requests, and their bodies, pile up without limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date

from serve.api.inference import Prediction

# Arabic news runs ~5 characters per subword token with the compact tokenizer and ~4 with
# CAMeLBERT's WordPiece; dividing by 4 over-counts a little, so a batch closes at its budget
# before its real token count passes it. Running the tokenizer here would repeat its work.
CHARS_PER_TOKEN = 4
SPECIAL_TOKENS = 2  # [CLS] and [SEP] of a document's (first) window


def estimate_tokens(texts: list[str]) -> int:
    """Subword tokens ``texts`` will cost the model, estimated from characters (no tokenizer).

    Blank texts cost nothing: ``InferenceService.run`` answers them without the network.
    """
    return sum(len(text) // CHARS_PER_TOKEN + SPECIAL_TOKENS for text in texts if text.strip())


class Overloaded(RuntimeError):
    """The queue holds ``max_queue`` requests already; retry after ``retry_after`` seconds."""

    def __init__(self, depth: int, retry_after: int):
        super().__init__(f"the server is overloaded: {depth} requests are waiting for the model; "
                         f"retry in {retry_after} s (RASD_MAX_QUEUE)")
        self.retry_after = retry_after


# What the batcher calls: (texts, their publication dates) -> their Prediction, in order.
Run = Callable[[list[str], list[date | None]], Prediction]


@dataclass
class _Request:
    texts: list[str]
    tokens: int
    dates: list[date | None]  # one per text: its publication date, or None
    arrived: float = field(default_factory=time.monotonic)
    future: Future = field(default_factory=Future)


class MicroBatcher:
    """Joins the texts of concurrent ``submit`` calls into one ``run(texts, dates) -> Prediction``
    call (``dates``: each text's publication date or None, carried along with it).

    Contract: ``submit(texts, dates)`` returns a ``Future`` of the ``Prediction`` of exactly those texts,
    in order, or raises ``Overloaded`` at once when ``max_queue`` requests are already waiting.
    One worker thread takes the oldest waiting request, then the next ones while their estimated
    tokens (:func:`estimate_tokens`) stay within ``max_batch_tokens`` and less than
    ``max_wait_ms`` has passed since that oldest request arrived; then it calls ``run`` once over
    all their texts. ``run`` must answer a whole call with one model (``InferenceService.run``
    reads its predictor once per call, so a reload between batches is safe and none is mixed).
    An exception from ``run`` is set on every future of that batch, and the worker goes on.
    ``stop`` answers what is still queued, then ends the worker.

    It does not split a request (one over the budget runs alone), reorder the texts of a
    request, retry a failed batch, or cancel a batch that is already running.
    """

    def __init__(self, run: Run, max_batch_tokens: int, max_wait_ms: float,
                 max_queue: int, on_batch: Callable[[int, float], None] | None = None):
        self._run = run
        self.max_batch_tokens = max_batch_tokens
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self._on_batch = on_batch  # (requests in the batch, seconds in run), e.g. for metrics
        self._pending: deque[_Request] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._last_batch_seconds = 0.0
        self._thread = threading.Thread(target=self._work, name="rasd-batcher", daemon=True)

    @property
    def depth(self) -> int:
        """Requests waiting for the worker (the batch it is running not included)."""
        return len(self._pending)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Refuse new requests, let the worker answer the queued ones, and wait for it to end."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def submit(self, texts: list[str], dates: list[date | None] | None = None) -> Future:
        dates = [None] * len(texts) if dates is None else list(dates)
        request = _Request(list(texts), estimate_tokens(texts), dates)
        with self._changed:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            if len(self._pending) >= self.max_queue:
                # By the time one batch has run, the worker has taken the next one off the queue.
                raise Overloaded(len(self._pending), max(1, math.ceil(self._last_batch_seconds)))
            self._pending.append(request)
            self._changed.notify()
        return request.future

    # -- the worker -----------------------------------------------------------------------------

    def _next_batch(self) -> list[_Request] | None:
        """Wait for requests and take one batch of them; None once stopped and drained."""
        with self._changed:
            while not self._pending and not self._closed:
                self._changed.wait()
            if not self._pending:
                return None
            deadline = self._pending[0].arrived + self.max_wait
            batch, tokens = [], 0
            while True:
                while self._pending and (not batch or tokens + self._pending[0].tokens <= self.max_batch_tokens):
                    request = self._pending.popleft()
                    batch.append(request)
                    tokens += request.tokens
                remaining = deadline - time.monotonic()
                # A waiting request that did not fit starts the next batch; waiting longer for
                # this one would only delay both.
                if self._pending or tokens >= self.max_batch_tokens or remaining <= 0 or self._closed:
                    return batch
                self._changed.wait(remaining)

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            live = [request for request in batch if request.future.set_running_or_notify_cancel()]
            if not live:
                continue
            started = time.perf_counter()
            try:
                prediction = self._run([text for request in live for text in request.texts],
                                       [day for request in live for day in request.dates])
            except Exception as error:  # noqa: BLE001 - each caller reports it; the worker keeps serving
                for request in live:
                    request.future.set_exception(error)
                continue
            finally:
                self._last_batch_seconds = time.perf_counter() - started
                if self._on_batch:
                    self._on_batch(len(live), self._last_batch_seconds)
            position = 0
            for request in live:
                end = position + len(request.texts)
                request.future.set_result(Prediction(prediction.model, prediction.documents[position:end]))
                position = end
