"""A Predictor stand-in with fixed, known predictions, for tests of what batch scoring writes.

It tags a few phrases wherever they occur and gives every sentence that holds one of them
claim types, so claims (unlike the tiny model's) are never empty; dates resolve through the
real :func:`model.events.event_record`.
"""

from __future__ import annotations

from model.document import ClaimSentence, Document, Span, attributed_source, spans_within
from model.events import event_record
from model.schema import Schema
from model.sentences import sentence_spans

ENTITIES = {"5 عناصر": "QUANTITY", "قوات النظام": "MIL", "الطيران الروسي": "MIL", "أمس": "DATE", "حلب": "GPE",
            "إدلب": "GPE", "صواريخ": "WEAPON"}
SOURCES = {"المرصد": "SRC_NAMED", "مصدر محلي": "SRC_ANON"}
# A sentence holding this word gets these types (label -> probability).
CUES = {"قتل": {"CASUALTIES": 0.91, "ATTACK": 0.62}, "قصف": {"AIRSTRIKE": 0.83}, "اشتباكات": {"ATTACK": 0.7}}


def find_spans(text: str, phrases: dict[str, str]) -> list[Span]:
    spans = []
    for phrase, label in phrases.items():
        start = text.find(phrase)
        while start != -1:
            spans.append(Span(start, start + len(phrase), label, phrase, 0.9))
            start = text.find(phrase, start + 1)
    return sorted(spans, key=lambda span: span.start)


class StubPredictor:
    """``predict(texts, dates)`` as :class:`model.predictor.Predictor`; remembers the dates given."""

    def __init__(self):
        self.info = {"name": "stub", "version": "stub-1"}
        self.schema = Schema.load()
        self.dates_seen: list = []

    def tokenizer(self, texts, add_special_tokens=False, verbose=False) -> dict:
        return {"input_ids": [text.split() for text in texts]}

    def predict(self, texts: list[str], dates=None) -> list[Document]:
        dates = list(dates) if dates is not None else [None] * len(texts)
        self.dates_seen += dates
        return [self._document(text, published) for text, published in zip(texts, dates)]

    def _document(self, text: str, published) -> Document:
        entities, sources = find_spans(text, ENTITIES), find_spans(text, SOURCES)
        sentences = sentence_spans(text)
        claims = []
        for index, (start, end) in enumerate(sentences):
            types: dict[str, float] = {}
            for cue, found in CUES.items():
                if cue in text[start:end]:
                    types |= found
            if not types:
                continue
            inside = spans_within(entities, start, end)
            source = attributed_source(sources, sentences, index)
            claims.append(ClaimSentence(start, end, text[start:end], dict(sorted(types.items(), key=lambda t: -t[1])),
                                        inside, source, event_record(text, inside, source, self.schema.roles(),
                                                                     published)))
        return Document(text, {"entities": entities, "claims": claims, "sources": sources}, published)
