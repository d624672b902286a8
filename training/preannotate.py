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

Uncertainty (least confidence, averaged so long documents are not favoured):
``u(doc) = mean over schema layers l and words w of (1 - p_l(w))`` where ``p_l(w)`` is the
probability of the tag the model chose for word w in layer l (``Predictor.word_scores``).
0 means every word was tagged with certainty; an empty document scores 0. The prediction
``score`` is ``1 - u``, so sorting by score in Label Studio gives the same order.
``rank="uncertainty"`` orders tasks most doubtful first; ``limit`` then keeps the first N.
All documents are scored before ranking, so ranking needs the whole input in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from model.inputs import Fields, read_records
from model.predictor import Predictor, WordScores
from training.formats import doccano, labelstudio
from training.formats.common import write_jsonl
from training.validate import Problem

RANKS = ("none", "uncertainty")
TASK_FORMATS = ("labelstudio", "doccano")


@dataclass
class Suggestion:
    """One document with the model's spans (dicts with score) and its uncertainty."""

    id: str
    text: str
    spans: list[dict]
    uncertainty: float


@dataclass
class Summary:
    written: int = 0
    problems: list[Problem] = field(default_factory=list)
    config: Path | None = None


def uncertainty(scores: WordScores) -> float:
    """Mean over layers and words of 1 - the chosen tag's probability (see module docstring)."""
    doubts = [1.0 - prob for probs in scores.probs.values() for prob in probs]
    return sum(doubts) / len(doubts) if doubts else 0.0


def suggest(predictor: Predictor, ids: list[str], texts: list[str]) -> list[Suggestion]:
    """Predict spans and uncertainty for each text with one forward pass per window."""
    suggestions = []
    for doc_id, text, (document, score) in zip(ids, texts, predictor.predict_with_scores(texts)):
        spans = [{"start": span.start, "end": span.end, "label": span.label, "text": span.text,
                  "score": span.confidence} for spans in document.layers.values() for span in spans]
        suggestions.append(Suggestion(doc_id, text, spans, uncertainty(score)))
    return suggestions


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
