"""Span metrics: seqeval ``mode="strict", scheme=IOB2`` per layer and label, plus partial overlap.

Both gold and predicted spans are turned into word-level IOB2 tags with the one alignment
(:func:`model.alignment.spans_to_tags`), so the scores are about spans, not subwords.
"""

from __future__ import annotations

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from model.alignment import spans_to_tags
from model.document import Document
from model.schema import Schema
from model.sentences import claim_types_per_sentence
from model.words import word_spans
from training.sentence_metrics import sentence_type_scores

SCHEME_NAME = "seqeval strict IOB2"
SENTENCE_SCHEME_NAME = "(sentence, label) pairs; sentence gold = labels of the claim spans overlapping it"


def _partial(gold: list[dict], predicted: list[dict]) -> tuple[int, int]:
    """(predicted spans overlapping a same-label gold span, gold spans overlapped by one)."""
    def overlaps(a, b):
        return a["label"] == b["label"] and a["start"] < b["end"] and b["start"] < a["end"]

    hit_pred = sum(any(overlaps(p, g) for g in gold) for p in predicted)
    hit_gold = sum(any(overlaps(g, p) for p in predicted) for g in gold)
    return hit_pred, hit_gold


def span_metrics(gold_documents: list[dict], predictions: list[Document], schema: Schema,
                 layers: list[str] | None = None) -> dict:
    """Per span layer (or each of ``layers``): per-label P/R/F1/support, micro and macro
    averages, and partial overlap."""
    result = {"scheme": SCHEME_NAME, "documents": len(gold_documents), "layers": {}}
    for layer in layers or [name for name in schema.layer_names if schema.unit(name) == "span"]:
        y_true, y_pred = [], []
        partial = [0, 0, 0, 0]  # hit_pred, n_pred, hit_gold, n_gold
        for gold, predicted in zip(gold_documents, predictions):
            words = word_spans(gold["text"])
            gold_spans = [span for span in gold["spans"] if schema.layer_of(span["label"]) == layer]
            pred_spans = [span.to_dict() for span in predicted.layers.get(layer, [])]
            y_true.append(spans_to_tags(words, gold_spans))
            y_pred.append(spans_to_tags(words, pred_spans))
            hit_pred, hit_gold = _partial(gold_spans, pred_spans)
            partial = [partial[0] + hit_pred, partial[1] + len(pred_spans),
                       partial[2] + hit_gold, partial[3] + len(gold_spans)]
        report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2,
                                       output_dict=True, zero_division=0)
        labels = {label: {key: float(report[label][key]) for key in ("precision", "recall", "f1-score", "support")}
                  for label in schema.labels(layer) if label in report}
        precision = partial[0] / partial[1] if partial[1] else 0.0
        recall = partial[2] / partial[3] if partial[3] else 0.0
        result["layers"][layer] = {
            "labels": {label: _renamed(values) for label, values in labels.items()},
            "micro": _renamed(report.get("micro avg", {})),
            "macro": _renamed(report.get("macro avg", {})),
            "partial": {"precision": precision, "recall": recall,
                        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0},
        }
    return result


def sentence_metrics(gold_documents: list[dict], predicted: list[list[tuple]], schema: Schema, layer: str) -> dict:
    """Scores of a sentence layer over (sentence, label) pairs (:mod:`training.sentence_metrics`);
    ``predicted``: per document, ``(start, end, labels)`` of the sentences given labels."""
    labels = schema.labels(layer)
    gold = [claim_types_per_sentence(doc["text"], [span for span in doc["spans"] if span["label"] in labels])
            for doc in gold_documents]
    return sentence_type_scores(gold, predicted, labels)


def all_metrics(gold_documents: list[dict], predictions: list[Document], schema: Schema) -> dict:
    """:func:`span_metrics` for the span layers plus :func:`sentence_metrics` for each sentence
    layer (predicted sentences read from the documents' claim sentences)."""
    result = span_metrics(gold_documents, predictions, schema)
    for layer in schema.layer_names:
        if schema.unit(layer) == "sentence":
            predicted = [[(claim.start, claim.end, claim.labels) for claim in document.layers.get(layer, [])]
                         for document in predictions]
            result["layers"][layer] = sentence_metrics(gold_documents, predicted, schema, layer)
    result["sentence_scheme"] = SENTENCE_SCHEME_NAME
    return result


def _renamed(values: dict) -> dict:
    return {"precision": float(values.get("precision", 0.0)), "recall": float(values.get("recall", 0.0)),
            "f1": float(values.get("f1-score", 0.0)), "support": int(values.get("support", 0))}


def markdown_table(metrics: dict) -> str:
    """Per layer and label P/R/F1/support, with micro, macro and partial-overlap rows."""
    lines = [f"Scores: {metrics['scheme']} (exact span and label); *partial* counts any same-label overlap.", "",
             "| layer | label | precision | recall | F1 | support |", "|---|---|---:|---:|---:|---:|"]
    for layer, body in metrics["layers"].items():
        for label, values in body["labels"].items():
            lines.append(f"| {layer} | {label} | {values['precision']:.3f} | {values['recall']:.3f} | "
                         f"{values['f1']:.3f} | {values['support']} |")
        for name in ("micro", "macro"):
            values = body[name]
            lines.append(f"| {layer} | **{name}** | {values['precision']:.3f} | {values['recall']:.3f} | "
                         f"**{values['f1']:.3f}** | {values['support']} |")
        values = body.get("partial")
        if values is None:  # sentence layers: no span overlap to count
            continue
        lines.append(f"| {layer} | *partial* | {values['precision']:.3f} | {values['recall']:.3f} | "
                     f"{values['f1']:.3f} | |")
    return "\n".join(lines)
