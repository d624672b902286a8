"""The Label Studio ML backend under ``/labelstudio``: label-studio-ml-backend's protocol.

Connect it in a Label Studio project (Settings → Model → Connect Model, backend URL
``http://HOST:PORT/labelstudio``). The endpoints follow ``label_studio_ml/api.py`` of
HumanSignal's label-studio-ml-backend, request and response bodies included:

- ``GET /labelstudio/health`` (and ``GET /labelstudio/``): ``{"status": "UP", "model_class": ...}``
  plus the served model's version and the import and retrain state;
- ``POST /labelstudio/setup`` ``{"project", "schema", ...}``: ``{"model_version"}``;
- ``POST /labelstudio/predict`` ``{"tasks": [...], "label_config", "project", "params"}``:
  ``{"results": [{"result": [regions], "score", "model_version"}]}``, one per task, in order;
  the text is ``data[<value of the config's <Text>>]`` (``data.text`` by default). Regions are
  those of ``make preannotate``: one ``labels`` region per span, ``from_name`` the layer,
  ``to_name`` "text", offsets in UTF-16 units (what Label Studio counts);
- ``POST /labelstudio/webhook`` ``{"action", "annotation", "task", "project"}``: annotation
  events imported and counted towards a retrain (:mod:`serve.api.studio`); 201
  ``{"result", "status": "ok"}``, or 200 ``{"status": "Unknown event"}`` for other actions;
- ``GET /labelstudio/config``: the labeling config XML to paste into the project.

With ``RASD_API_KEY`` set, setup, predict and webhook need the key, in the ``X-API-Key`` header
or as the password of HTTP basic auth (what Label Studio's model connection sends; any user name).
Predictions run in the thread pool, not through the micro-batcher: they are a few tasks at a time.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from serve.api.deps import ServiceDep, SettingsDep
from serve.api.guards import api_key_header, check_api_key
from serve.api.studio import TRAIN_EVENTS, Studio

log = logging.getLogger(__name__)

MODEL_CLASS = "rasd"
DEFAULT_TEXT_FIELD = "text"
_TEXT_TAG = re.compile(r"<Text\b[^>]*?\bvalue=\"\$([^\"]+)\"", re.IGNORECASE)

basic_auth = HTTPBasic(auto_error=False, description="Label Studio's model connection: the API key as password")


def get_studio(request: Request) -> Studio:
    return request.app.state.studio


StudioDep = Annotated[Studio, Depends(get_studio)]


def require_key(settings: SettingsDep, key: Annotated[str | None, Security(api_key_header)] = None,
                credentials: Annotated[HTTPBasicCredentials | None, Security(basic_auth)] = None) -> None:
    """401 unless no key is set, or the X-API-Key header or the basic-auth password carries it."""
    secret = settings.api_key
    if secret is None:
        return
    for given in (key, credentials.password if credentials else None):
        if given is not None:
            try:
                check_api_key(secret.get_secret_value(), given)
                return
            except HTTPException:
                continue
    raise HTTPException(401, detail="missing or wrong API key: send it in the X-API-Key header or as the password "
                        "of HTTP basic auth (Label Studio: the model connection's basic auth)",
                        headers={"WWW-Authenticate": 'Basic realm="rasd"'})


router = APIRouter(prefix="/labelstudio", tags=["labelstudio"])
Protected = [Depends(require_key)]


class Permissive(BaseModel):
    model_config = ConfigDict(extra="allow")  # Label Studio sends more than the backend reads


class SetupIn(Permissive):
    project: str | int | None = Field(None, examples=["3.1700000000"])
    schema_: str | None = Field(None, alias="schema", description="the project's labeling config")


class PredictIn(Permissive):
    tasks: list[dict] = Field(examples=[[{"id": 1, "data": {"text": "قصفت الطائرات الروسية مطار تدمر أمس."}}]])
    label_config: str | None = None
    project: str | int | None = None
    model_version: str | None = None
    params: dict | None = None


def text_field(label_config: str | None) -> str:
    """The task data field the config's first <Text> shows (``$text`` -> ``text``)."""
    found = _TEXT_TAG.search(label_config or "")
    return found.group(1) if found else DEFAULT_TEXT_FIELD


def _version(service) -> str:
    predictor = service.predictor
    if predictor is None:
        raise HTTPException(503, detail="the model is still loading; retry shortly")
    return str(predictor.info.get("version") or predictor.info.get("name") or MODEL_CLASS)


@router.get("/health", summary="Label Studio's health check: status UP, model version, retrain state")
@router.get("/", include_in_schema=False)
def health(service: ServiceDep, studio: StudioDep) -> dict:
    predictor = service.predictor
    version = (predictor.info.get("version") or predictor.info.get("name")) if predictor else None
    return {"status": "UP", "model_class": MODEL_CLASS, "model_version": version, "ready": predictor is not None,
            "training": studio.status()}


@router.post("/setup", dependencies=Protected, summary="Label Studio connects a project: the model version")
def setup(body: SetupIn, service: ServiceDep) -> dict:
    version = _version(service)
    field = text_field(body.schema_)
    if body.schema_ and f'name="{DEFAULT_TEXT_FIELD}"' not in body.schema_:
        log.warning("project %s: its labeling config has no <Text name=\"text\">; rasd's regions point at "
                    "\"text\" (GET /labelstudio/config has the config to use)", body.project)
    log.info("Label Studio project %s connected (text field data.%s); serving %s", body.project, field, version)
    return {"model_version": version}


@router.post("/predict", dependencies=Protected, summary="Predictions for Label Studio tasks, one per task")
async def predict(body: PredictIn, service: ServiceDep, settings: SettingsDep, studio: StudioDep) -> dict:
    predictor = service.predictor  # one read: a reload meanwhile cannot mix two models
    if predictor is None:
        raise HTTPException(503, detail="the model is still loading; retry shortly")
    field = text_field(body.label_config)
    ids, texts = [], []
    for index, task in enumerate(body.tasks):
        data = task.get("data")
        text = data.get(field) if isinstance(data, dict) else None
        if not isinstance(text, str) or len(text) > settings.max_chars_per_text:
            log.warning("task %s: no text in data.%s, or over RASD_MAX_CHARS_PER_TEXT; answered with no regions",
                        task.get("id", index), field)
            text = ""
        ids.append(str(task.get("id", index)))
        texts.append(text)
    results, size = [], settings.max_texts_per_request
    for start in range(0, len(texts), size):
        results += await run_in_threadpool(studio.hooks.predict, predictor, ids[start:start + size],
                                           texts[start:start + size])
    return {"results": results}


@router.post("/webhook", dependencies=Protected, status_code=201,
             summary="Annotation events: imported into the annotations file; every N, a retrain")
async def webhook(request: Request, studio: StudioDep) -> JSONResponse:
    try:
        event = await request.json()
    except ValueError:
        raise HTTPException(422, detail="body: invalid JSON") from None
    action = event.get("action") if isinstance(event, dict) else None
    if not isinstance(action, str):
        raise HTTPException(422, detail='body: a JSON object with an "action" is required')
    if action not in TRAIN_EVENTS:
        return JSONResponse({"status": "Unknown event"}, status_code=200)
    result = await run_in_threadpool(studio.handle, event)
    return JSONResponse({"result": result, "status": "ok"}, status_code=201)


@router.get("/config", summary="The labeling config XML to paste into the Label Studio project",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def config(service: ServiceDep, studio: StudioDep) -> Response:
    predictor = service.predictor
    if predictor is None:
        raise HTTPException(503, detail="the model is still loading; retry shortly")
    return Response(studio.hooks.labeling_config(predictor.schema), media_type="application/xml")
