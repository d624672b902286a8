"""The Label Studio ML backend under /labelstudio: label-studio-ml-backend's protocol, request
bodies as its documentation and Label Studio send them, exact response shapes, and the
annotate -> import -> retrain -> reload loop (with a fast fake retrain, and once for real)."""

from __future__ import annotations

import base64
import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from model.modeldir import INFO_FILE, point_current
from serve.api.app import create_app
from serve.cli import studio_hooks
from tests.serve.helpers import make_settings
from training.formats.labelstudio import labeling_config
from training.preannotate import labelstudio_task, suggest

PROJECT = {"id": 2, "title": "rasd", "label_config": "", "model_version": "", "created_by": 1}  # + config below


class FakeRetrain:
    """Stands in for ``python -m training train``: publishes a renamed copy of a model dir as
    ``retrained-N`` into the models dir (repointing ``current``); can hold until released, or fail."""

    def __init__(self, source: Path, hold: bool = False, fail: str | None = None):
        self.source, self.fail = source, fail
        self.calls: list[list[str]] = []
        self.started, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, files: list[Path], models_dir: Path) -> Path:
        self.calls.append([path.name for path in files])
        self.started.set()
        assert self.release.wait(60)
        if self.fail:
            raise RuntimeError(self.fail)
        name = f"retrained-{len(self.calls)}"
        shutil.copytree(self.source, models_dir / name)
        info = json.loads((models_dir / name / INFO_FILE).read_text(encoding="utf-8"))
        (models_dir / name / INFO_FILE).write_text(json.dumps({**info, "name": name, "version": name}), encoding="utf-8")
        point_current(models_dir, name)
        return models_dir / name


def studio_client(model_dir: Path, tmp_path: Path, retrain, every: int = 3, **overrides) -> TestClient:
    (tmp_path / "models").mkdir(exist_ok=True)
    settings = make_settings(model_dir, labelstudio_annotations=tmp_path / "annotations" / "labelstudio.jsonl",
                             labelstudio_events=tmp_path / "annotations" / "labelstudio" / "events.jsonl",
                             labelstudio_models_dir=tmp_path / "models", labelstudio_retrain_every=every, **overrides)
    return TestClient(create_app(settings, studio=replace(studio_hooks(), retrain=retrain)))


@pytest.fixture(scope="module")
def config(tiny_predictor) -> str:
    return labeling_config(tiny_predictor.schema)


@pytest.fixture(scope="module")
def gold(seed_documents, seed_paragraph, tiny_predictor) -> list[dict]:
    """The seed paragraph's hand-made spans as Label Studio results (what an annotator submits)."""
    document = next(doc for doc in seed_documents if seed_paragraph in doc["text"])
    offset = document["text"].index(seed_paragraph)
    schema = tiny_predictor.schema
    return [{"id": f"r{index}", "from_name": schema.layer_of(span["label"]), "to_name": "text", "type": "labels",
             "value": {"start": span["start"] - offset, "end": span["end"] - offset, "text": span["text"],
                       "labels": [span["label"]]}}
            for index, span in enumerate(document["spans"])
            if offset <= span["start"] and span["end"] <= offset + len(seed_paragraph)
            and schema.unit(schema.layer_of(span["label"])) != "sentence"]


def annotation_event(text: str, results: list[dict], config: str, task_id: int = 19, annotation_id: int = 17,
                     action: str = "ANNOTATION_CREATED") -> dict:
    """An annotation event as Label Studio's webhook reference shows it, with the nested task
    (``data``) that current Label Studio versions send along."""
    return {
        "action": action,
        "annotation": {"id": annotation_id, "result": results, "was_cancelled": False, "ground_truth": False,
                       "created_at": "2021-08-17T13:52:48.536303Z", "updated_at": "2021-08-17T13:52:48.536370Z",
                       "lead_time": 37.13, "prediction": {}, "result_count": 0, "task": task_id, "completed_by": 1},
        "task": {"id": task_id, "data": {"text": text}, "meta": {}, "created_at": "2021-08-17T13:51:02.590839Z",
                 "updated_at": "2021-08-17T13:51:02.590873Z", "is_labeled": True, "overlap": 1, "project": 2},
        "project": {**PROJECT, "label_config": config},
    }


def predict_request(text: str, config: str) -> dict:
    """POST /predict as label_studio_ml/api.py documents it (tasks, model_version, project, label_config, params)."""
    return {"tasks": [{"id": 19, "data": {"text": text}, "meta": {}, "annotations": [], "predictions": []}],
            "model_version": "", "project": "2.1629208974", "label_config": config,
            "params": {"login": None, "password": None, "context": None}}


REGION_KEYS = {"id", "from_name", "to_name", "type", "value", "score"}


def test_health_setup_and_predict_answer_as_label_studio_expects(tiny_model_dir, tiny_predictor, tmp_path,
                                                                  seed_paragraph, config):
    with studio_client(tiny_model_dir, tmp_path, FakeRetrain(tiny_model_dir)) as client:
        version = tiny_predictor.info["version"]
        health = client.get("/labelstudio/health").json()
        assert {key: health[key] for key in ("status", "model_class", "model_version", "ready")} == \
            {"status": "UP", "model_class": "rasd", "model_version": version, "ready": True}
        assert client.get("/labelstudio/").json()["status"] == "UP"
        setup = client.post("/labelstudio/setup", json={"project": "2.1629208974", "schema": config,
                                                         "hostname": "http://localhost:8080", "access_token": "x"})
        assert setup.status_code == 200 and setup.json() == {"model_version": version}

        answer = client.post("/labelstudio/predict", json=predict_request(seed_paragraph, config))
        assert answer.status_code == 200 and list(answer.json()) == ["results"]
        [prediction] = answer.json()["results"]
        assert set(prediction) == {"result", "score", "model_version"} and prediction["model_version"] == version
        assert 0 <= prediction["score"] <= 1 and prediction["result"]
        layers = set(tiny_predictor.schema.layer_names)
        for region in prediction["result"]:
            assert set(region) == REGION_KEYS and region["type"] == "labels" and region["to_name"] == "text"
            assert region["from_name"] in layers and set(region["value"]) == {"start", "end", "text", "labels"}
            value = region["value"]
            assert seed_paragraph[value["start"]:value["end"]] == value["text"] and len(value["labels"]) == 1
        # The pre-annotation converter's output, exactly: one converter, two doors.
        [expected] = suggest(tiny_predictor, ["19"], [seed_paragraph])
        assert prediction == labelstudio_task(expected, tiny_predictor)["predictions"][0]

        # The reference test's body (tasks and label_config only); a task without text, another data field.
        body = {"tasks": [{"data": {"text": seed_paragraph}}, {"data": {}}], "label_config": config}
        results = client.post("/labelstudio/predict", json=body).json()["results"]
        assert [len(r["result"]) > 0 for r in results] == [True, False] and results[1]["model_version"] == version
        other = config.replace('value="$text"', 'value="$article"')
        body = {"tasks": [{"id": 1, "data": {"article": seed_paragraph}}], "label_config": other}
        assert client.post("/labelstudio/predict", json=body).json()["results"] == [prediction]
        assert client.get("/labelstudio/config").text == config


def test_webhook_imports_an_annotation_and_keeps_the_raw_event(tiny_model_dir, tmp_path, seed_paragraph, config,
                                                               gold):
    with studio_client(tiny_model_dir, tmp_path, FakeRetrain(tiny_model_dir), every=10) as client:
        answer = client.post("/labelstudio/webhook", json=annotation_event(seed_paragraph, gold, config))
        assert answer.status_code == 201
        assert answer.json() == {"status": "ok", "result": {"imported": True, "task": 19,
                                                            "documents": ["labelstudio-19"], "notes": [],
                                                            "retrain": "after 9 more annotation(s)"}}
        # Updated: the task's record is replaced (one record per task), with the spans as saved.
        fewer = annotation_event(seed_paragraph, gold[:2], config, action="ANNOTATION_UPDATED")
        assert client.post("/labelstudio/webhook", json=fewer).json()["result"]["imported"] is True
        health = client.get("/labelstudio/health").json()["training"]
    records = [json.loads(line) for line in (tmp_path / "annotations" / "labelstudio.jsonl").read_text().splitlines()]
    assert [(r["id"], r["text"], len(r["spans"])) for r in records] == [("labelstudio-19", seed_paragraph, 2)]
    assert records[0]["meta"]["task"] == 19 and records[0]["meta"]["annotation"] == 17
    assert [(s["label"], s["text"]) for s in records[0]["spans"]] == \
        [(r["value"]["labels"][0], r["value"]["text"]) for r in gold[:2]]
    events = (tmp_path / "annotations" / "labelstudio" / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"]["action"] for line in events] == ["ANNOTATION_CREATED", "ANNOTATION_UPDATED"]
    assert (health["imported"], health["rejected"], health["pending"], health["retrains_started"]) == (2, 0, 2, 0)


def test_bad_annotations_are_reported_and_kept_never_written(tiny_model_dir, tmp_path, seed_paragraph, config, gold):
    with studio_client(tiny_model_dir, tmp_path, FakeRetrain(tiny_model_dir)) as client:
        wrong = [{**gold[0], "value": {**gold[0]["value"], "labels": ["Answer"]}}]  # the docs' example label
        answer = client.post("/labelstudio/webhook", json=annotation_event(seed_paragraph, wrong, config))
        result = answer.json()["result"]
        assert answer.status_code == 201 and result["imported"] is False and len(result["problems"]) == 1
        assert "label 'Answer' is not in the schema" in result["problems"][0]
        # The docs' payload exactly as older Label Studio versions send it: no task data.
        bare = annotation_event(seed_paragraph, gold, config)
        del bare["task"]
        assert "no task data" in client.post("/labelstudio/webhook", json=bare).json()["result"]["problems"][0]
        unknown = client.post("/labelstudio/webhook", json={"action": "PROJECT_UPDATED", "project": PROJECT})
        assert unknown.status_code == 200 and unknown.json() == {"status": "Unknown event"}
        assert client.post("/labelstudio/webhook", json={"project": PROJECT}).status_code == 422
        health = client.get("/labelstudio/health").json()["training"]
    assert (health["imported"], health["rejected"]) == (0, 2) and "no task data" in health["last_problems"][0]
    assert not (tmp_path / "annotations" / "labelstudio.jsonl").exists()
    rejected = (tmp_path / "annotations" / "labelstudio" / "rejected.jsonl").read_text().splitlines()
    assert [json.loads(line)["task"] for line in rejected] == [19, 19]
    assert len((tmp_path / "annotations" / "labelstudio" / "events.jsonl").read_text().splitlines()) == 2


def test_a_burst_of_n_annotations_retrains_once_and_reloads(tiny_model_dir, tiny_predictor, tmp_path,
                                                            seed_paragraph, config, gold):
    retrain = FakeRetrain(tiny_model_dir, hold=True)
    with studio_client(tiny_model_dir, tmp_path, retrain, every=3) as client:
        old = tiny_predictor.info["version"]
        answers = [client.post("/labelstudio/webhook", json=annotation_event(seed_paragraph, gold, config,
                                                                              task_id=100 + i, annotation_id=i))
                   for i in range(4)]  # the third starts the retrain; the fourth counts towards the next
        assert [a.json()["result"]["retrain"] for a in answers] == [
            "after 2 more annotation(s)", "after 1 more annotation(s)", "started", "running"]
        assert retrain.started.wait(30)
        # The old model answers while the new one trains.
        body = predict_request(seed_paragraph, config)
        assert client.post("/labelstudio/predict", json=body).json()["results"][0]["model_version"] == old
        assert client.get("/labelstudio/health").json()["training"]["training"] is True
        retrain.release.set()
        client.app.state.studio.wait(60)
        assert client.post("/labelstudio/predict", json=body).json()["results"][0]["model_version"] == "retrained-1"
        status = client.get("/model").json()
        assert status["name"] == "retrained-1" and status["labelstudio"]["last_error"] is None
        training = client.get("/labelstudio/health").json()["training"]
        setup = client.post("/labelstudio/setup", json={"project": "2.1629208974", "schema": config}).json()
    assert retrain.calls == [["labelstudio.jsonl"]]  # exactly one retrain, on the annotations file
    assert (training["retrains_started"], training["retrains_finished"], training["pending"]) == (1, 1, 1)
    assert training["last_retrain"]["model"] == "retrained-1" and setup == {"model_version": "retrained-1"}
    assert (tmp_path / "models" / "current").resolve().name == "retrained-1"


def test_a_failed_retrain_shows_its_error_and_the_old_model_keeps_serving(tiny_model_dir, tiny_predictor, tmp_path,
                                                                          seed_paragraph, config):
    retrain = FakeRetrain(tiny_model_dir, fail="training refused: 1 annotation problem(s)")
    with studio_client(tiny_model_dir, tmp_path, retrain, every=0) as client:
        answer = client.post("/labelstudio/webhook", json={"action": "START_TRAINING", "project": PROJECT})
        assert answer.status_code == 201 and answer.json() == {"result": {"retrain": "started"}, "status": "ok"}
        client.app.state.studio.wait(60)
        error = "RuntimeError: training refused: 1 annotation problem(s)"
        assert client.get("/labelstudio/health").json()["training"]["last_error"] == error
        assert client.get("/model").json()["labelstudio"]["last_error"] == error
        body = predict_request(seed_paragraph, config)
        assert client.post("/labelstudio/predict", json=body).json()["results"][0]["model_version"] == \
            tiny_predictor.info["version"]


def test_the_api_key_guards_the_backend_as_the_rest_of_the_app(tiny_model_dir, tmp_path, seed_paragraph, config):
    with studio_client(tiny_model_dir, tmp_path, FakeRetrain(tiny_model_dir), api_key="s3cret") as client:
        body = predict_request(seed_paragraph, config)
        refused = client.post("/labelstudio/predict", json=body)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Basic realm="rasd"'
        assert client.post("/labelstudio/webhook", json={"action": "START_TRAINING"}).status_code == 401
        assert client.post("/labelstudio/setup", json={"project": "1.1"}).status_code == 401
        # Label Studio's model connection sends basic auth: the key is the password, any user name.
        basic = "Basic " + base64.b64encode(b"labelstudio:s3cret").decode()
        assert client.post("/labelstudio/predict", json=body, headers={"Authorization": basic}).status_code == 200
        wrong = "Basic " + base64.b64encode(b"labelstudio:nope").decode()
        assert client.post("/labelstudio/predict", json=body, headers={"Authorization": wrong}).status_code == 401
        assert client.post("/labelstudio/predict", json=body, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert client.get("/labelstudio/health").status_code == 200  # like /health: open


def test_a_real_retrain_on_imported_annotations(tiny_model_dir, tmp_path, seed_paragraph, config, gold):
    """The hooks end to end: the importer's records train (the tiny recipe) and the new model serves."""
    from tests.conftest import tiny_config
    from training.train import train

    def tiny_retrain(files: list[Path], models_dir: Path) -> Path:
        return train(tiny_config(models_dir, annotations=[str(path) for path in files], epochs=1))

    with studio_client(tiny_model_dir, tmp_path, tiny_retrain, every=2) as client:
        for task_id in (1, 2):
            event = annotation_event(seed_paragraph, gold, config, task_id=task_id, annotation_id=task_id)
            assert client.post("/labelstudio/webhook", json=event).json()["result"]["imported"] is True
        client.app.state.studio.wait(300)
        health = client.get("/labelstudio/health").json()
        current = (tmp_path / "models" / "current").resolve().name
        assert health["training"]["last_error"] is None and health["model_version"] == current
        results = client.post("/labelstudio/predict", json=predict_request(seed_paragraph, config)).json()["results"]
        assert results[0]["model_version"] == current
