"""The Label Studio ML backend's state: annotation events in, retrains every N, reloads.

The HTTP side (:mod:`serve.api.routes.labelstudio`) hands each webhook event to
:meth:`Studio.handle`. An ``ANNOTATION_CREATED`` / ``ANNOTATION_UPDATED`` event is

1. appended as received to the raw events log (``RASD_LABELSTUDIO_EVENTS``), before anything
   else, so nothing Label Studio sent is ever lost;
2. imported with the Label Studio importer into rasd annotation records; an annotation with a
   problem is not written (it is appended with its problems to ``rejected.jsonl`` beside the
   events log, logged, counted and shown by ``/labelstudio/health``) — fix it in Label Studio
   and save it again, or re-import the log;
3. written into the annotations file (``RASD_LABELSTUDIO_ANNOTATIONS``, one record per Label
   Studio task: the latest annotation wins), atomically;
4. counted: every ``RASD_LABELSTUDIO_RETRAIN_EVERY`` imported annotations start one retrain in a
   background thread (``START_TRAINING`` starts one at once). Annotations arriving during a
   retrain count towards the next one.

A retrain trains on every ``annotations/*.jsonl`` plus the annotations file, publishes the new
model dir into the models dir, then reloads it (:meth:`InferenceService.reload`): the old model
answers every request until the new one is loaded. A failed retrain or reload keeps the old
model and records the error, shown by ``/labelstudio/health`` and ``/model``.

What needs the training code (the Label Studio converter for predictions, the importer,
``train``) arrives as :class:`StudioHooks`, injected by the entry point (``python -m serve api``
wires :func:`training.studio.studio_hooks`), so nothing in ``serve.api`` imports ``training``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from model.inputs import json_lines
from model.paths import ANNOTATIONS_GLOB
from model.predictor import Predictor
from model.schema import Schema
from serve.api.inference import InferenceService

log = logging.getLogger(__name__)

IMPORT_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED")
DELETE_EVENTS = ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED")
TRAIN_EVENT = "START_TRAINING"
TRAIN_EVENTS = (*IMPORT_EVENTS, *DELETE_EVENTS, TRAIN_EVENT)  # what label_studio_ml's /webhook handles


@dataclass
class Imported:
    """What the importer made of one Label Studio task: clean records, or why not (one line each)."""

    records: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StudioHooks:
    """The training-side functions the backend calls (see the module docstring).

    - ``predict(predictor, ids, texts)``: one Label Studio prediction per text, in order:
      ``{"result": [regions], "score", "model_version"}``;
    - ``import_task(task, schema)``: a task (``data`` and one annotation in ``annotations``) as
      ``(records, problems, notes)``: clean rasd records, and one line per problem and note;
    - ``retrain(annotation_files, models_dir)``: train, publish, return the new model dir;
    - ``labeling_config(schema)``: the labeling config XML whose names the regions use.
    """

    predict: Callable[[Predictor, list[str], list[str]], list[dict]]
    import_task: Callable[[dict, Schema], tuple[list[dict], list[str], list[str]]]
    retrain: Callable[[list[Path], Path], Path]
    labeling_config: Callable[[Schema], str]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _append_line(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(value, ensure_ascii=False) + "\n")


def _write_records(path: Path, records: list[dict]) -> None:
    """The annotations file, written atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
    os.replace(temporary, path)


def _read_records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [line.value for line in json_lines(path) if line.value is not None]


def _task_id(event: dict):
    task = event.get("task")
    if isinstance(task, dict):
        return task.get("id")
    annotation = event.get("annotation") or {}
    return annotation.get("task") if isinstance(annotation, dict) else None


class Studio:
    """The backend's state for one app: see the module docstring for what each event does."""

    def __init__(self, hooks: StudioHooks, service: InferenceService, annotations: Path, events: Path,
                 models_dir: Path, retrain_every: int):
        self.hooks, self.service = hooks, service
        self.annotations, self.events, self.models_dir = Path(annotations), Path(events), Path(models_dir)
        self.rejected_log = self.events.with_name("rejected.jsonl")
        self.retrain_every = retrain_every
        self._lock = threading.Lock()  # the annotations file, the counters and the retrain thread
        self._thread: threading.Thread | None = None
        self.pending = 0  # annotations imported since the last retrain started
        self.counts = {"imported": 0, "rejected": 0, "retrains_started": 0, "retrains_finished": 0}
        self.last_problems: list[str] = []
        self.last_error: str | None = None
        self.last_retrain: dict = {}

    # -- state --------------------------------------------------------------------------------

    @property
    def training(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def status(self) -> dict:
        """What /labelstudio/health and /model show about imports and retrains."""
        return {"retrain_every": self.retrain_every, "pending": self.pending, "training": self.training,
                **self.counts, "last_retrain": self.last_retrain or None, "last_error": self.last_error,
                "last_problems": self.last_problems, "annotations": str(self.annotations)}

    def annotation_files(self) -> list[Path]:
        """What a retrain trains on: every ``*.jsonl`` beside the annotations file (by default
        annotations/*.jsonl, as ``make train``), the annotations file included."""
        files = sorted(self.annotations.parent.glob(ANNOTATIONS_GLOB))
        if self.annotations.is_file() and self.annotations.resolve() not in {path.resolve() for path in files}:
            files.append(self.annotations)
        return files

    # -- events -------------------------------------------------------------------------------

    def handle(self, event: dict) -> dict:
        """Log, then act on one webhook event; returns what happened (the webhook's ``result``)."""
        action = event.get("action")
        _append_line(self.events, {"received": _now(), "event": event})
        if action in IMPORT_EVENTS:
            return self._import(event)
        if action in DELETE_EVENTS:
            return self._delete(event)
        return {"retrain": self.start_retrain("START_TRAINING")}

    def _import(self, event: dict) -> dict:
        task, annotation = event.get("task"), event.get("annotation")
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            outcome = Imported(problems=[("the event carries no task data (Label Studio sends it with annotation "
                                         "events since 1.x); the raw event is kept in the events log")])
        elif not isinstance(annotation, dict):
            outcome = Imported(problems=["the event carries no annotation"])
        else:
            predictor = self.service.predictor
            schema = predictor.schema if predictor else Schema.load()
            outcome = Imported(*self.hooks.import_task({**task, "annotations": [annotation]}, schema))
        return self._record(event, outcome)

    def _record(self, event: dict, outcome: Imported) -> dict:
        task_id = _task_id(event)
        with self._lock:
            if not outcome.problems and outcome.records:
                outcome.problems += self._collisions(outcome.records)
            if outcome.problems:
                self.counts["rejected"] += 1
                self.last_problems = outcome.problems
                _append_line(self.rejected_log, {"received": _now(), "task": task_id, "problems": outcome.problems,
                                                 "annotation": (event.get("annotation") or {}).get("id")})
                log.warning("Label Studio task %s not imported: %s", task_id, "; ".join(outcome.problems))
                return {"imported": False, "task": task_id, "problems": outcome.problems, "notes": outcome.notes}
            if not outcome.records:  # e.g. a skipped (cancelled) annotation: nothing to learn from
                return {"imported": False, "task": task_id, "problems": [], "notes": outcome.notes}
            fresh = {record["id"] for record in outcome.records}
            kept = [record for record in _read_records(self.annotations)
                    if record.get("id") not in fresh and (record.get("meta") or {}).get("task") != task_id]
            for record in outcome.records:
                record.setdefault("meta", {}).update(task=task_id, annotation=(event.get("annotation") or {}).get("id"),
                                                     labelstudio_action=event.get("action"), received=_now())
            _write_records(self.annotations, kept + outcome.records)
            self.counts["imported"] += 1
            self.pending += 1
            due = self.retrain_every and self.pending >= self.retrain_every
        retrain = self.start_retrain(f"{self.retrain_every} new annotations") if due else \
            ("running" if self.training else f"after {self.retrain_every - self.pending} more annotation(s)"
             if self.retrain_every else "off")
        return {"imported": True, "task": task_id, "documents": sorted(fresh), "notes": outcome.notes,
                "retrain": retrain}

    def _collisions(self, records: list[dict]) -> list[str]:
        """Ids already in another annotation file: training refuses duplicate ids."""
        problems = []
        for path in self.annotation_files():
            if path.resolve() == self.annotations.resolve():
                continue
            ids = {line.value.get("id") for line in json_lines(path) if line.value}
            problems += [f"document id {record['id']!r} is already in {path}; give the task another data.id"
                         for record in records if record["id"] in ids]
        return problems

    def _delete(self, event: dict) -> dict:
        gone = event.get("annotations") if event.get("action") == "ANNOTATIONS_DELETED" else [event.get("annotation")]
        ids = {item.get("id") for item in gone or [] if isinstance(item, dict)}
        with self._lock:
            records = _read_records(self.annotations)
            kept = [record for record in records if (record.get("meta") or {}).get("annotation") not in ids]
            if len(kept) != len(records):
                _write_records(self.annotations, kept)
        return {"removed": len(records) - len(kept)}

    # -- retraining ---------------------------------------------------------------------------

    def start_retrain(self, reason: str) -> str:
        """Start a retrain in the background unless one is running; says which happened."""
        with self._lock:
            if self.training:
                return "running"
            self.pending = 0
            self.counts["retrains_started"] += 1
            self._thread = threading.Thread(target=self._retrain, args=(reason,), name="rasd-retrain", daemon=True)
            self._thread.start()
        return "started"

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running retrain (and its reload) to finish (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _retrain(self, reason: str) -> None:
        started = _now()
        self.last_retrain = {"reason": reason, "started": started, "finished": None, "model": None}
        try:
            model_dir = self.hooks.retrain(self.annotation_files(), self.models_dir)
            self._serve(Path(model_dir))
            self.last_error = None
            self.last_retrain["model"] = self.service.predictor.info.get("name")
            log.info("retrained on Label Studio annotations (%s): now serving %s", reason, model_dir)
        except Exception as error:  # the old model keeps serving; the error is shown
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("retrain on Label Studio annotations failed; still serving the previous model")
        finally:
            self.last_retrain["finished"] = _now()
            with self._lock:
                self.counts["retrains_finished"] += 1
                again = self.retrain_every and self.pending >= self.retrain_every
                self._thread = None
        if again:
            self.start_retrain(f"{self.retrain_every} new annotations")

    def _serve(self, model_dir: Path) -> None:
        """Reload the service onto ``model_dir`` (the old model answers until then)."""
        if self.service.model_dir.resolve() != model_dir.resolve():
            self.service.model_dir = model_dir
        for _ in range(2):  # a reload already running (POST /reload) may have read the old dir
            self.service.reload().join()
            if self.service.last_reload_error:
                raise RuntimeError(f"the new model {model_dir} could not be loaded: {self.service.last_reload_error}")
            if self.service.served_dir == model_dir.resolve():
                return
        raise RuntimeError(f"the new model {model_dir} is not the one served ({self.service.served_dir})")
