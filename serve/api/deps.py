"""The API's dependencies, as ``Annotated`` aliases the routes declare (FastAPI's full-stack
template's ``deps.py``): the settings, the inference service, the metrics, the micro-batcher,
and the API-key check. Each reads what ``create_app`` put on ``app.state``; none builds anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from serve.api.batching import MicroBatcher
from serve.api.guards import api_key_header, check_api_key
from serve.api.inference import InferenceService
from serve.api.metrics import Metrics
from serve.api.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> InferenceService:
    return request.app.state.service


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def get_batcher(request: Request) -> MicroBatcher | None:
    """The running micro-batcher, or None (micro-batching off, or the app not started)."""
    return request.app.state.batcher


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[InferenceService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
BatcherDep = Annotated[MicroBatcher | None, Depends(get_batcher)]


def require_api_key(settings: SettingsDep, key: Annotated[str | None, Security(api_key_header)] = None) -> None:
    """401 unless ``RASD_API_KEY`` is unset or the ``X-API-Key`` header carries it."""
    secret = settings.api_key
    check_api_key(secret.get_secret_value() if secret else None, key)


ApiKey = Depends(require_api_key)
