"""Helpers shared by the serve tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import os
from unittest import mock

from serve.api.settings import Settings


def make_settings(model_dir, **overrides) -> Settings:
    """Settings for tests: the given model on CPU; RASD_* variables of the shell are ignored."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("RASD_")}
    with mock.patch.dict(os.environ, clean, clear=True):
        return Settings(model_dir=model_dir, device="cpu", **overrides)


def assert_offsets_match(text: str, document: dict) -> None:
    """Every span of every layer, every claim sentence, and every span and event-record mention
    nested in a claim sentence is exactly text[start:end]."""
    for spans in document.values():
        for span in spans:
            nested = span.get("entities", []) + ([span["source"]] if span.get("source") else [])
            mentions = [item for items in span.get("event", {}).values() if isinstance(items, list) for item in items]
            for item in [span, *nested, *mentions]:
                assert 0 <= item["start"] < item["end"] <= len(text), item
                assert text[item["start"]:item["end"]] == item["text"], item


def without_scores(value):
    """A scored record with every span's score removed, for comparisons across batchings."""
    if isinstance(value, dict):
        return {key: without_scores(item) for key, item in value.items() if key != "score"}
    if isinstance(value, list):
        return [without_scores(item) for item in value]
    return value
