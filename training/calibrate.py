"""Blend weights and claim thresholds, chosen on training documents held out once.

A model dir blends the network with classical models (:mod:`model.classical`) and predicts a
claim type for a sentence from a threshold. Both are chosen here, never on test data:
:func:`split` holds out a share of the *training* documents, :func:`training.train.fit` trains a
network and the classical models on the rest, and :func:`calibrate` scores that model on the
held-out part for each blend weight, and the final model is then trained on all the
documents with what was chosen. One extra fit; ``--calibration-share 0`` skips it and keeps
the defaults (an even blend, thresholds 0.5).

* Span layers: the weight with the best strict span micro F1, per layer.
* Claims: the weight with the best *average precision* over (sentence, type) pairs, which
  judges how well the blend ranks every pair rather than how one cut scores; then one
  threshold, the best (sentence, type) micro F1 at that weight, for every type. A threshold
  per type lost claims F1 on the seeds' leave-one-article-out (ten held-out documents hold
  too few sentences of most types); README, Evaluation, has the rules compared.

Ties go to the choice nearest the default (weight 0.5, threshold 0.5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy
from sklearn.metrics import average_precision_score

from model.predictor import Predictor
from model.schema import Schema
from model.sentences import claim_types_per_sentence
from training.metrics import span_metrics
from training.sentence_metrics import sentence_type_scores

WEIGHTS = (0.0, 0.25, 0.5, 0.75)  # weight of the classical model; 1.0 would drop the network
THRESHOLDS = tuple(round(0.15 + 0.05 * step, 2) for step in range(12))  # 0.15 … 0.70
DEFAULT_WEIGHT, DEFAULT_THRESHOLD = 0.5, 0.5
MIN_TRAINING_DOCUMENTS = 4


@dataclass
class Calibration:
    """What was chosen: ``blend`` (layer -> classical weight), ``thresholds`` (claim type ->
    probability; calibration gives every type the same one, the model dir keeps one per type),
    and ``scores`` (what each choice scored on the held-out documents, for the record)."""

    blend: dict[str, float]
    thresholds: dict[str, float]
    scores: dict = field(default_factory=dict)

    @classmethod
    def default(cls, schema: Schema) -> Calibration:
        return cls({layer: DEFAULT_WEIGHT for layer in schema.layer_names}, {})


def split(documents: list[dict], share: float, seed: int) -> tuple[list[dict], list[dict]] | None:
    """(training part, held-out part) with ``share`` of the documents held out, shuffled by
    ``seed``; None when ``share`` is 0 or too few documents would be left on either side."""
    held = round(len(documents) * share)
    if share <= 0 or held < 1 or len(documents) - held < MIN_TRAINING_DOCUMENTS:
        return None
    order = list(range(len(documents)))
    random.Random(seed).shuffle(order)
    return [documents[i] for i in sorted(order[held:])], [documents[i] for i in sorted(order[:held])]


def _best(scores: dict[float, float], default: float) -> float:
    """The key with the highest score; ties go to the one nearest ``default``."""
    return max(scores, key=lambda key: (round(scores[key], 6), -abs(key - default)))


def calibrate(predictor: Predictor, documents: list[dict], schema: Schema) -> Calibration:
    """Choose blend weights and claim thresholds on ``documents`` (held out from ``predictor``'s
    training). Sets ``predictor.blend`` while it runs: use a throwaway predictor."""
    span_layers = [layer for layer in schema.layer_names if schema.unit(layer) == "span"]
    sentence_layer = next((layer for layer in schema.layer_names if schema.unit(layer) == "sentence"), None)
    labels = schema.labels(sentence_layer) if sentence_layer else []
    texts = [document["text"] for document in documents]
    gold = [claim_types_per_sentence(document["text"],
                                     [span for span in document["spans"] if span["label"] in labels])
            for document in documents]
    weights = WEIGHTS if predictor.classical is not None else (0.0,)
    span_f1, probabilities = {layer: {} for layer in span_layers}, {}
    for weight in weights:
        predictor.blend = {layer: weight for layer in schema.layer_names}
        results = predictor.predict_with_scores(texts)
        metrics = span_metrics(documents, [document for document, _ in results], schema, span_layers)
        for layer in span_layers:
            span_f1[layer][weight] = metrics["layers"][layer]["micro"]["f1"]
        probabilities[weight] = [scores.sentence_probs for _, scores in results]
    blend = {layer: _best(span_f1[layer], DEFAULT_WEIGHT) for layer in span_layers}
    scores = {layer: {str(weight): round(f1, 4) for weight, f1 in by_weight.items()}
              for layer, by_weight in span_f1.items()}
    thresholds = {}
    if sentence_layer:
        ranking = {weight: _average_precision(gold, probabilities[weight], labels) for weight in weights}
        weight = _best(ranking, DEFAULT_WEIGHT)
        claim_f1 = {threshold: _claim_scores(gold, probabilities[weight], labels, threshold)["micro"]["f1"]
                    for threshold in THRESHOLDS}
        threshold = _best(claim_f1, DEFAULT_THRESHOLD)
        blend[sentence_layer] = weight
        thresholds = {label: threshold for label in labels}
        scores[sentence_layer] = {"weight": weight, "threshold": threshold,
                                  "micro_f1": round(claim_f1[threshold], 4),
                                  "average_precision": {str(w): round(ap, 4) for w, ap in ranking.items()}}
    scores["documents"] = len(documents)
    return Calibration(blend, thresholds, scores)


def _average_precision(gold: list[list[tuple]], probabilities: list[list[list[float]]], labels: list[str]
                       ) -> float:
    """Micro average precision of the probabilities over every (sentence, type) pair; 0 when
    the documents hold no claim (nothing to rank)."""
    truth, scores = [], []
    for sentences, rows in zip(gold, probabilities, strict=True):
        for (_, _, types), row in zip(sentences, rows, strict=True):
            truth += [label in types for label in labels]
            scores += row
    if not any(truth):
        return 0.0
    return float(average_precision_score(numpy.array(truth), numpy.array(scores)))


def _claim_scores(gold: list[list[tuple]], probabilities: list[list[list[float]]], labels: list[str],
                  threshold: float) -> dict:
    predicted = [[(start, end, {label for label, p in zip(labels, row) if p >= threshold})
                  for (start, end, _), row in zip(sentences, rows)]
                 for sentences, rows in zip(gold, probabilities)]
    return sentence_type_scores(gold, predicted, labels)
