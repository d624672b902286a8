"""Claim sentences: entities inside a sentence, the source it is attributed to, its event record."""

from datetime import date

from model.document import ClaimSentence, Span, attributed_source, spans_within
from model.events import event_record
from model.schema import Schema
from model.sentences import sentence_spans

TEXT = ("قال المرصد السوري لحقوق الإنسان إن طائرات حربية روسية شنت أمس 12 غارة على مدينة إدلب. "
        "وأفادت مصادر محلية بمقتل نحو 20 مدنياً.\nوانسحبت قوات النظام من بلدة كفرنبل.")


def span(surface: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(surface, start + 1)
    return Span(start, start + len(surface), label, surface, 0.9)


ENTITIES = [span("المرصد السوري لحقوق الإنسان", "ORG"), span("طائرات حربية", "WEAPON"), span("أمس", "DATE"),
            span("12 غارة", "QUANTITY"), span("إدلب", "GPE"), span("20 مدنياً", "QUANTITY"),
            span("قوات النظام", "MIL"), span("كفرنبل", "GPE")]
SOURCES = [span("المرصد السوري لحقوق الإنسان", "SRC_NAMED"), span("مصادر محلية", "SRC_ANON")]
SENTENCES = sentence_spans(TEXT)


def test_three_sentences():
    assert [TEXT[s:e] for s, e in SENTENCES][2] == "وانسحبت قوات النظام من بلدة كفرنبل."


def test_entities_inside_a_sentence():
    start, end = SENTENCES[0]
    assert [entity.text for entity in spans_within(ENTITIES, start, end)] == [
        "المرصد السوري لحقوق الإنسان", "طائرات حربية", "أمس", "12 غارة", "إدلب"]


def test_source_same_sentence_then_preceding_then_none():
    assert attributed_source(SOURCES, SENTENCES, 0).text == "المرصد السوري لحقوق الإنسان"
    assert attributed_source(SOURCES, SENTENCES, 1).text == "مصادر محلية"
    assert attributed_source(SOURCES, SENTENCES, 2).text == "مصادر محلية"  # attribution one sentence before
    assert attributed_source(SOURCES[:1], SENTENCES, 2) is None  # two sentences back is too far


def test_event_record_resolves_dates_and_quantities():
    roles = Schema.load().roles()
    start, end = SENTENCES[0]
    record = event_record(TEXT, spans_within(ENTITIES, start, end), SOURCES[0], roles, date(2015, 10, 7))
    assert record["actors"] == []  # the Observatory is the source here, not an actor
    assert [place["text"] for place in record["places"]] == ["إدلب"]
    assert record["dates"][0] == {"text": "أمس", "label": "DATE", "start": TEXT.index("أمس"),
                                       "end": TEXT.index("أمس") + 3, "value": "2015-10-06", "precision": "day"}
    assert record["quantities"][0]["value"] == 12 and record["quantities"][0]["unit"] == "غارة"
    assert record["weapons"][0]["text"] == "طائرات حربية"
    assert record["source"] == "المرصد السوري لحقوق الإنسان" and record["source_kind"] == "named"
    start, end = SENTENCES[1]
    casualties = event_record(TEXT, spans_within(ENTITIES, start, end), SOURCES[1], roles, None)
    quantity = casualties["quantities"][0]
    assert (quantity["value"], quantity["qualifier"]) == (20, "approximately")
    assert casualties["source_kind"] == "anonymous"


def test_claim_sentence_json_sorted_types():
    claim = ClaimSentence(0, 5, TEXT[:5], {"AIRSTRIKE": 0.91, "CASUALTIES": 0.55}, [ENTITIES[0]], SOURCES[0], {})
    out = claim.to_dict()
    assert [item["label"] for item in out["types"]] == ["AIRSTRIKE", "CASUALTIES"]
    assert out["source"]["label"] == "SRC_NAMED" and out["entities"][0]["label"] == "ORG"
