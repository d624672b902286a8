"""Classical models (CRF spans, TF-IDF claims per sentence): as baselines, saved and loaded, blended; per-sentence claim scores."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy
import pytest

from model.crf import CrfTagger, lexicon_features, normalise, strip_clitics
from model.lexicon import Lexicon
from model.schema import Schema
from model.sentences import claim_types_per_sentence, sentence_spans
from model.tfidf_claims import TfidfClaims, cue_counts
from model.words import word_spans
from training.metrics import span_metrics
from training.sentence_metrics import sentence_type_scores


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.load()


@pytest.fixture(scope="module")
def crf_on_seeds(seed_documents, schema) -> CrfTagger:
    return CrfTagger.fit(seed_documents, schema)


def test_normalise_and_stem():
    assert normalise("الأَسَد") == "الاسد"
    assert normalise("اﻷسـد") == "الاسد"  # presentation form ﻷ and tatweel
    assert strip_clitics("والبحرين") == ("بحرين", True)
    assert strip_clitics("للمدينة") == ("مدينة", True)
    assert strip_clitics("لروسيا") == ("روسيا", False)
    assert strip_clitics("بك") == ("بك", False)  # fewer than two letters would remain


def test_crf_predicts_held_out_seed_with_exact_offsets(seed_documents, schema):
    baseline = CrfTagger.fit(seed_documents[:4], schema)
    text = seed_documents[4]["text"]
    document = baseline.predict([text])[0]

    assert set(document.layers) == {"entities", "sources"}
    assert document.layers["entities"], "a CRF trained on four seeds finds entities in the fifth"
    for layer, spans in document.layers.items():
        for span in spans:
            assert span.text == text[span.start:span.end]
            assert schema.layer_of(span.label) == layer
            assert 0.0 < span.confidence <= 1.0
        assert all(a.end <= b.start for a, b in pairwise(spans))  # sorted, never overlapping
    assert baseline.predict([""])[0].layers == {"entities": [], "sources": []}


def test_lexicon_features_tag_each_word_and_its_neighbours():
    text = "وقال المرصد السوري لحقوق الإنسان إن طائرات حربية روسية شنت أمس 12 غارة على مدينة إدلب."
    words = [text[start:end] for start, end in word_spans(text)]
    rows = lexicon_features(words, Lexicon.load())
    said, observatory, idlib = words.index("وقال"), words.index("المرصد"), words.index("إدلب")
    assert rows[said]["+0:lex_cues"] == "B-ATTRIBUTION"  # قال behind the conjunction و
    assert rows[observatory]["-1:lex_cues"] == "B-ATTRIBUTION"  # the word after the cue knows it
    assert rows[observatory]["+0:lex_sources"] == "B-SRC_NAMED"
    assert [rows[observatory + i]["+0:lex_entities"] for i in range(4)] == ["B-ORG"] + ["I-ORG"] * 3
    assert rows[idlib]["+0:lex_entities"] == "B-GPE" and rows[idlib]["+1:lex_entities"] == "O"
    assert "-1:lex_entities" not in rows[0] and "+1:lex_entities" not in rows[-1]  # no neighbour past the edges
    assert "+2:lex_entities" not in rows[said]  # ±1 only


def test_cue_counts_per_sentence_and_cue_label():
    sentences = ["وقال المرصد إن طائرات حربية شنت غارات على إدلب وغارة أخرى على ريفها.",
                 "وصل وزير الخارجية إلى موسكو."]
    labels = ["ATTRIBUTION", "AIRSTRIKE", "DETENTION"]
    table = cue_counts(sentences, Lexicon.load(), labels)
    assert table.shape == (2, 3)
    assert table[0, 0] == pytest.approx(numpy.log1p(1))  # قال, behind the conjunction و
    assert table[0, 1] == pytest.approx(numpy.log1p(3))  # طائرات حربية, غارات, وغارة
    assert table[0, 2] == 0.0 and not table[1].any()


def test_crf_fits_its_training_data(seed_documents, schema, crf_on_seeds):
    predictions = crf_on_seeds.predict([document["text"] for document in seed_documents])
    metrics = span_metrics(seed_documents, predictions, schema)
    assert metrics["layers"]["entities"]["micro"]["f1"] > 0.8
    assert metrics["layers"]["sources"]["micro"]["f1"] > 0.8


def test_tfidf_predicts_types_per_sentence(seed_documents, schema):
    claims = set(schema.labels("claims"))
    baseline = TfidfClaims.fit(seed_documents, schema)
    texts = [document["text"] for document in seed_documents[:2]]
    predicted = baseline.predict(texts)

    for text, sentences in zip(texts, predicted):
        assert [(start, end) for start, end, _ in sentences] == sentence_spans(text)
        for _, _, types in sentences:
            assert set(types) <= claims and all(0.5 <= p <= 1.0 for p in types.values())
    gold = [claim_types_per_sentence(document["text"],
                                     [span for span in document["spans"] if span["label"] in claims])
            for document in seed_documents[:2]]
    assert sentence_type_scores(gold, predicted, schema.labels("claims"))["micro"]["f1"] > 0.5  # seen data


def test_tfidf_skips_types_without_positive_examples(seed_documents, schema):
    only_campaigns = [{**document, "spans": [span for span in document["spans"]
                                             if schema.layer_of(span["label"]) != "claims"
                                             or span["label"] == "CAMPAIGN"]}
                      for document in seed_documents[:3]]
    baseline = TfidfClaims.fit(only_campaigns, schema)
    assert baseline.types == ["CAMPAIGN"]
    predicted = baseline.predict(["الميليشيات تلاحق داعش في البادية. وصل وفد إلى دمشق."])[0]
    assert all(set(types) <= {"CAMPAIGN"} for _, _, types in predicted)

    no_claims = [{**document, "spans": []} for document in seed_documents[:2]]
    assert TfidfClaims.fit(no_claims, schema).predict(["نص. آخر"]) == [[(0, 3, {}), (4, 7, {})]]


def test_sentence_type_scores_truth_table():
    gold = [[(0, 10, frozenset({"A"})), (11, 20, frozenset({"A", "B"})), (21, 30, frozenset())],
            [(0, 5, frozenset({"A"}))]]
    predicted = [[(0, 10, {"A": 0.9}), (11, 20, {"A", "C"}), (21, 30, {"B"})],
                 [(0, 5, {"A"})]]
    scores = sentence_type_scores(gold, predicted, ["A", "B", "C", "D"])

    # A: tp 3 of 3; B: one false positive, one miss; C: predicted once, never gold; D: nowhere.
    assert list(scores["labels"]) == ["A", "B", "C"]
    assert scores["labels"]["A"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3}
    assert scores["labels"]["B"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["labels"]["C"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    # Micro over pairs: tp 3, predicted 5 (C's false positive included), gold 4.
    assert scores["micro"] == pytest.approx({"precision": 0.6, "recall": 0.75, "f1": 2 / 3, "support": 4})
    # Macro averages A and B only: C has no gold support.
    assert scores["macro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 4}

    # A missing predicted sentence counts as predicting nothing for it.
    partial = sentence_type_scores([[(0, 4, frozenset({"A"})), (5, 9, frozenset({"A"}))]],
                                   [[(0, 4, {"A"})]], ["A"])
    assert partial["micro"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})


def test_classical_models_save_and_load_without_pickle(tmp_path, seed_documents, schema):
    from model.classical import ClassicalModels

    lexicon = Lexicon.load()
    fitted = ClassicalModels.fit(seed_documents[:4], schema, lexicon)
    fitted.save(tmp_path)
    with pytest.raises(ValueError, match="lexicon features"):
        ClassicalModels.load(tmp_path)  # the features cannot be rebuilt without the lexicon
    with pytest.raises(ValueError, match="lexicon cue counts"):
        TfidfClaims.load(tmp_path)
    loaded = ClassicalModels.load(tmp_path, lexicon)
    assert loaded.claims.cue_labels == list(lexicon.groups["cues"]) and loaded.claims.lexicon is lexicon
    claims = fitted.claims
    assert claims.coef.shape[1] == (len(claims.vectorizer.vocabulary_) + len(claims.words.vocabulary_)
                                    + len(loaded.claims.cue_labels))
    assert {"تعزيزات عسكرية", "داعش"} <= set(claims.words.vocabulary_)  # word 1–2-grams beside the characters
    sentences = ["وقال المرصد إن طائرات حربية شنت غارات على إدلب.", "وصل وزير الخارجية إلى موسكو."]
    assert numpy.array_equal(claims.probabilities(sentences, claims.types),
                             loaded.claims.probabilities(sentences, claims.types))
    text = seed_documents[4]["text"]
    words = word_spans(text)
    tags = {layer: schema.bio_tags(layer) for layer in ("entities", "sources")}
    before, after = fitted.crf.marginals(text, words, tags), loaded.crf.marginals(text, words, tags)
    for layer, inventory in tags.items():
        assert before[layer].shape == (len(words), len(inventory))
        assert numpy.allclose(before[layer].sum(1), 1.0, atol=1e-4)  # every tag the CRF knows is a column
        assert numpy.array_equal(before[layer], after[layer])
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    labels = schema.labels("claims")
    probabilities = fitted.claims.probabilities(sentences, labels)
    assert probabilities.shape == (len(sentences), len(labels))
    assert numpy.allclose(probabilities, loaded.claims.probabilities(sentences, labels), atol=1e-6)
    assert loaded.claims.predict([text]) == fitted.claims.predict([text])


def test_predictor_blends_crf_marginals_into_span_decoding(tiny_predictor, seed_documents):
    """With the classical weight at 1 the entities are those of the CRF's marginals, word by word."""
    from model.alignment import tags_to_spans

    text = seed_documents[1]["text"]
    words = word_spans(text)
    tags = tiny_predictor.model.span_tags["entities"]
    marginals = tiny_predictor.classical.crf.marginals(text, words, {"entities": tags})["entities"]
    expected = [(start, end, label) for start, end, label, _ in
                tags_to_spans(text, words, [tags[i] for i in marginals.argmax(1)])]
    saved = dict(tiny_predictor.blend)
    try:
        tiny_predictor.blend = {**saved, "entities": 1.0}
        (document,) = tiny_predictor.predict([text])
    finally:
        tiny_predictor.blend = saved
    assert [(s.start, s.end, s.label) for s in document.layers["entities"]] == expected
    assert expected and all(text[s.start:s.end] == s.text for s in document.layers["entities"])


def test_crf_tags_correctly_from_many_threads(seed_documents, schema, crf_on_seeds):
    """The server's threads share one model; a crfsuite tagger holds the sequence it tags."""
    texts = [document["text"][start:start + 400] for document in seed_documents for start in (0, 500, 1000)]
    tags = {layer: schema.bio_tags(layer) for layer in ("entities", "sources")}

    def tag(text):
        return crf_on_seeds.marginals(text, word_spans(text), tags), crf_on_seeds.predict([text])[0].layers

    alone = [tag(text) for text in texts]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a race shows at once
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            together = list(pool.map(tag, texts * 3))
    finally:
        sys.setswitchinterval(interval)
    for (marginals, spans), (expected_marginals, expected_spans) in zip(together, alone * 3, strict=True):
        assert spans == expected_spans
        assert all(numpy.array_equal(marginals[layer], expected_marginals[layer]) for layer in tags)


def test_blended_partner_is_regularised_less_than_the_baseline(seed_documents, schema):
    """The partner's C (8) lets its regressions fit the training sentences more closely than
    scikit-learn's default C=1: an air-strike sentence of the seeds gets a higher AIRSTRIKE
    probability, a sentence without a claim a lower one."""
    from model.classical import ClassicalModels

    lexicon = Lexicon.load()
    partner = ClassicalModels.fit(seed_documents, schema, lexicon).claims
    default_c = TfidfClaims.fit(seed_documents, schema, lexicon, word_ngrams=True)
    strike = next(document["text"][span["start"]:span["end"]] for document in seed_documents
                  for span in document["spans"] if span["label"] == "AIRSTRIKE")
    plain = "وصل وزير الخارجية إلى موسكو."
    column = ["AIRSTRIKE"]
    assert partner.probabilities([strike], column)[0, 0] > default_c.probabilities([strike], column)[0, 0] > 0.5
    assert partner.probabilities([plain], column)[0, 0] < default_c.probabilities([plain], column)[0, 0] < 0.5
