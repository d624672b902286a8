"""Schemathesis against the app's own OpenAPI, in-process over ASGI: no input may cause a 5xx.

Cases come from ``operation.as_strategy()`` driven by Hypothesis inside each test (the
schemathesis pytest fixture loader does not run under pytest 9), positive (fits the schema)
and negative (violates it) for the operations that take input.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from tests.serve.helpers import assert_offsets_match

OPERATIONS = [("POST", "/predict"), ("POST", "/reload"), ("GET", "/health"), ("GET", "/ready"),
              ("GET", "/model"), ("GET", "/metrics")]
TAKES_INPUT = {("POST", "/predict"), ("POST", "/reload")}


@pytest.fixture(scope="session")
def api_schema(app, client):
    # `client` has started the app (model loaded); schemathesis calls it in-process, no network.
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_is_fuzzed(api_schema):
    found = {(result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


# Negative cases only exist for operations that take input: there is nothing to violate in a GET.
CASES = [(method, path, GenerationMode.POSITIVE) for method, path in OPERATIONS] + [
    (method, path, GenerationMode.NEGATIVE) for method, path in OPERATIONS if (method, path) in TAKES_INPUT]


@pytest.mark.parametrize("method, path, mode", CASES)
def test_no_input_causes_a_server_error(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=100 if path == "/predict" else 20, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call()
        assert response.status_code < 500, f"{method} {path} -> {response.status_code}: {response.text[:300]}"
        if path == "/predict" and response.status_code == 200:
            texts = [case.body["text"]] if case.body.get("text") is not None else case.body["texts"]
            for text, document in zip(texts, response.json()["documents"], strict=True):
                assert_offsets_match(text, document)

    check()
