"""What the Label Studio ML backend (``serve.api.studio``) needs from training, as plain functions.

``python -m serve api`` wires these into :class:`serve.api.studio.StudioHooks` (the one place
``serve`` reaches into ``training``; see the import contracts in pyproject.toml):

- :func:`predict`: Label Studio predictions through the pre-annotation converter
  (:func:`training.preannotate.suggest` and :func:`~training.preannotate.labelstudio_task`),
  the same regions and scores as ``make preannotate FORMAT=labelstudio``;
- :func:`import_task`: one task through the Label Studio importer
  (:mod:`training.formats.labelstudio` and the checks of :func:`training.formats.common.collect`);
- :func:`retrain`: ``python -m training train`` (that is :func:`training.train.train`) in a
  child process at low CPU priority, so the server keeps answering with the old model at
  full speed and a crash or the memory of training never touches it;
- :func:`labeling_config`: the labeling config whose names the regions use.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from model.modeldir import CURRENT
from model.paths import REPO_ROOT
from model.predictor import Predictor
from model.schema import Schema
from training.formats import import_annotations
from training.formats.common import ImportOptions
from training.formats.labelstudio import labeling_config
from training.preannotate import labelstudio_task, model_version, suggest
from training.validate import Problem

__all__ = ["import_task", "labeling_config", "predict", "retrain"]

RETRAIN_NICENESS = 10  # the server's requests come first


class RetrainError(RuntimeError):
    """Training failed; the message is what ``python -m training train`` said last."""


def predict(predictor: Predictor, ids: list[str], texts: list[str]) -> list[dict]:
    """One Label Studio prediction per text: ``{"model_version", "score", "result": [regions]}``."""
    busy = [index for index, text in enumerate(texts) if text.strip()]
    suggestions = dict(zip(busy, suggest(predictor, [ids[i] for i in busy], [texts[i] for i in busy])))
    empty = {"model_version": model_version(predictor), "score": 1.0, "result": []}
    return [labelstudio_task(suggestions[index], predictor)["predictions"][0] if index in suggestions else dict(empty)
            for index in range(len(texts))]


def _line(problem: Problem) -> str:
    """A problem without the temporary file's name: the task is named by the caller."""
    return str(problem).removeprefix(f"{problem.path}:{problem.line}: ")


def import_task(task: dict, schema: Schema) -> tuple[list[dict], list[str], list[str]]:
    """A Label Studio task with one annotation as rasd records (id ``data.id``, else
    ``labelstudio-<task id>``), with every problem and note as one line each."""
    with tempfile.TemporaryDirectory(prefix="rasd-labelstudio-") as folder:
        path = Path(folder) / "labelstudio.json"
        path.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
        result = import_annotations("labelstudio", path, ImportOptions(schema=schema))
    for record in result.records:
        record["meta"]["imported_from"] = "labelstudio"  # not the temporary file
    return result.records, [_line(problem) for problem in result.problems], [_line(note) for note in result.notes]


def retrain(annotations: list[Path], models_dir: Path) -> Path:
    """Train on ``annotations`` into ``models_dir`` (repointing its ``current``); returns the new
    model dir. Raises :class:`RetrainError` with the trainer's last words when it fails."""
    command = [sys.executable, "-m", "training", "train", *map(str, annotations), "--models-dir", str(models_dir)]
    if shutil.which("nice"):
        command = ["nice", "-n", str(RETRAIN_NICENESS), *command]
    run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        said = next((line for line in lines if line.startswith("training refused")), lines[-1] if lines else "")
        raise RetrainError(f"`python -m training train` exited with {run.returncode}: {said[:2000]}")
    written = re.search(r"model written to (.+?) \(base encoder", run.stderr)
    return Path(written.group(1)) if written else (Path(models_dir) / CURRENT).resolve()
