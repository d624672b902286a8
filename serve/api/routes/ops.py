"""Operations: ``/health``, ``/ready``, ``/metrics`` (Prometheus) and ``POST /reload``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from serve.api.deps import ApiKey, MetricsDep, ServiceDep
from serve.api.schemas import ModelRef, ReadyOut, ReloadOut

router = APIRouter(tags=["ops"])


@router.get("/health", summary="The process is alive")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}},
            summary="A model is loaded (503 until then)")
async def ready(service: ServiceDep) -> JSONResponse:
    predictor = service.predictor
    body = ReadyOut(ready=predictor is not None, reloading=service.reloading,
                    model=ModelRef.from_info(predictor.info) if predictor else None,
                    last_reload_error=service.last_reload_error)
    return JSONResponse(body.model_dump(), status_code=200 if predictor else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def prometheus(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=metrics.content_type)


@router.post("/reload", response_model=ReloadOut, dependencies=[ApiKey], status_code=202,
             summary="Load the model dir again; the old model serves meanwhile",
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
        return JSONResponse(ReloadOut(status="reloading").model_dump(include={"status"}), status_code=202)
    thread.join()  # plain `def` endpoint: this waits in the thread pool, not on the event loop
    model = ModelRef.from_info(service.predictor.info)
    if service.last_reload_error:
        body = ReloadOut(status="failed", error=service.last_reload_error, model=model)
        return JSONResponse(body.model_dump(), status_code=409)
    return JSONResponse(ReloadOut(status="reloaded", model=model).model_dump(exclude={"error"}))
