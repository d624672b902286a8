"""A predictor whose claims the tests know: the tiny model's predictions are too weak to test
claim sentences on, so the documented example is answered as documented.

:class:`ScriptedPredictor` wraps the tiny model: :data:`~serve.api.examples.EXAMPLE_TEXT` gets
:func:`~serve.api.examples.example_document` built with the publication date the service
passed (so the event record shows whether the request's date arrived), every other text goes
to the real model; each call's texts and dates are recorded.
"""

from __future__ import annotations

from datetime import date

from model.document import Document
from model.predictor import Predictor
from serve.api.examples import EXAMPLE_TEXT, example_document


class ScriptedPredictor:
    """Stands in for a :class:`~model.predictor.Predictor` (its other attributes are the real one's)."""

    def __init__(self, predictor: Predictor):
        self.predictor = predictor
        self.calls: list[tuple[list[str], list[date | None]]] = []

    def __getattr__(self, name: str):
        return getattr(self.predictor, name)

    def predict(self, texts: list[str], dates: list[date | None] | None = None) -> list[Document]:
        dates = [None] * len(texts) if dates is None else list(dates)
        self.calls.append((list(texts), dates))
        real = [index for index, text in enumerate(texts) if text != EXAMPLE_TEXT]
        tagged = self.predictor.predict([texts[i] for i in real], [dates[i] for i in real]) if real else []
        answers = dict(zip(real, tagged))
        return [answers[index] if index in answers else example_document(dates[index])
                for index in range(len(texts))]


def scripted_loader(model_dir) -> ScriptedPredictor:
    """An :class:`~serve.api.inference.InferenceService` loader serving the scripted tiny model."""
    return ScriptedPredictor(Predictor.load(model_dir, device="cpu"))
