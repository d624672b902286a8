"""Every endpoint through TestClient, on the session's tiny model and a seed paragraph."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from model.predictor import Predictor
from serve.api.app import create_app
from serve.api.examples import EXAMPLE_TEXT
from serve.api.inference import InferenceService
from tests.serve.helpers import assert_offsets_match, make_settings


def test_predict_seed_paragraph_offsets_are_slices(client, seed_paragraph):
    response = client.post("/predict", json={"text": seed_paragraph, "date": "2021-01-14"})
    assert response.status_code == 200
    body = response.json()
    assert set(body["model"]) == {"name", "version"}
    assert len(body["documents"]) == 1
    document = body["documents"][0]
    assert list(document) == ["entities", "claims", "sources"]
    assert document["entities"], "the tiny model fits the seeds: it must find entities in a seed paragraph"
    assert_offsets_match(seed_paragraph, document)
    for span in document["entities"]:
        assert set(span) == {"start", "end", "label", "text", "score"} and 0 <= span["score"] <= 1
    # Whatever claims the tiny model finds, each is a sentence in the shape of the contract.
    claim_labels = set(client.get("/model").json()["schema"]["layers"]["claims"]["labels"])
    for claim in document["claims"]:
        assert set(claim) == {"start", "end", "text", "types", "entities", "source", "event"}
        scores = [item["score"] for item in claim["types"]]
        assert scores and scores == sorted(scores, reverse=True) and all(0 <= score <= 1 for score in scores)
        assert {item["label"] for item in claim["types"]} <= claim_labels
        assert claim["entities"] == [entity for entity in document["entities"]
                                     if claim["start"] <= entity["start"] and entity["end"] <= claim["end"]]
        assert set(claim["event"]) == {"actors", "places", "dates", "quantities", "weapons", "source", "source_kind"}


def test_predict_texts_keeps_order_and_matches_single(client, seed_documents, seed_paragraph):
    texts = [seed_paragraph, "", seed_documents[1]["text"][:400]]
    many = client.post("/predict", json={"texts": texts}).json()["documents"]
    assert len(many) == 3
    assert many[0] == client.post("/predict", json={"text": seed_paragraph}).json()["documents"][0]
    assert many[1] == {"entities": [], "claims": [], "sources": []}
    for text, document in zip(texts, many):
        assert_offsets_match(text, document)


def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_when_loaded(client):
    body = client.get("/ready").json()
    assert body["ready"] is True and body["reloading"] is False and body["model"]["name"]


def test_ready_and_predict_are_503_until_the_model_is_loaded(tiny_model_dir):
    release = threading.Event()

    def slow_loader(model_dir):
        release.wait(30)
        return Predictor.load(model_dir, device="cpu")

    service = InferenceService(tiny_model_dir, slow_loader)
    app = create_app(make_settings(tiny_model_dir), service=service)
    # No lifespan (no `with`): the app answers while the model is not loaded.
    client = TestClient(app)
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
    assert client.get("/model").status_code == 503
    response = client.post("/predict", json={"text": "قوات النظام"})
    assert response.status_code == 503 and "loading" in response.json()["detail"]
    release.set()
    service.load()
    assert client.get("/ready").status_code == 200


def test_model_card(client, tiny_model_dir):
    body = client.get("/model").json()
    info = Predictor.load(tiny_model_dir, device="cpu").info
    assert body["name"] == info["name"] and body["created"] == info["created"]
    assert body["base"]["used"] == "compact"
    assert list(body["schema"]["layers"]) == ["entities", "claims", "sources"]
    assert body["colours"]["GPE"].startswith("#")
    assert body["evaluation"]["scheme"] == "seqeval strict IOB2"
    assert "f1" in body["evaluation"]["layers"]["entities"]["micro"]
    assert "labels" not in body["evaluation"]["layers"]["entities"]  # summary only
    assert body["limits"]["max_chars_per_text"] > 0


def test_metrics_count_requests_documents_and_characters(client):
    client.post("/predict", json={"texts": ["قوات النظام في تدمر", "بغداد"]})
    client.post("/predict", json={"text": 5})
    text = client.get("/metrics").text
    assert 'rasd_requests_total{endpoint="/predict",method="POST",status="200"}' in text
    assert 'rasd_requests_total{endpoint="/predict",method="POST",status="422"}' in text
    assert "rasd_request_duration_seconds_bucket" in text
    assert "rasd_documents_total" in text and "rasd_characters_total" in text
    assert 'rasd_spans_total{layer="entities"}' in text
    assert "rasd_model_loaded 1.0" in text


def test_metrics_label_unknown_paths_by_a_fixed_name(client):
    client.get("/no/such/path/12345")
    text = client.get("/metrics").text
    assert 'endpoint="unmatched"' in text and "12345" not in text


def test_demo_page_and_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "حلّل / Analyse" in page.text
    assert "://" not in page.text  # no CDN: the page works offline
    for asset, kind in [("/static/app.js", "javascript"), ("/static/style.css", "css")]:
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert "://" not in response.text
    script = client.get("/static/app.js").text
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in script  # user text reaches the page as text nodes only


def test_openapi_has_arabic_examples(client):
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["PredictRequest"]
    assert request["examples"][0] == {"text": EXAMPLE_TEXT, "date": "2015-10-07"}
    assert request["properties"]["date"]["anyOf"][0] == {"type": "string", "format": "date"}
    documents = schema["components"]["schemas"]["PredictResponse"]["properties"]["documents"]["examples"][0]
    [claim] = documents[0]["claims"]
    assert [item["label"] for item in claim["types"]] == ["AIRSTRIKE"]
    assert claim["event"]["dates"][0]["value"] == "2015-10-06" and claim["source"]["label"] == "SRC_NAMED"
    assert_offsets_match(EXAMPLE_TEXT, documents[0])
    assert {"/predict", "/health", "/ready", "/model", "/metrics", "/reload"} <= set(schema["paths"])
    assert "X-API-Key" in str(schema["components"]["securitySchemes"])


@pytest.mark.parametrize("path", ["/predict", "/reload"])
def test_get_on_post_endpoints_is_405(client, path):
    assert client.get(path).status_code == 405
