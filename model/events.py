"""The event record of a claim sentence: who, where, when, how many, with what, says who.

Built from the entity spans inside the sentence, grouped by each label's ``role`` in
``schema.yaml`` (actors, places, dates, quantities, weapons), and the claim's source with its
kind (the source label's role: named or anonymous). Date expressions are resolved to ISO
dates against the article's publication date (:mod:`model.dates`); quantities get their
number and qualifier (:mod:`model.quantities`, with the words just before the span, where
the guidelines leave approximators such as «نحو»). This module reads predictions; it never
changes a span.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from model.dates import resolve_date
from model.document import Span
from model.quantities import parse_quantity

EVENT_FIELDS = ("actors", "places", "dates", "quantities", "weapons")
# Approximators stand within a few words before a quantity («ما لا يقل عن 20 قتيلاً»).
PRECEDING_CHARS = 24


def event_record(text: str, entities: list[Span], source: Span | None, roles: dict[str, str],
                 published: date | None) -> dict:
    """The event record of one claim sentence of ``text`` (see the module docstring).

    ``entities``: the entity spans inside the sentence; ``roles``: label → role
    (:meth:`model.schema.Schema.roles`); ``published``: the article's date or None, in which
    case only absolute dates resolve.
    """
    record: dict = {name: [] for name in EVENT_FIELDS}
    for entity in entities:
        role = roles.get(entity.label)
        if role not in record or (role == "actors" and source and (entity.start, entity.end) == (source.start, source.end)):
            continue  # the source itself («المرصد …» as ORG) tells, it does not act
        item = {"text": entity.text, "label": entity.label, "start": entity.start, "end": entity.end}
        if role == "dates":
            item |= asdict(resolve_date(entity.text, published))
        elif role == "quantities":
            preceding = text[max(0, entity.start - PRECEDING_CHARS):entity.start]
            item |= asdict(parse_quantity(entity.text, preceding))
        record[role].append(item)
    record["source"] = source.text if source else None
    record["source_kind"] = roles.get(source.label) if source else None
    return record
