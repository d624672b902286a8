"""``POST /predict``: tag one text or several with the served model.

The model never runs on the event loop: the request waits on the micro-batcher's future (or,
with micro-batching off, on FastAPI's thread pool), and the answer is validated against
:class:`serve.api.schemas.PredictResponse` and serialised in the thread pool too (thousands
of spans take a while). Validation is explicit, not FastAPI's ``response_model`` check,
which would run on the event loop for an ``async`` route. Its cost, measured on 64 seed
documents with their 5,918 gold spans (1.07 MB of JSON): 43 ms to validate and serialise
against 28 ms for ``json.dumps`` alone, next to seconds of inference for those texts.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, HTTPException, Response
from starlette.concurrency import run_in_threadpool

from serve.api.batching import Overloaded
from serve.api.deps import ApiKey, BatcherDep, MetricsDep, ServiceDep, SettingsDep
from serve.api.inference import Prediction
from serve.api.schemas import ErrorOut, ModelRef, PredictRequest, PredictResponse

router = APIRouter(tags=["model"])

ERRORS = {413: {"model": ErrorOut, "description": "body or a text over its limit (the message names it)"},
          422: {"model": ErrorOut, "description": "invalid JSON or fields (the message names the field)"},
          503: {"model": ErrorOut, "description": "model still loading, or too many requests waiting "
                                                  "for it (retry after the Retry-After header's seconds)"}}


def render_prediction(prediction: Prediction) -> Response:
    """The /predict body, checked against PredictResponse (offsets, labels, scores in [0, 1],
    claim sentences with their types and event records)."""
    body = PredictResponse.model_validate({"model": ModelRef.from_info(prediction.model),
                                           "documents": [document.to_dict() for document in prediction.documents]})
    return Response(body.model_dump_json(), media_type="application/json")


def check_limits(body: PredictRequest, texts: list[str], settings) -> None:
    if len(texts) > settings.max_texts_per_request:
        raise HTTPException(422, detail=f"too many texts: {len(texts)}; the limit is "
                            f"{settings.max_texts_per_request} texts per request (RASD_MAX_TEXTS_PER_REQUEST)")
    for index, text in enumerate(texts):
        if len(text) > settings.max_chars_per_text:
            where = "text" if body.text is not None else f"texts[{index}]"
            raise HTTPException(413, detail=f"{where} has {len(text)} characters; the limit is "
                                f"{settings.max_chars_per_text} characters per text (RASD_MAX_CHARS_PER_TEXT)")


@router.post("/predict", response_model=PredictResponse, responses=ERRORS, dependencies=[ApiKey],
             summary="Tag one text or several")
async def predict(body: PredictRequest, service: ServiceDep, settings: SettingsDep, metrics: MetricsDep,
                  batcher: BatcherDep) -> Response:
    """Send `{"text": "...", "date": "YYYY-MM-DD"}` or `{"texts": ["...", ...], "dates": [...]}`
    (not both; the dates are optional: the articles' publication dates, against which relative
    dates in the claims' event records are resolved). The answer has one document per text, in
    order — a single `text` gives `documents` of length one. Entities and sources are spans;
    claims are the sentences that carry at least one claim type, each with its types and their
    scores, the entities inside it, its source and its event record. Empty or whitespace-only
    texts give empty documents. When too many requests are already waiting for the model, the
    answer is 503 with a `Retry-After` header."""
    texts, dates = body.as_list(), body.as_dates()
    check_limits(body, texts, settings)
    if not service.ready:
        raise HTTPException(503, detail="the model is still loading; retry shortly")
    started = time.perf_counter()
    if batcher is None:
        prediction = await run_in_threadpool(service.run, texts, dates)
    else:
        try:
            # Awaiting the future holds no thread, so waiting requests are bounded by
            # RASD_MAX_QUEUE alone, not by the thread pool's size.
            prediction = await asyncio.wrap_future(batcher.submit(texts, dates))
        except Overloaded as error:
            raise HTTPException(503, detail=str(error), headers={"Retry-After": str(error.retry_after)}) from None
    metrics.observe_prediction(texts, prediction.documents, time.perf_counter() - started)
    return await run_in_threadpool(render_prediction, prediction)
