"""Hostile and odd inputs: limits, bad JSON and types, odd characters, keys, CORS, no tracebacks."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serve.api.app import create_app
from serve.api.guards import BodySizeLimitMiddleware
from tests.serve.helpers import assert_offsets_match, make_settings

EMPTY = {"entities": [], "claims": [], "sources": []}


@pytest.fixture(scope="module")
def small_limits_client(tiny_model_dir):
    app = create_app(make_settings(tiny_model_dir, max_body_bytes=2000, max_chars_per_text=300,
                                   max_texts_per_request=3))
    with TestClient(app) as client:
        yield client


def post_raw(client, body: bytes, **headers):
    return client.post("/predict", content=body, headers={"content-type": "application/json", **headers})


# -- limits ---------------------------------------------------------------------------------------

def test_body_over_limit_is_413_before_parsing(small_limits_client):
    # Not even JSON: a 413 proves the body was refused before anything parsed it.
    response = post_raw(small_limits_client, b"{" * 2001)
    assert response.status_code == 413
    assert "2000 bytes" in response.json()["detail"] and "RASD_MAX_BODY_BYTES" in response.json()["detail"]


def test_streamed_body_without_length_is_413(small_limits_client):
    chunks = (b" " * 500 for _ in range(100))  # a generator: sent chunked, with no Content-Length
    response = small_limits_client.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "2000 bytes" in response.json()["detail"]


def test_size_limit_stops_reading_a_stream_at_the_limit():
    # At the ASGI level, because TestClient buffers a streamed body before the app sees it.
    pulled = []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 500, "more_body": len(pulled) < 100}

    async def reads_everything(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/predict", "headers": []}
    asyncio.run(BodySizeLimitMiddleware(reads_everything, limit=2000)(scope, receive, send))
    assert sent[0]["status"] == 413 and b"2000 bytes" in sent[1]["body"]
    assert len(pulled) == 5  # 2500 bytes read: the first chunk over the limit, nothing after it


def test_text_over_character_limit_is_413_naming_the_limit(small_limits_client):
    response = small_limits_client.post("/predict", json={"texts": ["قصير", "ب" * 301]})
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "texts[1]" in detail and "300 characters" in detail and "RASD_MAX_CHARS_PER_TEXT" in detail


def test_too_many_texts_is_422_naming_the_limit(small_limits_client):
    response = small_limits_client.post("/predict", json={"texts": ["أ", "ب", "ت", "ث"]})
    assert response.status_code == 422
    assert "limit is 3 texts" in response.json()["detail"]


def test_a_100_kb_article_is_tagged_in_windows(client, seed_documents):
    article = "\n".join(document["text"] for document in seed_documents)
    article = (article * (100_000 // len(article) + 1))[:100_000]
    response = client.post("/predict", json={"text": article})
    assert response.status_code == 200
    document = response.json()["documents"][0]
    assert_offsets_match(article, document)
    # Spans are found throughout the article, not only in the first window.
    assert max(span["end"] for span in document["entities"]) > 90_000


# -- bad JSON and types ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    (b'{"text": 5}', "text"),
    (b'{"texts": ["ok", 3]}', "texts[1]"),
    (b'{"texts": "not a list"}', "texts"),
    (b'{"text": null, "texts": null}', "body"),
    (b'{"text": "a", "texts": ["b"]}', "body"),
    (b"{}", "body"),
    (b"[]", "body"),
    (b'"just a string"', "body"),
    (b"", "body"),
    (b'{"txt": "typo"}', "txt"),
    (b'{"text": "a", "date": "07/10/2015"}', "date"),
    (b'{"text": "a", "date": "2015-02-30"}', "date"),
    (b'{"text": "a", "date": 1444176000}', "date"),
    (b'{"text": "a", "date": "2015-10-07T10:00:00"}', "date"),
    (b'{"text": "a", "dates": ["2015-10-07"]}', "dates"),
    (b'{"texts": ["a"], "date": "2015-10-07"}', "date"),
    (b'{"texts": ["a", "b"], "dates": ["2015-10-07"]}', "dates"),
    (b'{"texts": ["a", "b"], "dates": ["2015-10-07", "yesterday"]}', "dates[1]"),
])
def test_wrong_shapes_are_422_naming_the_field(client, body, field):
    response = post_raw(client, body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["errors"] and payload["errors"][0]["field"] == field
    assert payload["detail"].startswith(field)


def test_a_bad_date_names_the_expected_format(client):
    detail = post_raw(client, b'{"texts": ["a", "b"], "dates": [null, "7.10.2015"]}').json()["detail"]
    assert detail == 'dates[1]: expected an ISO date, "YYYY-MM-DD" (e.g. "2015-10-07")'
    detail = post_raw(client, b'{"texts": ["a", "b"], "dates": ["2015-10-07"]}').json()["detail"]
    assert detail == "dates: has 1 dates for 2 texts; send one date (or null) per text"


@pytest.mark.parametrize("body", [b"{", b'{"text": "unterminated}', b"\xff\xfe", b'{"text": "a",}',
                                  b'{"text": "\xd8\xa8\xd8"}', b"\x08a\xda\xea\xac"])
def test_invalid_json_is_422(client, body):
    response = post_raw(client, body)
    assert response.status_code == 422 and response.json()["detail"].startswith("body: invalid JSON")


def test_unpaired_surrogate_is_422(client):
    response = post_raw(client, b'{"texts": ["ok", "\\ud800 broken"]}')
    assert response.status_code == 422 and "texts[1]" in response.json()["detail"]


def test_errors_never_echo_the_input(client):
    secret = "كلمة-سرية-في-المدخل"
    response = post_raw(client, json.dumps({"text": 5, "other": secret}, ensure_ascii=False).encode())
    assert response.status_code == 422 and secret not in response.text


# -- odd but valid text ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", " ", "\n\t  \u00a0\u200f"])
def test_empty_or_whitespace_text_is_an_empty_result(client, text):
    response = client.post("/predict", json={"text": text})
    assert response.status_code == 200 and response.json()["documents"] == [EMPTY]


@pytest.mark.parametrize("text", [
    "قوات النظام\x00 في تدمر\x01\x02\x1b[31m\x7f",
    "وصلت تعزيزات 🚀🔥 إلى مطار تدمر العسكري 👍🏽 اليوم",
    "Russian forces قوات روسية силы России 俄罗斯军队 in Palmyra تدمر",
    "\u202eمقلوب\u202c \u200dوصلت\u200c تعزيزات\ufeff",
    "ـــــــــ ،،،،، ؟؟؟ ...",
    "ي" * 5000,
])
def test_control_characters_mixed_scripts_and_emoji(client, text):
    response = client.post("/predict", json={"text": text})
    assert response.status_code == 200
    assert_offsets_match(text, response.json()["documents"][0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=200), min_size=1, max_size=3))
def test_any_unicode_text_gives_exact_offsets(client, texts):
    response = client.post("/predict", json={"texts": texts})
    assert response.status_code == 200
    for text, document in zip(texts, response.json()["documents"], strict=True):
        assert_offsets_match(text, document)


# -- API key and CORS -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def keyed_client(tiny_model_dir):
    with TestClient(create_app(make_settings(tiny_model_dir, api_key="s3cret-key"))) as client:
        yield client


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
@pytest.mark.parametrize("path", ["/predict", "/reload"])
def test_api_key_required_when_set(keyed_client, path, headers):
    response = keyed_client.post(path, json={"text": "تدمر"}, headers=headers)
    assert response.status_code == 401 and "X-API-Key" in response.json()["detail"]


def test_api_key_accepted_and_open_endpoints_stay_open(keyed_client):
    key = {"X-API-Key": "s3cret-key"}
    assert keyed_client.post("/predict", json={"text": "تدمر"}, headers=key).status_code == 200
    for path in ["/health", "/ready", "/model", "/metrics", "/"]:
        assert keyed_client.get(path).status_code == 200


def test_cors_is_off_by_default(client):
    preflight = client.options("/predict", headers={"Origin": "https://evil.example",
                                                    "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_on_for_configured_origins_only(tiny_model_dir):
    app = create_app(make_settings(tiny_model_dir, cors_origins="https://analyst.example, https://b.example"))
    with TestClient(app) as client:
        allowed = client.get("/health", headers={"Origin": "https://analyst.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://analyst.example"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -- the last line of defence ---------------------------------------------------------------------

def test_unexpected_error_is_a_bland_500_without_traceback(tiny_model_dir):
    app = create_app(make_settings(tiny_model_dir))
    with TestClient(app, raise_server_exceptions=False) as client:
        def explode(texts, dates):
            raise RuntimeError("internal detail /secret/path")

        app.state.service.run = explode
        response = client.post("/predict", json={"text": "تدمر"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; it has been logged on the server"}
    assert "Traceback" not in response.text and "secret" not in response.text
