"""The FastAPI app: ``create_app(settings)`` wires settings, the model, guards, metrics and pages.

The model is loaded once in ``lifespan`` into an :class:`InferenceService` and injected into
endpoints with ``Depends``. The model never runs on the event loop, which keeps answering
/health and /metrics meanwhile: /predict awaits the micro-batcher's worker thread
(serve/batching.py; with micro-batching off, FastAPI's thread pool), and the other endpoints
that touch the model are plain ``def``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from model.modeldir import ModelDir
from serve.batching import MicroBatcher, Overloaded
from serve.guards import (
    BodySizeLimitMiddleware,
    api_key_header,
    check_api_key,
    http_error_handler,
    unexpected_error_handler,
    validation_error_handler,
)
from serve.inference import InferenceService
from serve.metrics import Metrics, MetricsMiddleware
from serve.schemas import ErrorOut, PredictRequest, PredictResponse, ReadyOut, ReloadOut
from serve.settings import Settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"

DESCRIPTION = """\
Entities, claims and sources in Arabic conflict news.

POST raw Arabic text to **/predict**; every span comes back with character offsets into the
exact string you sent (Unicode code points, end exclusive: `text[start:end] == span.text`),
its label, its text and a confidence. Claims carry the entities inside them and the source
they are attributed to. When `RASD_API_KEY` is set, /predict and /reload need it in the
`X-API-Key` header.
"""

ERRORS = {413: {"model": ErrorOut, "description": "body or a text over its limit (the message names it)"},
          422: {"model": ErrorOut, "description": "invalid JSON or fields (the message names the field)"},
          503: {"model": ErrorOut, "description": "model still loading, or too many requests waiting "
                                                  "for it (retry after the Retry-After header's seconds)"}}


def get_service(request: Request) -> InferenceService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


ServiceDep = Annotated[InferenceService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_api_key(request: Request, key: str | None = Security(api_key_header)) -> None:
    secret = request.app.state.settings.api_key
    check_api_key(secret.get_secret_value() if secret else None, key)


def model_ref(info: dict) -> dict:
    version = info.get("version")
    return {"name": str(info.get("name", "unknown")), "version": str(version) if version else None}


def render_prediction(prediction) -> JSONResponse:
    return JSONResponse({"model": model_ref(prediction.model),
                         "documents": [document.to_dict() for document in prediction.documents]})


def evaluation_summary(model_dir: Path) -> dict | None:
    """metrics.json without the per-label tables (those are in the model card), or None."""
    metrics = ModelDir(model_dir).metrics()
    if metrics is None:
        return None
    layers = {layer: {key: value for key, value in scores.items() if key != "labels"}
              for layer, scores in (metrics.get("layers") or {}).items()}
    return {**{key: value for key, value in metrics.items() if key != "layers"}, "layers": layers}


def create_app(settings: Settings | None = None, service: InferenceService | None = None) -> FastAPI:
    """Build the app. The model is loaded when the app starts (lifespan), not here.

    ``service`` replaces the default ``InferenceService.from_settings(settings)`` (tests use it
    to control loading); it is loaded in lifespan unless it already holds a model.
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
        # The worker looks `service.predict` up per batch, so it follows reloads (and test doubles).
        batcher = MicroBatcher(lambda texts: service.predict(texts), settings.max_batch_tokens,
                               settings.max_wait_ms, settings.max_queue, on_batch=metrics.observe_batch)
        metrics.queue_depth.set_function(lambda: batcher.depth)
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
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)

    @app.post("/predict", response_model=PredictResponse, responses=ERRORS, tags=["model"],
              dependencies=[Depends(require_api_key)], summary="Tag one text or several")
    async def predict(body: PredictRequest, request: Request, service: ServiceDep,
                      settings: SettingsDep) -> JSONResponse:
        """Send `{"text": "..."}` or `{"texts": ["...", ...]}` (not both). The answer has one
        document per text, in order — a single `text` gives `documents` of length one. Empty or
        whitespace-only texts give documents with empty span lists. When too many requests are
        already waiting for the model, the answer is 503 with a `Retry-After` header."""
        texts = body.as_list()
        if len(texts) > settings.max_texts_per_request:
            raise HTTPException(422, detail=f"too many texts: {len(texts)}; the limit is "
                                f"{settings.max_texts_per_request} texts per request "
                                "(RASD_MAX_TEXTS_PER_REQUEST)")
        for index, text in enumerate(texts):
            if len(text) > settings.max_chars_per_text:
                where = "text" if body.text is not None else f"texts[{index}]"
                raise HTTPException(413, detail=f"{where} has {len(text)} characters; the limit is "
                                    f"{settings.max_chars_per_text} characters per text "
                                    "(RASD_MAX_CHARS_PER_TEXT)")
        if not service.ready:
            raise HTTPException(503, detail="the model is still loading; retry shortly")
        started = time.perf_counter()
        batcher = request.app.state.batcher
        if batcher is None:
            prediction = await run_in_threadpool(service.predict, texts)
        else:
            try:
                # Awaiting the future holds no thread, so waiting requests are bounded by
                # RASD_MAX_QUEUE alone, not by the thread pool's size.
                prediction = await asyncio.wrap_future(batcher.submit(texts))
            except Overloaded as error:
                raise HTTPException(503, detail=str(error), headers={"Retry-After": str(error.retry_after)}) from None
        metrics.observe_prediction(texts, prediction.documents, time.perf_counter() - started)
        # Off the event loop: thousands of spans take a while to turn into JSON.
        return await run_in_threadpool(render_prediction, prediction)

    @app.get("/health", tags=["ops"], summary="The process is alive")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", response_model=ReadyOut, tags=["ops"], responses={503: {"model": ReadyOut}},
             summary="A model is loaded (503 until then)")
    async def ready(service: ServiceDep) -> JSONResponse:
        predictor = service.predictor
        body = ReadyOut(ready=predictor is not None, reloading=service.reloading,
                        model=model_ref(predictor.info) if predictor else None,
                        last_reload_error=service.last_reload_error)
        return JSONResponse(body.model_dump(), status_code=200 if predictor else 503)

    @app.get("/model", tags=["model"], responses={503: {"model": ErrorOut}},
             summary="Name, base encoder, schema (labels and colours), evaluation, limits")
    def model_card(service: ServiceDep,
                   settings: SettingsDep) -> dict:
        predictor = service.predictor
        if predictor is None:
            raise HTTPException(503, detail="the model is still loading; retry shortly")
        info = predictor.info
        return {**model_ref(info), "created": info.get("created"), "base": info.get("base"),
                "device": info.get("device"), "quantize": info.get("quantize"),
                "schema": predictor.schema.to_dict(), "colours": predictor.schema.colours(),
                "evaluation": evaluation_summary(service.served_dir),
                "limits": {"max_body_bytes": settings.max_body_bytes,
                           "max_chars_per_text": settings.max_chars_per_text,
                           "max_texts_per_request": settings.max_texts_per_request}}

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post("/reload", response_model=ReloadOut, tags=["ops"], dependencies=[Depends(require_api_key)],
              status_code=202, summary="Load the model dir again; the old model serves meanwhile",
              responses={200: {"model": ReloadOut, "description": "wait=true: the new model serves"},
                         409: {"model": ReloadOut, "description": "wait=true: the model dir could not be loaded; "
                                                                  "the old model serves"}})
    def reload(service: ServiceDep,
               wait: bool = Query(False, description="answer only once the new model serves (or failed)")
               ) -> JSONResponse:
        """Reloads `model_dir` (following `models/current` anew, e.g. after `make train`). Requests
        keep being answered by the old model until the new one is loaded, then they swap."""
        thread = service.reload()
        if not wait:
            return JSONResponse({"status": "reloading"}, status_code=202)
        thread.join()  # plain `def` endpoint: this waits in the thread pool, not on the event loop
        if service.last_reload_error:
            return JSONResponse({"status": "failed", "error": service.last_reload_error,
                                 "model": model_ref(service.predictor.info)}, status_code=409)
        return JSONResponse({"status": "reloaded", "model": model_ref(service.predictor.info)})

    @app.get("/", include_in_schema=False)
    async def demo() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Added last = outermost: metrics see every answer, the size limit runs before any parsing.
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key"])
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics,
                       known_paths=frozenset(route.path for route in app.routes))
    return app
