"""``GET /model``: what is served — name, base encoder, schema and colours, evaluation, limits."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request

from model.modeldir import ModelDir
from serve.api.deps import ServiceDep, SettingsDep
from serve.api.schemas import ErrorOut, ModelRef

router = APIRouter(tags=["model"])


def evaluation_summary(model_dir: Path | None) -> dict | None:
    """metrics.json without the per-label tables (those are in the model card), or None."""
    metrics = ModelDir(model_dir).metrics() if model_dir else None
    if metrics is None:
        return None
    layers = {layer: {key: value for key, value in scores.items() if key != "labels"}
              for layer, scores in (metrics.get("layers") or {}).items()}
    return {**{key: value for key, value in metrics.items() if key != "layers"}, "layers": layers}


@router.get("/model", responses={503: {"model": ErrorOut}},
            summary="Name, base encoder, schema (labels and colours), evaluation, limits, Label Studio retrains")
def model_card(service: ServiceDep, settings: SettingsDep, request: Request) -> dict:
    predictor = service.predictor
    if predictor is None:
        raise HTTPException(503, detail="the model is still loading; retry shortly")
    info = predictor.info
    return {**ModelRef.from_info(info).model_dump(), "created": info.get("created"), "base": info.get("base"),
            "device": info.get("device"), "quantize": info.get("quantize"),
            "schema": predictor.schema.to_dict(), "colours": predictor.schema.colours(),
            "evaluation": evaluation_summary(service.served_dir),
            "limits": {"max_body_bytes": settings.max_body_bytes,
                       "max_chars_per_text": settings.max_chars_per_text,
                       "max_texts_per_request": settings.max_texts_per_request},
            # The Label Studio backend's imports and retrains (last_error: why the last one failed).
            "labelstudio": studio.status() if (studio := request.app.state.studio) else None}
