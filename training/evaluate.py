"""Leave-one-document-out cross-validation: the honest numbers behind ``make eval``.

Contract: for each annotated document, fit a fresh tagger on all the others with
:func:`training.train.fit` (same base, epochs and seed as ``make train``), predict the
held-out document with the one :class:`model.predictor.Predictor`, then score all held-out
predictions together (seqeval strict IOB2 per layer and label, micro, macro, partial
overlap). Writes ``eval.md`` and ``eval.json`` into the output dir. Does not publish a
model and never touches ``models/current``.

The compact encoder's tokenizer is trained inside each fold on the training documents
only, so the held-out article leaks nothing into its fold.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import torch
from tqdm.auto import tqdm

from model.predictor import Predictor
from model.schema import Schema
from training.config import COMPACT, TrainConfig
from training.metrics import markdown_table, span_metrics
from training.train import fit, load_documents
from training.validate import resolve_paths


def cross_validate(documents: list[dict], schema: Schema, config: TrainConfig,
                   progress: bool = True) -> dict:
    """Fit N models (one per held-out document) and score their held-out predictions.

    Returns the :func:`training.metrics.span_metrics` dict plus ``folds`` (per held-out document:
    id and micro F1 per layer) and ``setup`` (base encoder used, epochs, learning rate...).
    Needs at least two documents.
    """
    if len(documents) < 2:
        raise ValueError("cross-validation needs at least two annotated documents")
    predictions, folds, setup = [], [], {}
    bar = tqdm(range(len(documents)), desc="cross-validation", unit="fold", disable=not progress)
    for held_out in bar:
        document = documents[held_out]
        bar.set_postfix_str(f"held out: {document.get('id', held_out)}")
        training_documents = documents[:held_out] + documents[held_out + 1:]
        model, base, _, chosen = fit(training_documents, schema, config, progress=False)
        if base.is_compact and config.base_model != COMPACT:
            # The fallback was explained once; later folds go straight to the compact encoder.
            config = replace(config, base_model=COMPACT)
        setup = setup or {"base": base.describe(), **chosen}
        predictor = Predictor(model, base.tokenizer, schema, {"name": f"fold-{held_out}"},
                              torch.device("cpu"), max_length=chosen["max_length"])
        predicted = predictor.predict([document["text"]])[0]
        predictions.append(predicted)
        fold = span_metrics([document], [predicted], schema)
        folds.append({"id": document.get("id", str(held_out)),
                      "micro_f1": {layer: body["micro"]["f1"] for layer, body in fold["layers"].items()}})
    metrics = span_metrics(documents, predictions, schema)
    metrics["split"] = f"leave-one-document-out cross-validation ({len(documents)} folds)"
    metrics["folds"] = folds
    setup.pop("windows", None)
    metrics["setup"] = setup
    return metrics


def evaluate(config: TrainConfig, out_dir: Path, progress: bool = True) -> dict:
    """Validate annotations, cross-validate, write ``eval.md`` and ``eval.json``; returns the metrics.

    Raises :class:`training.train.AnnotationError` when the annotations have problems.
    Each fold trains with the same recipe as ``make train`` (epochs, learning rate), so the
    report measures what training ships; it costs about N-1 times one training run.
    """
    started, cpu_started = time.monotonic(), time.process_time()
    schema = Schema.load(config.schema)
    paths = resolve_paths([Path(p) for p in config.annotations] or None)
    documents = load_documents(paths, schema)
    metrics = cross_validate(documents, schema, config, progress=progress)
    metrics["setup"] |= {
        "seed": config.seed, "batch_size": config.batch_size,
        "annotations": [str(p) for p in paths], "documents": len(documents),
        "spans": sum(len(d["spans"]) for d in documents),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),  # wall time depends on the machine's load
        "config": asdict(config),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "eval.md").write_text(report_markdown(metrics), encoding="utf-8")
    return metrics


def report_markdown(metrics: dict) -> str:
    """The eval report: setup, the per-layer/per-label table, and micro F1 per held-out document."""
    setup = metrics["setup"]
    base = setup["base"]
    fallback = " — fell back, see below" if base.get("fallback_reason") else ""
    minutes, seconds = divmod(int(setup["wall_seconds"]), 60)
    layers = list(metrics["layers"])
    lines = [
        "# rasd evaluation", "",
        f"{metrics['split']}: each document is tagged by a model trained on all the others.", "",
        "| setting | value |", "|---|---|",
        f"| base encoder | `{base['used']}` (requested `{base['requested']}`){fallback} |",
        f"| documents / spans | {setup['documents']} / {setup['spans']} |",
        f"| epochs / learning rate | {setup['epochs']} / {setup['learning_rate']} |",
        f"| max length / batch size / seed | {setup['max_length']} / {setup['batch_size']} / {setup['seed']} |",
        f"| date | {setup['date']} |",
        f"| wall time (CPU time) | {minutes} min {seconds} s ({setup['cpu_seconds'] / 60:.1f} CPU min) |", "",
        *([f"> {base['fallback_reason']}", ""] if base.get("fallback_reason") else []),
        markdown_table(metrics), "",
        "## Micro F1 per held-out document", "",
        "| document | " + " | ".join(layers) + " |", "|---|" + "---:|" * len(layers),
    ]
    for fold in metrics["folds"]:
        lines.append(f"| {fold['id']} | " + " | ".join(f"{fold['micro_f1'][layer]:.3f}" for layer in layers) + " |")
    return "\n".join(lines) + "\n"


def print_summary(metrics: dict) -> None:
    print(markdown_table(metrics))
    micro = ", ".join(f"{layer} {body['micro']['f1']:.3f}" for layer, body in metrics["layers"].items())
    print(f"\nmicro F1 (strict IOB2): {micro}; wall time {metrics['setup']['wall_seconds']:.0f} s", file=sys.stderr)
