"""The Arabic examples of the OpenAPI page, and the documented answer for the first one.

:func:`example_document` builds that answer with the model package's own pieces — the
sentence splitter, :class:`~model.document.ClaimSentence` and :func:`~model.events.event_record`
with its date and quantity resolution — from the spans a trained model finds in
:data:`EXAMPLE_TEXT` (labelled as the annotation guidelines label them). So the documented
offsets, resolved date and parsed count are what the code computes, not hand-written; the
only assumed parts are the spans, the claim type and the scores.
"""

from __future__ import annotations

import datetime as dt

from model.document import ClaimSentence, Document, Span, attributed_source, spans_within
from model.events import event_record
from model.sentences import sentence_spans

EXAMPLE_TEXT = "قال المرصد السوري لحقوق الإنسان إن طائرات حربية روسية شنت أمس 12 غارة على مدينة إدلب."
EXAMPLE_DATE = dt.date(2015, 10, 7)
EXAMPLE_TEXTS = [
    "شنّ سلاح الجو الروسي 55 غارة جوية على مواقع تنظيم داعش في البادية السورية.",
    "أفادت مصادر ميدانية متطابقة بانسحاب ميليشيا الدفاع الوطني من طريق تدمر – السخنة.",
]
EXAMPLE_DATES = ["2021-01-14", None]

# (layer, label, phrase, score), in text order within each layer. The observatory is an ORG
# and the named source; aircraft as objects are WEAPON; a city is tagged without «مدينة».
EXAMPLE_SPANS = [
    ("entities", "ORG", "المرصد السوري لحقوق الإنسان", 0.91),
    ("entities", "WEAPON", "طائرات حربية روسية", 0.84),
    ("entities", "DATE", "أمس", 0.97),
    ("entities", "QUANTITY", "12 غارة", 0.93),
    ("entities", "GPE", "إدلب", 0.96),
    ("sources", "SRC_NAMED", "المرصد السوري لحقوق الإنسان", 0.88),
]
EXAMPLE_TYPES = {"AIRSTRIKE": 0.94}
# The roles of those labels in annotations/schema.yaml (a test checks that they agree).
EXAMPLE_ROLES = {"ORG": "actors", "WEAPON": "weapons", "DATE": "dates", "QUANTITY": "quantities",
                 "GPE": "places", "SRC_NAMED": "named"}


def example_document(published: dt.date | None = EXAMPLE_DATE) -> Document:
    """The prediction for :data:`EXAMPLE_TEXT` published on ``published`` (None: unknown, so
    «أمس» stays unresolved): its spans, and one claim sentence with its event record."""
    layers: dict[str, list] = {"entities": [], "claims": [], "sources": []}
    for layer, label, phrase, score in EXAMPLE_SPANS:
        start = EXAMPLE_TEXT.index(phrase)
        layers[layer].append(Span(start, start + len(phrase), label, phrase, score))
    sentences = sentence_spans(EXAMPLE_TEXT)
    for index, (start, end) in enumerate(sentences):
        inside = spans_within(layers["entities"], start, end)
        source = attributed_source(layers["sources"], sentences, index)
        layers["claims"].append(ClaimSentence(
            start, end, EXAMPLE_TEXT[start:end], dict(EXAMPLE_TYPES), inside, source,
            event_record(EXAMPLE_TEXT, inside, source, EXAMPLE_ROLES, published)))
    return Document(EXAMPLE_TEXT, layers, published)
