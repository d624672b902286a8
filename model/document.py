"""What a prediction is: spans per span layer and claim sentences, with offsets into the exact input.

A :class:`Document` holds, per span layer (entities, sources), its :class:`Span` list and,
for the sentence layer (claims), one :class:`ClaimSentence` per sentence that carries at
least one claim type: the types with their probabilities, the entities inside the sentence,
the source the claim is attributed to and its event record (:mod:`model.events`).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Span:
    """``text == document_text[start:end]`` always; ``confidence`` is the mean per-word probability
    of the predicted tags (the ``score`` of the JSON output; not a calibrated probability)."""

    start: int
    end: int
    label: str
    text: str
    confidence: float

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text,
                "score": round(self.confidence, 4)}


@dataclass
class ClaimSentence:
    """A sentence with the claim types predicted for it (``types``: label → probability, sorted
    by probability, highest first), the entities inside it, its source and its event record."""

    start: int
    end: int
    text: str
    types: dict[str, float]
    entities: list[Span] = field(default_factory=list)
    source: Span | None = None
    event: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return list(self.types)

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text,
                "types": [{"label": label, "score": round(score, 4)} for label, score in self.types.items()],
                "entities": [entity.to_dict() for entity in self.entities],
                "source": self.source.to_dict() if self.source else None,
                "event": self.event}


@dataclass
class Document:
    """One input text and its predictions, one list per schema layer (in schema order)."""

    text: str
    layers: dict[str, list]
    published: date | None = None

    def to_dict(self) -> dict:
        return {layer: [item.to_dict() for item in items] for layer, items in self.layers.items()}


def spans_within(spans: list[Span], start: int, end: int) -> list[Span]:
    """The spans (sorted by start, non-overlapping) lying inside [start, end)."""
    first = bisect_left([span.start for span in spans], start)
    inside = []
    for span in spans[first:]:
        if span.start >= end:
            break
        if span.end <= end:
            inside.append(span)
    return inside


def attributed_source(sources: list[Span], sentences: list[tuple[int, int]], index: int) -> Span | None:
    """The source of the claim in sentence ``index``: the first source span inside that
    sentence (attribution usually opens it: «وقال المرصد إن …»), else the last source of the
    preceding sentence (an attribution standing before the claim it introduces), else None."""
    start, end = sentences[index]
    inside = spans_within(sources, start, end)
    if inside:
        return inside[0]
    if index > 0:
        before = spans_within(sources, *sentences[index - 1])
        if before:
            return before[-1]
    return None
