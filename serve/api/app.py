"""The FastAPI app: ``create_app(settings)`` wires settings, the model, guards, metrics and routers.

Layout (as in FastAPI's full-stack template): settings in :mod:`serve.api.settings`,
dependencies as ``Annotated`` aliases in :mod:`serve.api.deps`, one router per concern in
:mod:`serve.api.routes`, request and response bodies in :mod:`serve.api.schemas`. The model
is loaded once in ``lifespan`` into an :class:`~serve.api.inference.InferenceService` kept on
``app.state``; the routes get it through the dependencies. The model never runs on the event
loop, which keeps answering /health and /metrics meanwhile: /predict awaits the
micro-batcher's worker thread (:mod:`serve.api.batching`; with micro-batching off, FastAPI's
thread pool), and the other endpoints that touch the model are plain ``def``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.api.batching import MicroBatcher
from serve.api.guards import (
    BodySizeLimitMiddleware,
    http_error_handler,
    unexpected_error_handler,
    validation_error_handler,
)
from serve.api.inference import InferenceService
from serve.api.metrics import Metrics, MetricsMiddleware
from serve.api.routes import info, labelstudio, ops, pages, predict
from serve.api.routes.pages import STATIC
from serve.api.settings import Settings
from serve.api.studio import Studio, StudioHooks

log = logging.getLogger(__name__)

DESCRIPTION = """\
Entities, claims and sources in Arabic conflict news.

POST raw Arabic text to **/predict**; every span comes back with character offsets into the
exact string you sent (Unicode code points, end exclusive: `text[start:end] == span.text`),
its label, its text and a confidence. Claims are sentences: each sentence that carries a
claim type comes with its types and their scores, the entities inside it, the source it is
attributed to and an event record (actors, places, dates, quantities, weapons). Send the
article's publication `date` to resolve relative dates (أمس، الثلاثاء الماضي). When
`RASD_API_KEY` is set, /predict and /reload need it in the `X-API-Key` header.
"""


def create_app(settings: Settings | None = None, service: InferenceService | None = None,
               studio: StudioHooks | None = None) -> FastAPI:
    """Build the app. The model is loaded when the app starts (lifespan), not here.

    ``service`` replaces the default ``InferenceService.from_settings(settings)`` (tests use it
    to control loading); it is loaded in lifespan unless it already holds a model. ``studio``
    (the training-side hooks, wired by ``python -m serve api``) adds the Label Studio ML backend
    under /labelstudio.
    """
    settings = settings or Settings()
    service = service or InferenceService.from_settings(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not service.ready:
            await run_in_threadpool(service.load)
        metrics.model_loaded.set(1)
        if not settings.micro_batching:
            yield
            return
        # The worker looks `service.run` up per batch, so it follows reloads (and test doubles).
        batcher = MicroBatcher(lambda texts, dates: service.run(texts, dates), settings.max_batch_tokens,
                               settings.max_wait_ms, settings.max_queue, on_batch=metrics.observe_batch,
                               max_expected_wait=settings.max_expected_wait, on_wait=metrics.queue_wait.observe)
        metrics.queue_depth.set_function(lambda: batcher.depth)
        metrics.expected_wait.set_function(lambda: batcher.expected_wait() or 0.0)
        batcher.start()
        app.state.batcher = batcher
        try:
            yield
        finally:
            app.state.batcher = None
            await run_in_threadpool(batcher.stop)

    app = FastAPI(title="rasd", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.service = service
    app.state.metrics = metrics
    app.state.batcher = None  # a MicroBatcher while the app runs with micro-batching on
    app.state.studio = None if studio is None else Studio(
        studio, service, settings.labelstudio_annotations, settings.labelstudio_events,
        settings.labelstudio_models_dir, settings.labelstudio_retrain_every)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
    for module in (predict, info, ops, pages):
        app.include_router(module.router)
    if studio is not None:
        app.include_router(labelstudio.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Added last = outermost: metrics see every answer, the size limit runs before any parsing.
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key"])
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics, known_paths=frozenset(route_paths(app.routes)))
    return app


def route_paths(routes) -> list[str]:
    """Every path template served, routes of included routers too (FastAPI keeps those as
    their router until first use)."""
    paths = []
    for route in routes:
        included = getattr(route, "original_router", None)
        paths += route_paths(included.routes) if included is not None else [getattr(route, "path", "")]
    return [path for path in paths if path]
