"""Claim linking: a claim carries the entities inside it and the nearest source in its sentence."""

from model.document import Claim, Span, link_claims, sentence_bounds

TEXT = ("وأكد مصدر خاص أن قوات النظام نقلت تعزيزات إلى مطار تدمر. "
        "وقالت صحيفة إزفستيا إن الطيران الروسي شن 15 غارة جوية.")


def span(surface: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(surface, start + 1)
    return Span(start, start + len(surface), label, surface, 0.9)


def test_claims_get_their_entities_and_the_source_of_their_own_sentence():
    layers = {
        "entities": [span("قوات النظام", "MIL"), span("مطار تدمر", "FAC"), span("الطيران الروسي", "MIL"),
                     span("15 غارة جوية", "QUANTITY")],
        "claims": [span("قوات النظام نقلت تعزيزات إلى مطار تدمر", "MOVEMENT"),
                   span("الطيران الروسي شن 15 غارة جوية", "AIRSTRIKE")],
        "sources": [span("مصدر خاص", "SRC_ANON"), span("صحيفة إزفستيا", "SRC_NAMED")],
    }
    link_claims(TEXT, layers)
    movement, airstrike = layers["claims"]
    assert isinstance(movement, Claim)
    assert [entity.text for entity in movement.entities] == ["قوات النظام", "مطار تدمر"]
    assert movement.source.text == "مصدر خاص"
    assert [entity.text for entity in airstrike.entities] == ["الطيران الروسي", "15 غارة جوية"]
    assert airstrike.source.text == "صحيفة إزفستيا"
    assert airstrike.to_dict()["source"] == {"start": 63, "end": 76, "label": "SRC_NAMED",
                                             "text": "صحيفة إزفستيا", "score": 0.9}


def test_a_claim_without_a_source_in_its_sentence_has_none():
    layers = {"entities": [], "claims": [span("الطيران الروسي شن 15 غارة جوية", "AIRSTRIKE")],
              "sources": [span("مصدر خاص", "SRC_ANON")]}
    link_claims(TEXT, layers)
    assert layers["claims"][0].source is None and layers["claims"][0].entities == []


def test_sentence_bounds_cover_the_text():
    bounds = sentence_bounds(TEXT)
    assert bounds[0] == (0, 56) and bounds[-1][1] == len(TEXT)
    assert "".join(TEXT[start:end] for start, end in bounds) == TEXT
