"""Overload: the queue is bounded by the expected wait (503 + Retry-After), queue waits are measured."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from model.document import Document
from serve.api.app import create_app
from serve.api.batching import MicroBatcher, Overloaded, estimate_tokens
from serve.api.inference import Prediction
from tests.serve.helpers import make_settings

SECONDS_PER_TOKEN = 0.002
LONG = "ب" * 3992  # 1000 estimated tokens: 2 s at the fake model's speed


class FakeModel:
    """``run`` for a MicroBatcher: sleeps SECONDS_PER_TOKEN per estimated token; a call holding
    "GATE" waits until ``gate`` is set (so that others queue up behind it)."""

    def __init__(self):
        self.gate = threading.Event()
        self.calls: list[int] = []

    def __call__(self, texts: list[str], dates=None) -> Prediction:
        self.calls.append(len(texts))
        if any("GATE" in text for text in texts):
            assert self.gate.wait(30)
            return Prediction({"name": "fake"}, [None] * len(texts))
        time.sleep(estimate_tokens(texts) * SECONDS_PER_TOKEN)
        return Prediction({"name": "fake"}, [None] * len(texts))


@pytest.fixture()
def batcher():
    model = FakeModel()
    waits: list[float] = []
    batcher = MicroBatcher(model, max_batch_tokens=100_000, max_wait_ms=0, max_queue=100,
                           max_expected_wait=5.0, on_wait=waits.append)
    batcher.model, batcher.waits = model, waits
    batcher.start()
    yield batcher
    model.gate.set()
    batcher.stop()


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_requests_whose_expected_wait_passes_the_limit_get_overloaded_with_retry_after(batcher):
    assert estimate_tokens([LONG]) == 1000 and batcher.expected_wait() is None
    batcher.submit(["ب" * 2000]).result(30)  # times the model: ~0.002 s per token (1 s)
    assert batcher.seconds_per_token == pytest.approx(SECONDS_PER_TOKEN, rel=0.5)
    gate = batcher.submit(["GATE"])
    wait_until(lambda: batcher.depth == 0 and batcher.model.calls[-1:] == [1] and len(batcher.model.calls) == 2)
    # A joined call takes at most half the limit's worth: 2.5 s / 0.002 s = ~1250 tokens, one LONG.
    assert 1000 < batcher.batch_budget() < 1500
    # Each LONG is a call of its own; the last one is counted full (later requests would join it).
    admitted = [batcher.submit([LONG]), batcher.submit([LONG])]  # answers expected after ~2.5 s and ~4.5 s
    assert 4.0 < batcher.expected_wait() < 5.0
    with pytest.raises(Overloaded) as refused:
        batcher.submit([LONG])  # ~6.5 s > 5 s
    assert refused.value.retry_after in (2, 3)  # ~6.5 s - 5 s, rounded up (a busy machine sleeps longer)
    assert "expected wait" in str(refused.value) and "RASD_MAX_EXPECTED_WAIT" in str(refused.value)
    short = batcher.submit(["ب" * 40])  # a short one joins the second LONG's call: still ~4.5 s
    batcher.model.gate.set()
    assert gate.result(30) and all(future.result(30) for future in [*admitted, short])
    # Every admitted request's wait before its call was measured; none waited near the limit.
    assert len(batcher.waits) == 5 and max(batcher.waits) < 5.0


def test_queued_requests_the_model_got_too_slow_for_are_refused_not_answered_late(batcher):
    batcher.submit(["ب" * 2000]).result(30)  # ~0.002 s per token
    gate = batcher.submit(["GATE"])
    wait_until(lambda: len(batcher.model.calls) == 2)
    queued = [batcher.submit([LONG]), batcher.submit([LONG])]  # admitted: answers expected after ~2 s and ~4 s
    time.sleep(2)  # the gate's call takes 2 s for 1 token: the model is now ~3 times slower
    batcher.model.gate.set()
    assert gate.result(30)
    for future in queued:  # at that speed each would be answered after more than 5 s
        with pytest.raises(Overloaded) as refused:
            future.result(30)
        assert "got slower" in str(refused.value) and refused.value.retry_after >= 1
    assert batcher.depth == 0 and batcher.model.calls == [1, 1]  # neither ran
    assert batcher.submit(["ب" * 40]).result(30)  # the queue is empty again: taken


def test_a_request_still_unanswered_at_the_limit_gets_503_and_its_call_goes_on():
    holds = [threading.Event(), threading.Event(), threading.Event()]
    holds[2].set()
    calls: list[list[str]] = []

    def run(texts, dates=None):
        calls.append(texts)
        assert holds[len(calls) - 1].wait(30)
        return Prediction({"name": "fake"}, [None] * len(texts))

    batcher = MicroBatcher(run, max_batch_tokens=100_000, max_wait_ms=0, max_queue=100, max_expected_wait=0.5)
    batcher.start()
    try:
        first = batcher.submit(["مطار تدمر"])  # finds the model idle: never refused, however long
        wait_until(lambda: len(calls) == 1)
        second = batcher.submit(["البادية"])
        holds[0].set()
        wait_until(lambda: len(calls) == 2)  # the second request's call runs, and hangs
        started = time.monotonic()
        with pytest.raises(Overloaded) as refused:
            second.result(30)
        assert time.monotonic() - started < 2 and "no answer within the limit of 0.5 s" in str(refused.value)
        assert first.result(30).model == {"name": "fake"}
        holds[1].set()  # the hung call ends; its result is dropped and the worker goes on
        assert batcher.submit(["قوات النظام"]).result(30).model == {"name": "fake"}
    finally:
        for hold in holds:
            hold.set()
        batcher.stop()


def test_before_the_model_is_timed_the_queue_takes_one_call_worth_of_tokens():
    model = FakeModel()
    batcher = MicroBatcher(model, max_batch_tokens=2500, max_wait_ms=0, max_queue=100, max_expected_wait=5.0)
    batcher.start()
    try:
        gate = batcher.submit(["GATE"])  # the first call ever: the model is not timed yet
        wait_until(lambda: len(model.calls) == 1)
        queued = [batcher.submit([LONG]), batcher.submit([LONG])]  # 2000 tokens <= 2500
        with pytest.raises(Overloaded) as refused:
            batcher.submit([LONG])
        assert refused.value.retry_after == 1 and "not been timed" in str(refused.value)
        model.gate.set()
        assert gate.result(30) and all(future.result(30) for future in queued)
    finally:
        model.gate.set()
        batcher.stop()


def test_an_idle_model_always_takes_a_request_however_long():
    batcher = MicroBatcher(FakeModel(), max_batch_tokens=10, max_wait_ms=0, max_queue=1, max_expected_wait=0.1)
    batcher.seconds_per_token = 1.0  # as if measured: this text would take 1000 s
    batcher.start()
    try:
        assert batcher.expected_wait(1000) == pytest.approx(1000)
        future = batcher.submit(["ب" * 8])  # idle: taken although 3 s > 0.1 s
        assert future.result(30)
    finally:
        batcher.stop()


def test_no_time_bound_when_the_limit_is_zero(batcher):
    batcher.max_expected_wait = 0
    gate = batcher.submit(["GATE"])
    wait_until(lambda: len(batcher.model.calls) == 1)
    batcher.seconds_per_token = 10.0  # as measured; a 1000-token text would wait 10,000 s
    queued = batcher.submit([LONG[:40]])
    batcher.model.gate.set()
    assert gate.result(30) and queued.result(30)


class FakeService:
    """An InferenceService stand-in: ready at once, SECONDS_PER_TOKEN per estimated token, empty
    documents; ``hold`` (when given) keeps each call waiting until it is set."""

    ready = True
    predictor = None
    hold: threading.Event | None = None

    def run(self, texts: list[str], dates=None) -> Prediction:
        if self.hold is not None:
            assert self.hold.wait(30)
        time.sleep(estimate_tokens(texts) * SECONDS_PER_TOKEN)
        empty = {"entities": [], "claims": [], "sources": []}
        return Prediction({"name": "fake", "version": "1"}, [Document(text, dict(empty)) for text in texts])


def test_the_api_answers_503_with_retry_after_and_shows_queue_waits_in_metrics(tmp_path):
    service = FakeService()
    app = create_app(make_settings(tmp_path, max_expected_wait=3), service=service)
    with TestClient(app) as client:
        assert client.post("/predict", json={"text": "وصلت تعزيزات عسكرية إلى مطار تدمر."}).status_code == 200
        batcher = app.state.batcher
        assert batcher.max_expected_wait == 3 and batcher.seconds_per_token is not None
        batcher.seconds_per_token = 0.01  # as if measured on a slow machine: 10 ms per token
        idle = client.post("/predict", json={"text": "ب" * 2000})  # ~5 s expected, but the model is idle: taken
        assert idle.status_code == 200
        service.hold = threading.Event()
        threads = [threading.Thread(target=client.post, args=("/predict",), kwargs={"json": {"text": "ب" * 400}})
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        wait_until(lambda: batcher.expected_wait() is not None and batcher.depth + (batcher._running is not None) > 0)
        batcher.seconds_per_token = 0.01
        refused = client.post("/predict", json={"text": "ب" * 2000})  # ~5 s more expected > 3 s
        service.hold.set()
        for thread in threads:
            thread.join(30)
        metrics = client.get("/metrics").text
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert "RASD_MAX_EXPECTED_WAIT" in refused.json()["detail"]
    assert "rasd_queue_wait_seconds_bucket" in metrics and "rasd_queue_expected_wait_seconds" in metrics
    count = next(line for line in metrics.splitlines() if line.startswith("rasd_queue_wait_seconds_count"))
    assert float(count.split()[-1]) == 4.0  # the four admitted requests, not the refused one
