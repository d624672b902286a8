"""What a prediction is: spans per schema layer, with offsets into the exact input string."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import regex

# A sentence ends at . ! ? ؟ ۔ … or a line break; attribution is searched within one sentence.
_SENTENCE_END = regex.compile(r"[.!?؟۔…\n]+")

SOURCE_LAYER, CLAIM_LAYER, ENTITY_LAYER = "sources", "claims", "entities"


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
class Claim(Span):
    """A claim span, with the entity spans inside it and the source it is attributed to."""

    entities: list[Span] = field(default_factory=list)
    source: Span | None = None

    def to_dict(self) -> dict:
        return {**super().to_dict(), "entities": [entity.to_dict() for entity in self.entities],
                "source": self.source.to_dict() if self.source else None}


@dataclass
class Document:
    """One input text and its spans, one list per schema layer (in schema order)."""

    text: str
    layers: dict[str, list[Span]]

    def to_dict(self) -> dict:
        return {layer: [span.to_dict() for span in spans] for layer, spans in self.layers.items()}


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; together they cover the whole text."""
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        bounds.append((start, match.end()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


def link_claims(text: str, layers: dict[str, list[Span]]) -> None:
    """Turn claim spans into :class:`Claim` with their entities and attributed source, in place.

    The source is the nearest SRC_* span in the same sentence as the claim (distance between
    span edges), else none. Layers missing from the schema are simply not linked.
    """
    if CLAIM_LAYER not in layers:
        return
    # Spans of a layer come out of decoding sorted by start and never overlap, so bisecting
    # on starts finds a claim's entities and its sentence's sources without a full scan.
    entities = layers.get(ENTITY_LAYER, [])
    entity_starts = [entity.start for entity in entities]
    sentence_starts = [start for start, _ in sentence_bounds(text)]

    def sentence_of(position: int) -> int:
        return bisect_right(sentence_starts, position) - 1

    sources_by_sentence: dict[int, list[Span]] = {}
    for source in layers.get(SOURCE_LAYER, []):
        sources_by_sentence.setdefault(sentence_of(source.start), []).append(source)

    def distance(claim: Span, source: Span) -> int:
        return max(source.start - claim.end, claim.start - source.end, 0)

    linked = []
    for claim in layers[CLAIM_LAYER]:
        candidates = sources_by_sentence.get(sentence_of(claim.start), [])
        first = bisect_left(entity_starts, claim.start)
        last = bisect_right(entity_starts, claim.end)
        linked.append(Claim(
            claim.start, claim.end, claim.label, claim.text, claim.confidence,
            entities=[entity for entity in entities[first:last] if entity.end <= claim.end],
            source=min(candidates, key=lambda source: distance(claim, source)) if candidates else None,
        ))
    layers[CLAIM_LAYER] = linked
