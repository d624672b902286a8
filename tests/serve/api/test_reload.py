"""Reload swaps models atomically while the old one keeps serving; concurrent requests are safe."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from model.modeldir import LABELS_FILE, point_current
from model.predictor import Predictor
from serve.api.app import create_app
from serve.api.inference import InferenceService
from tests.serve.helpers import assert_offsets_match, make_settings


def wait_for_reload(client, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/ready").json()["reloading"]:
        assert time.monotonic() < deadline, "reload did not finish"
        time.sleep(0.02)


def served_name(client) -> str:
    return client.post("/predict", json={"text": "قوات النظام في تدمر"}).json()["model"]["name"]


def test_reload_follows_current_to_the_new_model(models):
    with TestClient(create_app(make_settings(models / "current"))) as client:
        assert served_name(client) == "run-a"
        point_current(models, "run-b")
        assert served_name(client) == "run-a"  # nothing changes until asked
        response = client.post("/reload", params={"wait": True})
        assert response.status_code == 200 and response.json()["model"]["name"] == "run-b"
        assert served_name(client) == "run-b"
        assert client.get("/model").json()["name"] == "run-b"


def test_old_model_serves_until_the_new_one_is_ready(models):
    release, loading = threading.Event(), threading.Event()
    loads = []

    def gated_loader(model_dir):
        loads.append(model_dir.name)
        if len(loads) > 1:  # the reload, not the startup load
            loading.set()
            assert release.wait(30)
        return Predictor.load(model_dir, device="cpu")

    service = InferenceService(models / "current", gated_loader)
    with TestClient(create_app(make_settings(models / "current"), service=service)) as client:
        point_current(models, "run-b")
        assert client.post("/reload").status_code == 202
        assert loading.wait(30)
        assert client.get("/ready").json()["reloading"] is True
        assert client.post("/reload").status_code == 202  # a second request joins the running reload
        assert served_name(client) == "run-a"
        release.set()
        wait_for_reload(client)
        assert served_name(client) == "run-b"
        assert client.get("/ready").json() == {"ready": True, "reloading": False, "last_reload_error": None,
                                               "model": {"name": "run-b", "version": "run-b"}}
    assert loads == ["run-a", "run-b"]


def test_failed_reload_keeps_the_old_model(models):
    with TestClient(create_app(make_settings(models / "current"))) as client:
        (models / "broken").mkdir()
        point_current(models, "broken")
        response = client.post("/reload", params={"wait": True})
        assert response.status_code == 409
        body = response.json()
        assert body["status"] == "failed" and LABELS_FILE in body["error"] and body["model"]["name"] == "run-a"
        assert served_name(client) == "run-a"
        assert LABELS_FILE in client.get("/ready").json()["last_reload_error"]


def test_concurrent_requests_each_get_their_own_answer(client, seed_documents):
    texts = [document["text"][start:start + 300] for document in seed_documents for start in (0, 600)]
    expected = {text: client.post("/predict", json={"text": text}).json() for text in texts}

    def ask(text):
        return text, client.post("/predict", json={"text": text}).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, texts * 3))
    for text, answer in answers:
        assert answer == expected[text]
        assert_offsets_match(text, answer["documents"][0])


def test_concurrent_requests_during_a_reload_all_succeed(models):
    with TestClient(create_app(make_settings(models / "current"))) as client:
        point_current(models, "run-b")

        def ask(index):
            if index == 5:
                return client.post("/reload").status_code
            return client.post("/predict", json={"text": f"قوات النظام {index}"}).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(ask, range(24)))
        assert statuses.count(200) == 23 and statuses[5] == 202
        wait_for_reload(client)
        assert served_name(client) == "run-b"
