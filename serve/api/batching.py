"""Micro-batching: concurrent /predict requests joined into one ``InferenceService.run`` call.

``Predictor.predict`` already sorts the windows of all the documents it is given by length and
packs them into forward passes, so one call over the texts of several requests does one set of
forward passes for all of them instead of one per request. A single worker thread owns those
calls; endpoints only enqueue and wait on a ``Future``. The queue is bounded twice, and
``submit`` refuses at once (``Overloaded``, answered 503 with Retry-After) instead of letting
waiting requests, and their bodies, pile up:

- by time: a request whose *expected wait* (until its answer) would pass ``max_expected_wait``
  seconds is refused, with Retry-After the seconds until the queue should have drained below
  the limit. A request is answered when the joined call it lands in ends, so its expected
  wait is: the rest of the running call, the calls the queue fills before the one it joins
  (packed as the worker will pack them), and that call counted full (under load, requests
  arriving meanwhile fill it), in estimated tokens times the measured seconds per token: the
  slowest of the last :data:`SPEED_WINDOW` calls (of those long enough that fixed costs do not
  dominate, :data:`MIN_TIMED_TOKENS`), as a machine shared with other jobs swings. To keep that sum under the limit, a joined call takes
  at most half the limit's worth of tokens (and ``max_batch_tokens``). Before the first call
  has been timed, the queue takes one call's worth of tokens (``max_batch_tokens``). When the
  model gets slower than it was when requests were admitted (another job takes the CPU), a
  watchdog (every :data:`WATCH_SECONDS`) refuses, with the same 503, the queued requests that
  would now be answered after the limit, and answers 503 to the requests of the running call
  still unanswered at the limit (their results are dropped when the call ends): no request
  waits much longer than the limit for its answer;
- by count: at most ``max_queue`` requests wait, whatever their size.

Whatever the bounds, a request that finds the queue empty and the model idle is always taken.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
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


# The measured speed is the slowest of the last SPEED_WINDOW calls (recent enough to follow a
# machine that gets busier) among those of at least MIN_TIMED_TOKENS, whose fixed costs do not
# read as a slow model; their token-weighted mean when none is that long.
SPEED_WINDOW = 5
MIN_TIMED_TOKENS = 256
WATCH_SECONDS = 0.2  # how often the watchdog looks for requests the model got too slow for


class Overloaded(RuntimeError):
    """The queue is full (``max_queue``) or too slow (``max_expected_wait``); retry after
    ``retry_after`` seconds (the message says which bound refused)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(f"the server is overloaded: {message}; retry in {retry_after} s")
        self.retry_after = retry_after


# What the batcher calls: (texts, their publication dates) -> their Prediction, in order.
Run = Callable[[list[str], list[date | None]], Prediction]


@dataclass
class _Request:
    texts: list[str]
    tokens: int
    dates: list[date | None]  # one per text: its publication date, or None
    idle: bool = False  # taken because it found the model idle: never refused afterwards
    arrived: float = field(default_factory=time.monotonic)
    future: Future = field(default_factory=Future)


class MicroBatcher:
    """Joins the texts of concurrent ``submit`` calls into one ``run(texts, dates) -> Prediction``
    call (``dates``: each text's publication date or None, carried along with it).

    Contract: ``submit(texts, dates)`` returns a ``Future`` of the ``Prediction`` of exactly those texts,
    in order, or raises ``Overloaded`` at once when a bound refuses it (see the module docstring).
    One worker thread takes the oldest waiting request, then the next ones while their estimated
    tokens (:func:`estimate_tokens`) stay within :meth:`batch_budget` and less than
    ``max_wait_ms`` has passed since that oldest request arrived; then it calls ``run`` once over
    all their texts. ``run`` must answer a whole call with one model (``InferenceService.run``
    reads its predictor once per call, so a reload between batches is safe and none is mixed).
    An exception from ``run`` is set on every future of that batch, and the worker goes on.
    ``stop`` answers what is still queued, then ends the worker.

    It does not split a request (one over the budget runs alone), reorder the texts of a
    request, retry a failed batch, or cancel a batch that is already running.
    """

    def __init__(self, run: Run, max_batch_tokens: int, max_wait_ms: float,
                 max_queue: int, on_batch: Callable[[int, float], None] | None = None,
                 max_expected_wait: float = 0.0, on_wait: Callable[[float], None] | None = None):
        self._run = run
        self.max_batch_tokens = max_batch_tokens
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.max_expected_wait = max_expected_wait  # seconds; 0: no bound by time
        self._on_batch = on_batch  # (requests in the batch, seconds in run), e.g. for metrics
        self._on_wait = on_wait  # (seconds a request waited before its call started), e.g. for metrics
        self._pending: deque[_Request] = deque()
        self._queued_tokens = 0
        self._running: tuple[float, int] | None = None  # (monotonic start, estimated tokens) of the call
        self._in_call: list[_Request] = []  # the requests of the running call
        # Measured model speed (over the last SPEED_WINDOW calls); None until the first call is timed.
        self.seconds_per_token: float | None = None
        self._recent: deque[tuple[int, float]] = deque(maxlen=SPEED_WINDOW)  # (tokens, seconds) per call
        self._changed = threading.Condition()
        self._closed = False
        self._last_batch_seconds = 0.0
        self._thread = threading.Thread(target=self._work, name="rasd-batcher", daemon=True)
        self._stopping = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="rasd-batcher-watchdog", daemon=True)

    @property
    def depth(self) -> int:
        """Requests waiting for the worker (the batch it is running not included)."""
        return len(self._pending)

    def batch_budget(self) -> int:
        """Estimated tokens one joined call may take: ``max_batch_tokens``, and with a time bound
        at most half of the limit's worth at the measured speed (at least one token)."""
        speed = self.seconds_per_token
        if not self.max_expected_wait or speed is None:
            return self.max_batch_tokens
        return max(1, min(self.max_batch_tokens, int(self.max_expected_wait / 2 / speed)))

    def expected_wait(self, tokens: int = 0) -> float | None:
        """Seconds until a request of ``tokens`` (estimated) sent now would be answered (see the
        module docstring); None before the first call has been timed."""
        speed = self.seconds_per_token
        if speed is None:
            return None
        running, ahead = self._running, 0.0
        if running is not None:
            ahead = max(0.0, running[1] * speed - (time.monotonic() - running[0]))
        budget, before, fill = self.batch_budget(), 0, 0
        for size in [request.tokens for request in list(self._pending)] + [tokens]:
            if fill and fill + size > budget:  # as _next_batch packs them
                before, fill = before + fill, 0
            fill += size
        busy = running is not None or bool(self._pending)
        return ahead + (before + (max(fill, budget) if busy else fill)) * speed

    def _refusal(self, request: _Request) -> Overloaded | None:
        """Why ``request`` cannot be queued now, or None (called holding the lock)."""
        if len(self._pending) >= self.max_queue:
            # By the time one batch has run, the worker has taken the next one off the queue.
            return Overloaded(f"{len(self._pending)} requests are waiting for the model (RASD_MAX_QUEUE)",
                              max(1, math.ceil(self._last_batch_seconds)))
        if not self.max_expected_wait or (not self._pending and self._running is None):
            return None
        expected = self.expected_wait(request.tokens)
        if expected is None:
            if self._queued_tokens + request.tokens > self.max_batch_tokens:
                return Overloaded("the model has not been timed yet and one call's worth of text is already "
                                  "waiting (RASD_MAX_BATCH_TOKENS)", 1)
            return None
        if expected > self.max_expected_wait:
            return Overloaded(f"the expected wait for an answer is {expected:.0f} s, over the limit of "
                              f"{self.max_expected_wait:g} s (RASD_MAX_EXPECTED_WAIT)",
                              max(1, math.ceil(expected - self.max_expected_wait)))
        return None

    def start(self) -> None:
        self._thread.start()
        self._watchdog.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Refuse new requests, let the worker answer the queued ones, and wait for it to end."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._stopping.set()
        if self._watchdog.is_alive():
            self._watchdog.join(timeout)

    def submit(self, texts: list[str], dates: list[date | None] | None = None) -> Future:
        dates = [None] * len(texts) if dates is None else list(dates)
        request = _Request(list(texts), estimate_tokens(texts), dates)
        with self._changed:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            refusal = self._refusal(request)
            if refusal is not None:
                raise refusal
            request.idle = not self._pending and self._running is None
            self._pending.append(request)
            self._queued_tokens += request.tokens
            self._changed.notify()
        return request.future

    # -- the worker -----------------------------------------------------------------------------

    def _learn_speed(self, tokens: int, seconds: float) -> None:
        """Add one call to the measured speed (blank-only calls say nothing)."""
        if tokens <= 0:
            return
        self._recent.append((tokens, seconds))
        mean = sum(took for _, took in self._recent) / sum(size for size, _ in self._recent)
        self.seconds_per_token = max([mean] + [took / size for size, took in self._recent if size >= MIN_TIMED_TOKENS])

    def _shed(self) -> None:
        """Refuse the queued requests that would now be answered after ``max_expected_wait``
        (called holding the lock). A request taken because it found the model idle is never refused."""
        speed = self.seconds_per_token
        if not self.max_expected_wait or speed is None or not self._pending:
            return
        now, budget, running = time.monotonic(), self.batch_budget(), self._running
        before = max(0.0, running[1] * speed - (now - running[0])) if running else 0.0  # the running call
        fill, kept = 0, deque()  # before: when the calls closed so far end
        for request in self._pending:
            closes = fill and fill + request.tokens > budget  # it starts the next call, as _next_batch packs
            ahead, joined = (before + fill * speed, 0) if closes else (before, fill)
            answered = ahead + (joined + request.tokens) * speed  # when the call it lands in ends
            late = now - request.arrived + answered - self.max_expected_wait
            if late <= 0 or request.idle:
                before, fill = ahead, joined + request.tokens
                kept.append(request)
                continue
            self._queued_tokens -= request.tokens
            if not request.future.cancelled():
                request.future.set_exception(Overloaded(
                    f"the model got slower since this request was queued: it would be answered after "
                    f"{now - request.arrived + answered:.0f} s, over the limit of {self.max_expected_wait:g} s "
                    "(RASD_MAX_EXPECTED_WAIT)", max(1, math.ceil(late))))
        self._pending = kept

    def _expire(self) -> None:
        """Answer 503 to the requests of the running call that have waited ``max_expected_wait``
        (called holding the lock); the call goes on and their results are dropped."""
        now = time.monotonic()
        for request in self._in_call:
            if request.idle or now - request.arrived <= self.max_expected_wait:
                continue
            retry = max(1, math.ceil((self.expected_wait() or 0.0) - self.max_expected_wait))
            try:
                request.future.set_exception(Overloaded(
                    f"no answer within the limit of {self.max_expected_wait:g} s: the model got slower since "
                    "this request was queued (RASD_MAX_EXPECTED_WAIT)", retry))
            except InvalidStateError:  # answered or cancelled meanwhile
                pass

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            if not self.max_expected_wait:
                continue
            with self._changed:
                self._shed()
                self._expire()

    def _next_batch(self) -> list[_Request] | None:
        """Wait for requests and take one batch of them; None once stopped and drained."""
        with self._changed:
            while True:
                while not self._pending and not self._closed:
                    self._changed.wait()
                if not self._pending:
                    return None
                self._shed()
                if self._pending:
                    break
            deadline = self._pending[0].arrived + self.max_wait
            batch, tokens, budget = [], 0, self.batch_budget()
            while True:
                while self._pending and (not batch or tokens + self._pending[0].tokens <= budget):
                    request = self._pending.popleft()
                    self._queued_tokens -= request.tokens
                    batch.append(request)
                    tokens += request.tokens
                remaining = deadline - time.monotonic()
                # A waiting request that did not fit starts the next batch; waiting longer for
                # this one would only delay both.
                if self._pending or tokens >= budget or remaining <= 0 or self._closed:
                    return batch
                self._changed.wait(remaining)

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            live = [request for request in batch if request.future.set_running_or_notify_cancel()]
            if not live:
                continue
            tokens = sum(request.tokens for request in live)
            started = time.perf_counter()
            with self._changed:
                self._running, self._in_call = (time.monotonic(), tokens), live
            if self._on_wait:
                for request in live:
                    self._on_wait(self._running[0] - request.arrived)
            try:
                prediction = self._run([text for request in live for text in request.texts],
                                       [day for request in live for day in request.dates])
            except Exception as error:  # noqa: BLE001 - each caller reports it; the worker keeps serving
                prediction = error
            finally:
                self._last_batch_seconds = time.perf_counter() - started
                if self._on_batch:
                    self._on_batch(len(live), self._last_batch_seconds)
            with self._changed:  # the watchdog answers expired requests under the same lock
                self._learn_speed(tokens, self._last_batch_seconds)
                self._running, self._in_call, position = None, [], 0
                for request in live:
                    if request.future.done():  # answered 503 by the watchdog: its result is dropped
                        pass
                    elif isinstance(prediction, Exception):
                        request.future.set_exception(prediction)
                    else:
                        end = position + len(request.texts)
                        request.future.set_result(Prediction(prediction.model, prediction.documents[position:end]))
                    position += len(request.texts)
