"""Claim scores per (sentence, claim type) pair, shaped like one layer of :func:`training.metrics.score`.

A sentence's gold is the set of claim types of the claim spans overlapping it
(:func:`model.sentences.claim_types_per_sentence`); a prediction is a set of types per
sentence. Both sides split texts with the same :func:`model.sentences.sentence_spans`, so
sentences are matched by their (start, end) offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Sentence = tuple[int, int, Iterable[str] | Mapping[str, float]]


def _prf(true_positives: int, predicted: int, support: int) -> dict:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def sentence_type_scores(gold: list[list[Sentence]], predicted: list[list[Sentence]], labels: list[str]) -> dict:
    """Per-type precision/recall/F1/support over (sentence, type) pairs, with micro and macro averages.

    ``gold`` and ``predicted`` hold, per document, ``(start, end, types)`` per sentence, where
    ``types`` is a set of type names or a dict keyed by them (the probabilities are ignored).
    A sentence missing on one side counts as predicting/holding no type. Only ``labels`` are
    scored. Returns ``{"labels": {type: {precision, recall, f1, support}}, "micro": {...},
    "macro": {...}}`` like a ``layers[layer]`` entry of :func:`training.metrics.score`:
    ``labels`` lists, in ``labels`` order, the types that are in the gold or predicted (as
    seqeval does); ``macro`` averages over the types with gold support; both averages carry
    the total support.
    """
    counts = {label: [0, 0, 0] for label in labels}  # true positives, predicted, gold
    for gold_sentences, predicted_sentences in zip(gold, predicted, strict=True):
        gold_types = {(start, end): set(types) for start, end, types in gold_sentences}
        predicted_types = {(start, end): set(types) for start, end, types in predicted_sentences}
        for sentence in gold_types.keys() | predicted_types.keys():
            truth, guess = gold_types.get(sentence, set()), predicted_types.get(sentence, set())
            for label, count in counts.items():
                count[0] += label in truth and label in guess
                count[1] += label in guess
                count[2] += label in truth
    per_label = {label: _prf(*count) for label, count in counts.items() if count[1] or count[2]}
    total = [sum(count[i] for count in counts.values()) for i in range(3)]
    supported = [values for values in per_label.values() if values["support"]]
    macro = {key: sum(values[key] for values in supported) / len(supported) if supported else 0.0
             for key in ("precision", "recall", "f1")}
    return {"labels": per_label, "micro": _prf(*total), "macro": {**macro, "support": total[2]}}
