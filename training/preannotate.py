"""Model suggestions as annotation tasks (Label Studio or doccano), optionally ranked by doubt.

Input: anything the batch scorer reads (:func:`model.inputs.read_records`: a folder of .txt,
JSONL/CSV with ``text_field``, gz allowed). Records it cannot read (empty, not UTF-8) are
returned as problems, not written. Output:

- ``labelstudio``: one JSON array of tasks ``{"data": {"text", "id", "uncertainty"},
  "predictions": [{"model_version", "score", "result": [labels regions with "score"]}]}``,
  one region ``from_name`` per schema layer, ``to_name`` "text"; the labeling config that
  matches it is written beside it (tasks.json -> tasks.config.xml).
- ``doccano``: JSONL ``{"id", "text", "label": [[start, end, label]], "uncertainty",
  "model_version"}`` (doccano keeps the extra keys as metadata).

Regions: a span layer's spans as predicted, with their score; a sentence layer (claims)
gives one region per (sentence, predicted type), with that type's probability as score,
so a sentence with two types is two regions on the same text. A claim region covers the
sentence without the punctuation at its edges (its final ``.``, a bullet's ``-``): whole
words, as the validator wants, so a region accepted as it is imports back cleanly and
gives the same sentence gold (:func:`model.sentences.claim_types_per_sentence`).

Uncertainty, one number per document in [0, 1], averaged so long documents are not favoured:
``u(doc) = mean over schema layers l of the mean doubt of layer l``, where the doubt of

- a word in a span layer is ``1 - p``, ``p`` the probability of the tag the model chose
  (least confidence; ``WordScores.probs``);
- a (sentence, label) decision in the sentence layer is ``1 - |p - t| / t`` when ``p < t``
  and ``1 - |p - t| / (1 - t)`` otherwise, ``p`` the label's probability
  (``WordScores.sentence_probs``) and ``t`` its threshold in the model dir: 1 on the
  threshold, 0 at p = 0 or 1; with t = 0.5 it is ``1 - |2p - 1|``.

Averaging per layer first keeps the claims layer (a few sentences × nine labels) from being
drowned by the words. 0 means every decision was certain; an empty document scores 0. The
prediction ``score`` is ``1 - u``, so sorting by score in Label Studio gives the same order.
``rank="uncertainty"`` orders tasks most doubtful first; ``limit`` then keeps the first N.
All documents are scored before ranking, so ranking needs the whole input in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model.document import ClaimSentence
from model.inputs import Fields, read_records
from model.predictor import Predictor, WordScores
from model.words import word_spans
from training.formats import doccano, labelstudio
from training.formats.common import snap_to_words, write_jsonl
from training.validate import Problem

RANKS = ("none", "uncertainty")
TASK_FORMATS = ("labelstudio", "doccano")


@dataclass
class Suggestion:
    """One document with the model's regions (span dicts with score, see the module
    docstring) and its uncertainty."""

    id: str
    text: str
    spans: list[dict]
    uncertainty: float


@dataclass
class Summary:
    written: int = 0
    problems: list[Problem] = field(default_factory=list)
    config: Path | None = None


def sentence_doubt(probability: float, threshold: float = 0.5) -> float:
    """Doubt of one sentence-label decision: 1 on the threshold, falling linearly to 0 at
    probability 0 or 1 (see the module docstring)."""
    room = threshold if probability < threshold else 1.0 - threshold
    return max(0.0, 1.0 - abs(probability - threshold) / room) if room > 0 else 1.0


def uncertainty(scores: WordScores, thresholds: list[float] | None = None) -> float:
    """Mean over layers of each layer's mean doubt (see the module docstring); ``thresholds``:
    one per sentence label, 0.5 each when not given."""
    layers = [[1.0 - prob for prob in probs] for probs in scores.probs.values()]
    layers.append([sentence_doubt(prob, thresholds[index] if thresholds else 0.5)
                   for row in scores.sentence_probs for index, prob in enumerate(row)])
    means = [sum(doubts) / len(doubts) for doubts in layers if doubts]
    return sum(means) / len(means) if means else 0.0


def suggest(predictor: Predictor, ids: list[str], texts: list[str]) -> list[Suggestion]:
    """Predict regions and uncertainty for each text with one forward pass per window."""
    thresholds = predictor.thresholds
    suggestions = []
    for doc_id, text, (document, score) in zip(ids, texts, predictor.predict_with_scores(texts)):
        spans = []
        for layer, items in document.layers.items():
            if predictor.schema.unit(layer) == "sentence":
                spans += claim_regions(text, items)
            else:
                spans += [{"start": span.start, "end": span.end, "label": span.label, "text": span.text,
                           "score": span.confidence} for span in items]
        suggestions.append(Suggestion(doc_id, text, spans, uncertainty(score, thresholds)))
    return suggestions


def claim_regions(text: str, claims: list[ClaimSentence]) -> list[dict]:
    """One region per (claim sentence, type), trimmed to whole words (module docstring)."""
    regions, words = [], word_spans(text) if claims else []
    for claim in claims:
        bounds = snap_to_words(text, claim.start, claim.end, words)
        if bounds is None:  # a sentence of punctuation only
            continue
        start, end = bounds
        regions += [{"start": start, "end": end, "label": label, "text": text[start:end], "score": probability}
                    for label, probability in claim.types.items()]
    return regions


def labelstudio_task(suggestion: Suggestion, predictor: Predictor) -> dict:
    record = {"id": suggestion.id, "text": suggestion.text, "spans": suggestion.spans}
    doubt = round(suggestion.uncertainty, 6)
    return {"data": {labelstudio.TO_NAME: suggestion.text, "id": suggestion.id, "uncertainty": doubt},
            "predictions": [{"model_version": model_version(predictor), "score": round(1.0 - doubt, 6),
                             "result": labelstudio.results_for(record, predictor.schema, scores=True)}]}


def doccano_line(suggestion: Suggestion, predictor: Predictor) -> dict:
    record = {"id": suggestion.id, "text": suggestion.text}
    return doccano.record_line(record, suggestion.spans, {"uncertainty": round(suggestion.uncertainty, 6),
                                                          "model_version": model_version(predictor)})


def model_version(predictor: Predictor) -> str:
    return str(predictor.info.get("version") or predictor.info.get("name") or "rasd")


def preannotate(source: Path, out: Path, fmt: str, predictor: Predictor, rank: str = "none",
                limit: int | None = None, text_field: str = "text", batch_size: int = 32) -> Summary:
    """Suggest spans for every readable document of ``source`` and write tasks to ``out``."""
    if fmt not in TASK_FORMATS or rank not in RANKS:
        raise ValueError(f"format must be one of {TASK_FORMATS} and rank one of {RANKS}")
    summary = Summary()
    readable = []
    for record in read_records(Path(source), Fields(text=text_field)):
        if record.error:
            summary.problems.append(Problem(record.source, record.line or 1, f"{record.error}: no task written"))
        else:
            readable.append(record)
    suggestions: list[Suggestion] = []
    for start in range(0, len(readable), batch_size):
        batch = readable[start : start + batch_size]
        suggestions += suggest(predictor, [record.id for record in batch], [record.text for record in batch])
    if rank == "uncertainty":
        suggestions.sort(key=lambda item: -item.uncertainty)  # stable: ties keep input order
    suggestions = suggestions[:limit] if limit else suggestions
    if fmt == "labelstudio":
        labelstudio.write_tasks([labelstudio_task(item, predictor) for item in suggestions], out, predictor.schema)
        summary.config = labelstudio.config_path(out)
    else:
        write_jsonl((doccano_line(item, predictor) for item in suggestions), out)
    summary.written = len(suggestions)
    return summary
