"""Claim sentences through /predict: the documented example, and the publication date's way
from the request to the event record (on a scripted model: the tiny one's claims are too weak
to test on; see tests/serve/api/scripted.py)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from serve.api.app import create_app
from serve.api.examples import EXAMPLE_DATE, EXAMPLE_ROLES, EXAMPLE_TEXT
from serve.api.inference import InferenceService
from tests.serve.api.scripted import scripted_loader
from tests.serve.helpers import assert_offsets_match, make_settings


def predictor_calls(client) -> list:
    return client.app.state.service.predictor.calls


def test_the_readme_example_with_its_date_is_one_airstrike_sentence_dated_the_day_before(scripted_client):
    response = scripted_client.post("/predict", json={"text": EXAMPLE_TEXT, "date": "2015-10-07"})
    assert response.status_code == 200
    document = response.json()["documents"][0]
    assert_offsets_match(EXAMPLE_TEXT, document)
    [claim] = document["claims"]
    assert (claim["start"], claim["end"], claim["text"]) == (0, len(EXAMPLE_TEXT), EXAMPLE_TEXT)
    assert claim["types"] == [{"label": "AIRSTRIKE", "score": 0.94}]
    assert claim["entities"] == document["entities"]
    assert claim["source"] == document["sources"][0] and claim["source"]["text"] == "المرصد السوري لحقوق الإنسان"
    event = claim["event"]
    assert event["dates"] == [{"text": "أمس", "label": "DATE", "start": 58, "end": 61,
                               "value": "2015-10-06", "precision": "day"}]
    assert event["quantities"] == [{"text": "12 غارة", "label": "QUANTITY", "start": 62, "end": 69,
                                    "value": 12, "qualifier": "exact", "unit": "غارة"}]
    assert [place["text"] for place in event["places"]] == ["إدلب"]
    assert [weapon["text"] for weapon in event["weapons"]] == ["طائرات حربية روسية"]
    assert (event["source"], event["source_kind"]) == ("المرصد السوري لحقوق الإنسان", "named")
    assert predictor_calls(scripted_client)[-1] == ([EXAMPLE_TEXT], [EXAMPLE_DATE])


def test_the_answer_is_the_documented_example(scripted_client):
    schema = scripted_client.get("/openapi.json").json()["components"]["schemas"]
    documented = schema["PredictResponse"]["properties"]["documents"]["examples"][0]
    request = schema["PredictRequest"]["examples"][0]
    assert scripted_client.post("/predict", json=request).json()["documents"] == documented


def test_without_a_date_relative_dates_stay_unresolved(scripted_client):
    for body in ({"text": EXAMPLE_TEXT}, {"text": EXAMPLE_TEXT, "date": None}):
        claim = scripted_client.post("/predict", json=body).json()["documents"][0]["claims"][0]
        assert claim["event"]["dates"] == [{"text": "أمس", "label": "DATE", "start": 58, "end": 61,
                                            "value": None, "precision": None}]
        assert predictor_calls(scripted_client)[-1] == ([EXAMPLE_TEXT], [None])


@pytest.mark.parametrize("micro_batching", [True, False])
def test_each_text_gets_its_own_date_blank_texts_included(tiny_model_dir, micro_batching, seed_paragraph):
    app = create_app(make_settings(tiny_model_dir, micro_batching=micro_batching),
                     service=InferenceService(tiny_model_dir, scripted_loader))
    texts = ["", EXAMPLE_TEXT, seed_paragraph, EXAMPLE_TEXT]
    dates = ["2015-01-01", "2015-10-07", "2021-01-14", None]
    with TestClient(app) as client:
        documents = client.post("/predict", json={"texts": texts, "dates": dates}).json()["documents"]
        # The blank text is answered without the model; the others keep their own dates.
        assert predictor_calls(client)[-1] == (texts[1:], [date(2015, 10, 7), date(2021, 1, 14), None])
    assert documents[0] == {"entities": [], "claims": [], "sources": []}
    assert [document["claims"][0]["event"]["dates"][0]["value"] for document in documents[1::2]] == \
        ["2015-10-06", None]
    for text, document in zip(texts, documents, strict=True):
        assert_offsets_match(text, document)


def test_the_example_roles_are_the_schema_roles(tiny_predictor):
    roles = tiny_predictor.schema.roles()
    assert {label: roles[label] for label in EXAMPLE_ROLES} == EXAMPLE_ROLES
    assert tiny_predictor.schema.unit("claims") == "sentence"


def test_the_model_card_says_claims_are_sentences(scripted_client):
    layers = scripted_client.get("/model").json()["schema"]["layers"]
    assert {layer: body["unit"] for layer, body in layers.items()} == \
        {"entities": "span", "claims": "sentence", "sources": "span"}
