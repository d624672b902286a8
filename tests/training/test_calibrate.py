"""Blend weights and claim thresholds chosen on held-out training documents (training/calibrate.py)."""

from __future__ import annotations

import json

from model.document import Document, Span
from model.predictor import WordScores
from model.schema import Schema
from model.sentences import claim_types_per_sentence, sentence_spans
from tests.conftest import tiny_config
from training.calibrate import THRESHOLDS, WEIGHTS, calibrate, split


def test_split_holds_out_a_share_and_keeps_enough_to_train(seed_documents):
    documents = [{"id": str(index)} for index in range(10)]
    training, held_out = split(documents, 0.2, seed=13)
    assert len(held_out) == 2 and len(training) == 8
    assert sorted(d["id"] for d in training + held_out) == sorted(d["id"] for d in documents)
    assert split(documents, 0.2, seed=13) == (training, held_out)  # seeded
    assert split(documents, 0.0, seed=13) is None
    assert split(documents[:4], 0.2, seed=13) is None  # 3 left to train on: too few
    assert [len(part) for part in split(seed_documents, 0.2, seed=7)] == [4, 1]


class WeightedStub:
    """Predicts the gold entities only when the classical weight is 0.5. Claims: at weight
    0.75, each gold claim type of a sentence gets probability 0.35 and the others 0.05 (a
    perfect ranking); at any other weight, gold types 0.6 in the first sentence only and every
    other pair 0.3 (a worse ranking, though threshold 0.3 still scores recall 1)."""

    def __init__(self, documents: list[dict], schema: Schema):
        self.documents, self.schema, self.classical, self.blend = documents, schema, object(), {}
        self.labels = schema.labels("claims")

    def predict_with_scores(self, texts):
        results = []
        for text, document in zip(texts, self.documents):
            entities = [Span(s["start"], s["end"], s["label"], s["text"], 1.0) for s in document["spans"]
                        if self.schema.layer_of(s["label"]) == "entities"] if self.blend["entities"] == 0.5 else []
            gold = claim_types_per_sentence(text, [s for s in document["spans"] if s["label"] in self.labels])
            if self.blend["claims"] == 0.75:
                probabilities = [[0.35 if label in types else 0.05 for label in self.labels] for _, _, types in gold]
            else:
                probabilities = [[0.6 if label in types and index == 0 else 0.3 for label in self.labels]
                                 for index, (_, _, types) in enumerate(gold)]
            results.append((Document(text, {"entities": entities, "sources": []}),
                            WordScores({}, {}, sentence_spans(text), probabilities)))
        return results


def test_calibrate_chooses_the_weight_and_threshold_that_score_best(seed_documents):
    schema = Schema.load()
    chosen = calibrate(WeightedStub(seed_documents, schema), seed_documents, schema)

    assert chosen.blend["entities"] == 0.5
    assert chosen.scores["entities"]["0.5"] == 1.0 and chosen.scores["entities"]["0.0"] == 0.0
    # The claim weight is the one whose blend ranks the (sentence, type) pairs best (average
    # precision 1 at 0.75 only); at that weight every threshold in (0.05, 0.35] separates the
    # gold types perfectly, and ties go to the one nearest 0.5.
    assert chosen.blend["claims"] == 0.75
    assert chosen.scores["claims"]["average_precision"]["0.75"] == 1.0
    assert max(ap for weight, ap in chosen.scores["claims"]["average_precision"].items() if weight != "0.75") < 1
    assert set(chosen.thresholds) == set(schema.labels("claims"))
    assert set(chosen.thresholds.values()) == {0.35}  # one for every type
    assert chosen.scores["claims"]["micro_f1"] == 1.0


def test_train_stores_the_calibration_and_the_classical_models(tmp_path):
    from model.modeldir import CLASSICAL_DIR, ModelDir
    from model.predictor import Predictor
    from training.train import train

    model_dir = train(tiny_config(tmp_path / "models", calibration_share=0.2, epochs=10))
    architecture = ModelDir(model_dir).architecture()
    assert set(architecture["blend"]) == {"entities", "sources", "claims"}
    assert all(weight in WEIGHTS for weight in architecture["blend"].values())
    thresholds = architecture["sentence_layer"]["thresholds"]
    assert set(thresholds) == set(Schema.load().labels("claims"))
    assert all(value in THRESHOLDS for value in thresholds.values())
    assert sorted(path.name for path in (model_dir / CLASSICAL_DIR).iterdir()) == [
        "claims-tfidf.npz", "crf-entities.crfsuite", "crf-features.json", "crf-sources.crfsuite"]
    recorded = json.loads((model_dir / "training_config.json").read_text())["calibration"]
    assert recorded["held_out_scores"]["documents"] == 1  # one of the five seeds held out
    predictor = Predictor.load(model_dir, device="cpu")
    assert predictor.classical.crf.lexicon is not None  # the blended CRF has lexicon features
    assert predictor.blend == architecture["blend"] and predictor.thresholds == [
        thresholds[label] for label in predictor.model.sentence_labels]
