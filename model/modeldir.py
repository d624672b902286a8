"""The model dir format: the one module that knows its file names, writes one, and reads one.

A model dir is self-describing and stays readable by plain transformers tooling
(``AutoConfig`` / ``AutoTokenizer`` read ``config.json`` and the tokenizer files; the weights
are ``model.safetensors``, never pickle)::

    config.json            the encoder's transformers config
    model.safetensors      encoder (under ``encoder.``) and one head per layer (``heads.<layer>``)
    tokenizer.json, ...    the fast tokenizer, as ``save_pretrained`` writes it
    labels.json            the network's architecture: span layers' IOB2 tag lists (index = class
                           id), the sentence layer's labels and thresholds, the feature spec, sizes
    lexicon.yaml           the lexicon the word features were computed with
    schema.yaml            the label schema the model was trained with
    rasd.json              info: name, version, created, base encoder, max_length, schema_version
    training_config.json   the settings the training run used
    metrics.json           scores on the training documents
    README.md              the model card
    plots/                 loss.png, f1.png

Writing is atomic (:func:`write_atomically`): everything goes into a temporary sibling that
is renamed into place, so a crash never leaves a half-written dir; :func:`publish` then
repoints ``models/current`` with an atomic ``os.replace`` of a symlink. A pre-trained encoder
(``make pretrain``) is a plain transformers dir plus ``pretrain.json``, written the same way.

This module does not build networks or decide what a model is: ``MultiLayerTagger`` and
``Predictor`` call it for every file they read or write.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from model.schema import Schema

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
LABELS_FILE = "labels.json"
LEXICON_FILE = "lexicon.yaml"
SCHEMA_FILE = "schema.yaml"
INFO_FILE = "rasd.json"
TRAINING_CONFIG_FILE = "training_config.json"
METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
PLOTS_DIR = "plots"
CLASSICAL_DIR = "classical"  # the CRF and TF-IDF models blended with the network (model/classical.py)
ENCODER_INFO_FILE = "pretrain.json"  # in a pre-trained encoder dir, not a model dir
CURRENT = "current"
# What a Predictor cannot do without; labels.json first: it is what marks a rasd model dir.
REQUIRED = (LABELS_FILE, CONFIG_FILE, WEIGHTS_FILE, SCHEMA_FILE)


class NotAModelDir(FileNotFoundError):
    """The path is missing or is not a rasd model dir; the message says what to do."""


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ModelDir:
    """A model dir at ``path``: read and check one, or write its files (into a staging dir)."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    # -- checking -----------------------------------------------------------------------------

    def missing(self) -> list[str]:
        return [name for name in REQUIRED if not (self.path / name).is_file()]

    def check(self) -> ModelDir:
        """Raise :class:`NotAModelDir` naming what is missing; return self when it is whole."""
        if not self.path.exists():
            raise NotAModelDir(f"no model at {self.path}: run `make train` (or `make run`) to train one")
        missing = self.missing()
        if missing:
            raise NotAModelDir(f"{self.path} is not a rasd model dir (no {', '.join(missing)}); "
                               "point at a dir written by `make train`, or train one with `make train`")
        return self

    # -- reading ------------------------------------------------------------------------------

    def config(self):
        from transformers import AutoConfig

        return AutoConfig.from_pretrained(self.path)

    def architecture(self) -> dict:
        """labels.json: what :class:`model.network.MultiLayerTagger` is rebuilt from."""
        return _read_json(self.path / LABELS_FILE)

    def lexicon_path(self) -> Path | None:
        """The lexicon copied in at training time, or None for a model trained without one."""
        path = self.path / LEXICON_FILE
        return path if path.is_file() else None

    def classical_dir(self) -> Path | None:
        """The folder of the blended classical models, or None (a model dir without them)."""
        path = self.path / CLASSICAL_DIR
        return path if path.is_dir() else None

    def weights(self) -> dict:
        from safetensors.torch import load_file

        return load_file(str(self.path / WEIGHTS_FILE))

    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.path)

    def schema(self) -> Schema:
        return Schema.load(self.path / SCHEMA_FILE)

    def info(self) -> dict:
        """rasd.json (``{}`` when absent), with ``name`` defaulting to the resolved dir's name."""
        path = self.path / INFO_FILE
        info = _read_json(path) if path.is_file() else {}
        info.setdefault("name", self.path.resolve().name)
        return info

    def metrics(self) -> dict | None:
        path = self.path / METRICS_FILE
        return _read_json(path) if path.is_file() else None

    # -- writing ------------------------------------------------------------------------------

    def write_tagger(self, config, state: dict, architecture: dict) -> None:
        """config.json, model.safetensors (``state``: name -> contiguous CPU tensor), labels.json."""
        from safetensors.torch import save_file

        self.path.mkdir(parents=True, exist_ok=True)
        config.save_pretrained(self.path)
        save_file(state, str(self.path / WEIGHTS_FILE), metadata={"format": "pt"})
        _write_json(self.path / LABELS_FILE, architecture)

    def write_loadable(self, tagger, tokenizer, schema: Schema, info: dict | None = None,
                       lexicon: Path | None = None, classical=None) -> None:
        """Everything :meth:`model.predictor.Predictor.load` needs: the tagger's files (through
        its ``save``), the tokenizer, the schema, the lexicon (copied) and, when given, the info
        and the classical models blended with the tagger (through their ``save``)."""
        tagger.save(self.path)
        if classical is not None:
            classical.save(self.path / CLASSICAL_DIR)
        tokenizer.save_pretrained(self.path)
        schema.save(self.path / SCHEMA_FILE)
        if lexicon is not None:
            shutil.copyfile(lexicon, self.path / LEXICON_FILE)
        if info is not None:
            _write_json(self.path / INFO_FILE, info)

    def write_training_config(self, config: dict) -> None:
        _write_json(self.path / TRAINING_CONFIG_FILE, config)

    def write_metrics(self, metrics: dict) -> None:
        (self.path / METRICS_FILE).write_text(json.dumps(metrics, indent=2), encoding="utf-8")

    def write_card(self, markdown: str) -> None:
        (self.path / CARD_FILE).write_text(markdown, encoding="utf-8")

    def plot_path(self, name: str) -> Path:
        """Where plot ``name`` (e.g. ``loss.png``) goes; creates ``plots/``."""
        (self.path / PLOTS_DIR).mkdir(exist_ok=True)
        return self.path / PLOTS_DIR / name


# -- atomic writing ---------------------------------------------------------------------------

def new_run_name() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def write_atomically(final: Path, write: Callable[[Path], None], replace: bool = False) -> Path:
    """Call ``write(staging)`` in a temporary sibling of ``final``, then rename it to ``final``.

    Without ``replace`` an existing ``final`` is refused (FileExistsError). With it the old
    ``final`` is swapped out by two renames and then deleted: a failure between them puts it
    back; a hard crash there leaves it beside ``final`` under a ``.old`` name. Either way
    never a half-written dir. Dirs get mode 755 and files 644 (a model is meant to be shared;
    ``mkdtemp`` and ``save_pretrained`` make private ones).
    """
    final = Path(final)
    if final.exists() and not replace:
        raise FileExistsError(f"{final} already exists; refusing to overwrite a trained model")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    retired = None
    try:
        write(staging)
        _share(staging)
        if final.exists():
            retired = final.parent / f".{final.name}.old-{os.getpid()}"
            os.replace(final, retired)
        try:
            os.replace(staging, final)
        except BaseException:
            if retired is not None:
                os.replace(retired, final)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return final


def _share(directory: Path) -> None:
    directory.chmod(0o755)
    for path in directory.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def publish(models_dir: Path, write: Callable[[ModelDir], None], name: str | None = None) -> Path:
    """Write ``models_dir/<name>`` atomically with ``write(ModelDir(staging))``, then point
    ``current`` at it; returns the new dir. A crash leaves the old ``current`` in place."""
    models_dir = Path(models_dir)
    name = name or new_run_name()
    final = write_atomically(models_dir / name, lambda staging: write(ModelDir(staging)))
    point_current(models_dir, name)
    return final


def point_current(models_dir: Path, name: str) -> None:
    """Atomically make ``models_dir/current`` a relative symlink to ``name``."""
    link = Path(models_dir) / CURRENT
    staging = Path(models_dir) / f".{CURRENT}.{os.getpid()}"
    if staging.is_symlink() or staging.exists():
        staging.unlink()
    staging.symlink_to(name, target_is_directory=True)
    os.replace(staging, link)


# -- pre-trained encoders ---------------------------------------------------------------------

def is_encoder_dir(path: Path) -> bool:
    """Whether ``path`` already holds a finished transformers model (its config.json)."""
    return (Path(path) / CONFIG_FILE).is_file()


def publish_encoder(out: Path, model, tokenizer, info: dict) -> Path:
    """Replace ``out`` (e.g. a dir of checkpoints) with a transformers model dir of ``model`` and
    ``tokenizer`` plus ``pretrain.json`` (``info``), in one atomic swap."""
    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        _write_json(staging / ENCODER_INFO_FILE, info)

    return write_atomically(out, write, replace=True)
