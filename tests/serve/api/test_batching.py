"""Micro-batching: concurrent requests share one model call, a full queue is 503, errors stay clean."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from model.modeldir import point_current
from serve.api.app import create_app
from serve.api.batching import MicroBatcher, estimate_tokens
from serve.api.inference import Prediction
from serve.cli import app as cli
from tests.serve.helpers import assert_offsets_match, make_settings


class Spy:
    """Stands in for ``service.run``: records each call's texts and dates, can hold the first call until
    released (so that others queue up behind it), and fails calls holding ``fail_on``."""

    def __init__(self, service, hold_first: bool = False, fail_on: str | None = None, delay: float = 0.0):
        self.predict = service.run
        self.calls: list[list[str]] = []
        self.dates: list[list] = []
        self.models: list[str] = []
        self.hold_first, self.fail_on, self.delay = hold_first, fail_on, delay
        self.holding, self.release = threading.Event(), threading.Event()
        service.run = self

    def __call__(self, texts: list[str], dates: list) -> Prediction:
        self.calls.append(list(texts))
        self.dates.append(list(dates))
        if self.hold_first and len(self.calls) == 1:
            self.holding.set()
            assert self.release.wait(30)
        time.sleep(self.delay)
        if self.fail_on and any(self.fail_on in text for text in texts):
            raise RuntimeError("the model exploded at /secret/path")
        prediction = self.predict(texts, dates)
        self.models.append(prediction.model["name"])
        return prediction


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def close(expected, actual) -> bool:
    """Equal, except scores may differ in the last rounded digit (padding in a joined batch)."""
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(close(expected[k], actual[k]) for k in expected)
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(map(close, expected, actual))
    if isinstance(expected, float):
        return abs(expected - actual) <= 2e-4
    return expected == actual


@pytest.fixture()
def texts(seed_documents) -> list[str]:
    """Twelve different 300-character pieces of the seeds."""
    return [document["text"][start:start + 300] for document in seed_documents for start in (0, 600, 1200)][:12]


def test_concurrent_requests_share_one_model_call_and_get_their_own_answers(tiny_model_dir, texts):
    app = create_app(make_settings(tiny_model_dir, max_wait_ms=50))
    # Each request with its own publication date: the joined call must keep each with its text.
    bodies = [{"text": text, "date": f"2015-10-{day:02d}"} for day, text in enumerate(texts, start=1)]
    with TestClient(app) as client:
        single = {body["text"]: client.post("/predict", json=body).json() for body in bodies}
        spy = Spy(app.state.service, hold_first=True)
        with ThreadPoolExecutor(max_workers=len(texts)) as pool:
            first = pool.submit(client.post, "/predict", json=bodies[0])
            assert spy.holding.wait(30)
            rest = [pool.submit(client.post, "/predict", json=body) for body in bodies[1:]]
            wait_until(lambda: app.state.batcher.depth == len(texts) - 1)
            spy.release.set()
            answers = [future.result() for future in [first, *rest]]
        metrics = client.get("/metrics").text
    assert [len(call) for call in spy.calls] == [1, len(texts) - 1]  # 12 requests, 2 model calls
    sent = {body["text"]: date.fromisoformat(body["date"]) for body in bodies}
    assert [dict(zip(call, dates)) for call, dates in zip(spy.calls, spy.dates)] == \
        [{text: sent[text] for text in call} for call in spy.calls]
    for text, answer in zip(texts, answers):
        assert answer.status_code == 200
        assert close(single[text], answer.json())
        assert_offsets_match(text, answer.json()["documents"][0])
    # The 12 single requests first (batches of 1), then the batches of 1 and 11.
    assert "rasd_batch_size_count 14.0" in metrics and "rasd_batch_size_sum 24.0" in metrics
    assert "rasd_queue_depth 0.0" in metrics


def test_a_full_queue_answers_503_with_retry_after(tiny_model_dir):
    app = create_app(make_settings(tiny_model_dir, max_queue=1))
    with TestClient(app) as client:
        spy = Spy(app.state.service, hold_first=True)
        with ThreadPoolExecutor(max_workers=2) as pool:
            running = pool.submit(client.post, "/predict", json={"text": "قوات النظام في تدمر"})
            assert spy.holding.wait(30)
            queued = pool.submit(client.post, "/predict", json={"texts": ["مطار تدمر العسكري", ""]})
            wait_until(lambda: app.state.batcher.depth == 1)
            refused = client.post("/predict", json={"text": "البادية السورية"})
            spy.release.set()
            assert running.result().status_code == 200 and queued.result().status_code == 200
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
        assert "overloaded" in refused.json()["detail"] and "RASD_MAX_QUEUE" in refused.json()["detail"]
        assert client.post("/predict", json={"text": "البادية السورية"}).status_code == 200
        assert 'rasd_requests_total{endpoint="/predict",method="POST",status="503"} 1.0' in client.get("/metrics").text


def test_a_failing_batch_fails_each_of_its_requests_cleanly_and_the_next_works(tiny_model_dir):
    app = create_app(make_settings(tiny_model_dir, max_wait_ms=50))
    with TestClient(app, raise_server_exceptions=False) as client:
        spy = Spy(app.state.service, hold_first=True, fail_on="BOOM")
        with ThreadPoolExecutor(max_workers=4) as pool:
            first = pool.submit(client.post, "/predict", json={"text": "قوات النظام"})
            assert spy.holding.wait(30)
            batch = [pool.submit(client.post, "/predict", json={"text": text})
                     for text in ("BOOM تدمر", "مطار تدمر", "البادية السورية")]
            wait_until(lambda: app.state.batcher.depth == 3)
            spy.release.set()
            assert first.result().status_code == 200
            failed = [future.result() for future in batch]
        assert len(spy.calls) == 2
        for response in failed:  # the same answer as an unbatched model error: a bland, logged 500
            assert response.status_code == 500
            assert response.json() == {"detail": "internal error; it has been logged on the server"}
            assert "secret" not in response.text and "Traceback" not in response.text
        after = client.post("/predict", json={"text": "مطار تدمر"})
        assert after.status_code == 200 and after.json()["documents"][0]["entities"] is not None


def test_reload_while_batching_swaps_between_batches(models, texts):
    app = create_app(make_settings(models / "current", max_wait_ms=20))
    with TestClient(app) as client:
        spy = Spy(app.state.service, delay=0.01)
        point_current(models, "run-b")

        def ask(index):
            if index == 12:
                return client.post("/reload", params={"wait": True})
            return client.post("/predict", json={"text": texts[index % len(texts)]})

        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(ask, range(36)))
        assert responses[12].status_code == 200 and responses[12].json()["model"]["name"] == "run-b"
        answered = [response.json() for index, response in enumerate(responses) if index != 12]
        assert all(response.status_code == 200 for response in responses)
        assert {answer["model"]["name"] for answer in answered} <= {"run-a", "run-b"}
        assert client.post("/predict", json={"text": texts[0]}).json()["model"]["name"] == "run-b"
    assert len(spy.calls) < 35  # requests were joined
    assert spy.models[-1] == "run-b"


def test_token_budget_closes_a_batch_and_blank_texts_cost_nothing():
    assert estimate_tokens(["", " \n\t"]) == 0
    assert estimate_tokens(["a" * 40]) == 12  # 40 characters / 4, plus [CLS] and [SEP]
    calls, release = [], threading.Event()

    def run(texts, dates):
        calls.append((texts, dates))
        release.wait(30)
        return Prediction({"name": "stub"}, [f"doc:{text}" for text in texts])

    batcher = MicroBatcher(run, max_batch_tokens=25, max_wait_ms=100, max_queue=8)
    batcher.start()
    first = batcher.submit(["first"])
    wait_until(lambda: calls)
    pending = [batcher.submit(["a" * 40]), batcher.submit(["b" * 40, ""], [date(2015, 10, 6), date(2015, 10, 7)]),
               batcher.submit(["c" * 200])]
    release.set()
    assert [future.result(10).documents for future in [first, *pending]] == [
        ["doc:first"], ["doc:" + "a" * 40], ["doc:" + "b" * 40, "doc:"], ["doc:" + "c" * 200]]
    batcher.stop()
    # 12 + 12 tokens fit 25; the 52-token request is over the budget and runs alone.
    assert [len(texts) for texts, _ in calls] == [1, 3, 1]
    # Dates travel with their texts; a request sent without them has None for each text.
    assert calls[1][1] == [None, date(2015, 10, 6), date(2015, 10, 7)]
    with pytest.raises(RuntimeError, match="shutting down"):
        batcher.submit(["late"])


def test_stop_answers_what_is_queued_before_the_worker_ends():
    release = threading.Event()

    def run(texts, dates):
        release.wait(30)
        return Prediction({"name": "stub"}, list(texts))

    batcher = MicroBatcher(run, max_batch_tokens=8192, max_wait_ms=0, max_queue=8)
    batcher.start()
    futures = [batcher.submit([str(index)]) for index in range(3)]
    stopper = threading.Thread(target=batcher.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert [future.result(0).documents for future in futures] == [["0"], ["1"], ["2"]]
    assert not batcher._thread.is_alive()


def test_micro_batching_off_answers_the_same(tiny_model_dir, texts):
    on = create_app(make_settings(tiny_model_dir))
    off = create_app(make_settings(tiny_model_dir, micro_batching=False))
    with TestClient(on) as batched, TestClient(off) as direct:
        assert off.state.batcher is None and on.state.batcher is not None
        for text in texts[:3]:
            assert batched.post("/predict", json={"text": text}).json() == \
                direct.post("/predict", json={"text": text}).json()
        worker = on.state.batcher._thread
    assert not worker.is_alive() and on.state.batcher is None  # lifespan shutdown stopped it


def test_cli_options_reach_the_batching_settings(tiny_model_dir, monkeypatch):
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app))
    result = CliRunner().invoke(cli, ["api", "--model-dir", str(tiny_model_dir), "--device", "cpu",
                                      "--no-micro-batching", "--max-batch-tokens", "1000",
                                      "--max-wait-ms", "2.5", "--max-queue", "7"])
    assert result.exit_code == 0, result.output
    settings = started["app"].state.settings
    assert (settings.micro_batching, settings.max_batch_tokens, settings.max_wait_ms, settings.max_queue) == \
        (False, 1000, 2.5, 7)
    refused = CliRunner().invoke(cli, ["api", "--model-dir", str(tiny_model_dir), "--max-queue", "0"])
    assert refused.exit_code == 2 and "max_queue" in refused.output
