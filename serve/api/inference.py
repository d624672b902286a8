"""The one place the server runs the model: hold a Predictor, predict, reload and swap.

Endpoints never touch a ``Predictor`` directly; they call :meth:`InferenceService.run`,
directly or through the micro-batcher (:mod:`serve.api.batching`), which calls it once per
batch of requests; one call reads the predictor once, so no batch mixes two models across a reload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from model.document import Document
from model.modeldir import ModelDir, NotAModelDir
from model.predictor import DeviceError, Predictor, resolve_device

log = logging.getLogger(__name__)

Loader = Callable[[Path], Predictor]


class StartupError(RuntimeError):
    """The server cannot start with these settings; the message says what to do instead."""


def check_startup(model_dir: Path, device: str, quantize: str) -> None:
    """Fail fast, with one readable message, on what would make ``Predictor.load`` fail.

    Checks that ``model_dir`` is a whole model dir (:meth:`model.modeldir.ModelDir.check`) and
    that ``device`` (and ``quantize`` on it) can be used. It does not load weights; a corrupt
    model dir is still reported by the load itself.
    """
    try:
        ModelDir(model_dir).check()
    except NotAModelDir as error:
        raise StartupError(str(error)) from None
    try:
        target = resolve_device(device)
    except DeviceError as error:
        raise StartupError(str(error)) from None
    if quantize == "int8" and target.type != "cpu":
        raise StartupError("--quantize int8 runs on the CPU only; on CUDA the model already runs in half precision")


@dataclass(frozen=True)
class Prediction:
    """Documents and the info of the model that produced them (which may since have been swapped)."""

    model: dict
    documents: list[Document]


class InferenceService:
    """Owns the served Predictor. ``predict`` is thread-safe and never waits for a reload.

    ``reload`` loads ``model_dir`` again (following the ``current`` link anew) in a worker
    thread; the old model keeps answering until the new one is loaded, then a single attribute
    assignment swaps them, so each request sees exactly one model. A failed reload keeps the
    old model and records the error.
    """

    def __init__(self, model_dir: Path, loader: Loader):
        self.model_dir = Path(model_dir)
        self._loader = loader
        # (predictor, the resolved dir it came from), swapped as one object so readers never
        # pair one model's weights with another model's metrics.
        self._served: tuple[Predictor, Path] | None = None
        self._reload_lock = threading.Lock()
        self._reload_thread: threading.Thread | None = None
        self.last_reload_error: str | None = None

    @classmethod
    def from_settings(cls, settings) -> InferenceService:
        def load(model_dir: Path) -> Predictor:
            return Predictor.load(model_dir, device=settings.device,
                                  quantize=None if settings.quantize == "none" else settings.quantize,
                                  batch_tokens=settings.batch_tokens)

        return cls(settings.model_dir, load)

    # -- state --------------------------------------------------------------------------------

    @property
    def predictor(self) -> Predictor | None:
        served = self._served
        return served[0] if served else None

    @property
    def served_dir(self) -> Path | None:
        """The model dir (``current`` resolved at load time) the served model was read from."""
        served = self._served
        return served[1] if served else None

    @property
    def ready(self) -> bool:
        return self._served is not None

    @property
    def reloading(self) -> bool:
        thread = self._reload_thread
        return thread is not None and thread.is_alive()

    # -- operations ---------------------------------------------------------------------------

    def load(self) -> None:
        """Load the model synchronously (server startup); errors propagate to the caller."""
        self._served = self._load()
        info = self._served[0].info
        log.info("serving %s from %s on %s", info.get("name"), self._served[1], info.get("device"))

    def run(self, texts: list[str], dates: list[date | None] | None = None) -> Prediction:
        """Tag ``texts`` with the current model; ``dates``: each text's publication date or None
        (as many as texts), for the event records. Raises RuntimeError when no model is loaded yet.

        Blank texts are answered without the network: an empty document has no spans.
        """
        predictor = self.predictor  # one read: a concurrent swap cannot mix two models
        if predictor is None:
            raise RuntimeError("the model is not loaded yet")
        dates = [None] * len(texts) if dates is None else dates
        if len(dates) != len(texts):
            raise ValueError(f"{len(dates)} dates for {len(texts)} texts")
        busy = [index for index, text in enumerate(texts) if text.strip()]
        predicted = predictor.predict([texts[i] for i in busy], [dates[i] for i in busy]) if busy else []
        tagged = dict(zip(busy, predicted))
        documents = [tagged.get(index) or Document(text, {layer: [] for layer in predictor.schema.layer_names},
                                                   dates[index])
                     for index, text in enumerate(texts)]
        return Prediction(model=predictor.info, documents=documents)

    def reload(self) -> threading.Thread:
        """Start loading the model dir again in a thread (or return the reload already running).

        Join the returned thread to wait; ``last_reload_error`` is None after a success.
        """
        with self._reload_lock:
            if self.reloading:
                return self._reload_thread
            self._reload_thread = threading.Thread(target=self._reload, name="rasd-reload", daemon=True)
            self._reload_thread.start()
            return self._reload_thread

    def _reload(self) -> None:
        try:
            fresh = self._load()
        except Exception as error:  # the old model keeps serving; the error is reported by /ready
            log.exception("reload of %s failed; still serving the previous model", self.model_dir)
            self.last_reload_error = f"{type(error).__name__}: {error}"
            return
        self._served = fresh
        self.last_reload_error = None
        log.info("reloaded: now serving %s from %s", fresh[0].info.get("name"), fresh[1])

    def _load(self) -> tuple[Predictor, Path]:
        # Resolve `current` once, so a `make train` finishing mid-load cannot mix two runs.
        resolved = self.model_dir.resolve()
        return self._loader(resolved), resolved
