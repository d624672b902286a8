"""Held-out evaluation behind ``make eval``, with classical baselines trained on the same folds.

Two modes, each scoring every layer (spans: seqeval strict IOB2; claims: (sentence, type)
pairs) for the network and, in the same run on the same training documents, the
classical baselines, without the lexicon (:class:`model.crf.CrfTagger` for the span layers,
:class:`model.tfidf_claims.TfidfClaims` for claims):

* cross-validation (default): each *real* annotated article (``meta.origin`` is not
  ``written``) is tagged by models trained on every other document, the team's written
  training articles included; written articles are never held out — they are not news;
* ``test``: train on all the annotations, tag the documents of a test file (e.g. the
  unseen dev set), optionally with a learning curve (F1 against the number of training
  documents) drawn as a PNG.

Each network fit uses :func:`training.train.fit` (the recipe ``make train`` ships). Writes
``eval.md``, ``eval.json`` (and ``learning_curve.png``) into the output dir; never touches
``models/current``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from tqdm.auto import tqdm

from model.crf import CrfTagger
from model.schema import Schema
from model.tfidf_claims import TfidfClaims
from training.config import COMPACT, TrainConfig
from training.metrics import all_metrics, sentence_metrics, span_metrics
from training.train import fit, load_documents
from training.validate import resolve_paths

WRITTEN = "written"
SYSTEMS = ("rasd", "baseline")


def is_written(document: dict) -> bool:
    return (document.get("meta") or {}).get("origin") == WRITTEN


def _train_and_predict(training: list[dict], tests: list[dict], schema: Schema, config: TrainConfig
                       ) -> tuple[dict, dict, TrainConfig]:
    """Fit the network and the baselines on ``training``; predictions of each for ``tests``.

    Returns ({"rasd": documents, "baseline": (crf documents, tfidf sentences)}, setup, config
    with the base pinned to compact when the fallback already happened once)."""
    texts = [document["text"] for document in tests]
    fitted = fit(training, schema, config, progress=False)
    if fitted.base.is_compact and config.base_model != COMPACT:
        config = replace(config, base_model=COMPACT)  # the fallback was explained once
    predicted = fitted.predictor(schema, {"name": "held-out"}).predict(texts)
    crf = CrfTagger.fit(training, schema).predict(texts)
    tfidf = TfidfClaims.fit(training, schema).predict(texts)
    setup = {"base": fitted.base.describe(), **{k: v for k, v in fitted.chosen.items() if k != "windows"}}
    return {"rasd": predicted, "baseline": (crf, tfidf)}, setup, config


def _score(gold: list[dict], predictions: dict, schema: Schema) -> dict:
    """{"rasd": metrics, "baseline": metrics} on the same gold documents."""
    crf, tfidf = predictions["baseline"]
    baseline = span_metrics(gold, crf, schema)
    sentence_layers = [layer for layer in schema.layer_names if schema.unit(layer) == "sentence"]
    for layer in sentence_layers:
        baseline["layers"][layer] = sentence_metrics(gold, tfidf, schema, layer)
    return {"rasd": all_metrics(gold, predictions["rasd"], schema), "baseline": baseline}


def cross_validate(documents: list[dict], schema: Schema, config: TrainConfig, progress: bool = True) -> dict:
    """Hold out each real article in turn (see the module docstring); score all held-out
    predictions together. Needs at least one real article and one other document."""
    held_out = [index for index, document in enumerate(documents) if not is_written(document)]
    if not held_out or len(documents) < 2:
        raise ValueError("cross-validation needs at least two documents, one of them a real article")
    gold, rasd, crf, tfidf, folds, setup = [], [], [], [], [], {}
    bar = tqdm(held_out, desc="cross-validation", unit="fold", disable=not progress)
    for index in bar:
        document = documents[index]
        bar.set_postfix_str(f"held out: {document.get('id', index)}")
        predictions, setup, config = _train_and_predict(documents[:index] + documents[index + 1:], [document],
                                                        schema, config)
        gold.append(document)
        rasd += predictions["rasd"]
        crf += predictions["baseline"][0]
        tfidf += predictions["baseline"][1]
        fold = all_metrics([document], predictions["rasd"], schema)
        folds.append({"id": document.get("id", str(index)),
                      "micro_f1": {layer: body["micro"]["f1"] for layer, body in fold["layers"].items()}})
    result = _score(gold, {"rasd": rasd, "baseline": (crf, tfidf)}, schema)
    written = len(documents) - len(held_out)
    result["split"] = (f"leave-one-article-out over the {len(held_out)} real articles (each fold also trains on "
                       f"{written} written articles)" if written else
                       f"leave-one-document-out cross-validation ({len(held_out)} folds)")
    result["folds"], result["setup"] = folds, setup
    return result


def test_on(documents: list[dict], tests: list[dict], schema: Schema, config: TrainConfig,
            curve: list[int] | None = None, progress: bool = True) -> dict:
    """Train on ``documents``, score on ``tests``; with ``curve``, also on random subsets of
    those sizes (real articles first, so the smallest point is the seeds alone)."""
    predictions, setup, config = _train_and_predict(documents, tests, schema, config)
    result = _score(tests, predictions, schema)
    result["split"] = f"trained on {len(documents)} annotated documents, tested on {len(tests)} unseen documents"
    result["setup"] = setup
    if curve:
        order = [d for d in documents if not is_written(d)]
        rest = [d for d in documents if is_written(d)]
        random.Random(config.seed).shuffle(rest)
        order += rest
        points = []
        for size in tqdm(sorted({min(size, len(order)) for size in curve}), desc="learning curve",
                         disable=not progress):
            subset_predictions, _, config = _train_and_predict(order[:size], tests, schema, config)
            scores = _score(tests, subset_predictions, schema)
            points.append({"documents": size, **{system: {layer: body["micro"]["f1"]
                                                          for layer, body in scores[system]["layers"].items()}
                                                 for system in SYSTEMS}})
        result["learning_curve"] = points
    return result


def evaluate(config: TrainConfig, out_dir: Path, test: Path | None = None, curve: list[int] | None = None,
             progress: bool = True) -> dict:
    """Validate annotations, run cross-validation (or the ``test`` file), write the reports.

    Raises :class:`training.train.AnnotationError` when the annotations (or the test file)
    have problems. Each fit costs one ``make train`` of its training documents.
    """
    started = time.monotonic()
    schema = Schema.load(config.schema)
    paths = resolve_paths([Path(p) for p in config.annotations] or None)
    documents = load_documents(paths, schema)
    if test is not None:
        tests = load_documents([Path(test)], schema)
        metrics = test_on(documents, tests, schema, config, curve, progress)
    else:
        metrics = cross_validate(documents, schema, config, progress=progress)
    metrics["setup"] |= {
        "seed": config.seed, "batch_size": config.batch_size,
        "annotations": [str(p) for p in paths], "documents": len(documents),
        "written_documents": sum(map(is_written, documents)), "test": str(test) if test else None,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.monotonic() - started, 1),
        "config": asdict(config),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    if metrics.get("learning_curve"):
        from training.card import plot_learning_curve

        plot_learning_curve(metrics["learning_curve"], out_dir / "learning_curve.png")
    (out_dir / "eval.md").write_text(report_markdown(metrics), encoding="utf-8")
    return metrics


def comparison_table(metrics: dict) -> str:
    """Per layer and label: rasd P/R/F1 beside the baseline's F1, micro and macro rows."""
    lines = ["| layer | label | precision | recall | F1 | baseline F1 | support |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for layer, body in metrics["rasd"]["layers"].items():
        baseline = metrics["baseline"]["layers"].get(layer, {})
        rows = [(label, values) for label, values in body["labels"].items()]
        rows += [(f"**{name}**", body[name]) for name in ("micro", "macro")]
        for label, values in rows:
            key = label.strip("*")
            other = baseline.get(key) if key in ("micro", "macro") else baseline.get("labels", {}).get(key)
            strong = "**" if label.startswith("**") else ""
            lines.append(f"| {layer} | {label} | {values['precision']:.3f} | {values['recall']:.3f} | "
                         f"{strong}{values['f1']:.3f}{strong} | {other['f1'] if other else 0:.3f} | "
                         f"{values['support']} |")
    return "\n".join(lines)


def report_markdown(metrics: dict) -> str:
    """The eval report: setup, rasd beside the baselines, per-fold scores, the learning curve."""
    setup = metrics["setup"]
    base = setup["base"]
    fallback = " — fell back, see below" if base.get("fallback_reason") else ""
    minutes, seconds = divmod(int(setup["wall_seconds"]), 60)
    lines = [
        "# rasd evaluation", "", f"{metrics['split']}.", "",
        ("Baselines, trained on the same documents in the same run: a CRF (sklearn-crfsuite: word, "
         "affixes, clitic-stripped stem, shape, ±2 context; no lexicon) for span layers, TF-IDF "
         "character 2–5-grams + one-vs-rest logistic regression for claims. Span layers: seqeval "
         "strict IOB2 (exact span and label). Claims: (sentence, type) pairs."), "",
        "| setting | value |", "|---|---|",
        f"| base encoder | `{base['used']}` (requested `{base['requested']}`){fallback} |",
        f"| training documents (of them written) | {setup['documents']} ({setup['written_documents']}) |",
        f"| test file | {setup['test'] or '—'} |",
        (f"| epochs / steps / learning rates | {setup['epochs']} / {setup.get('steps')} / "
         f"{setup['learning_rate']} encoder, {setup.get('head_learning_rate')} heads |"),
        f"| date | {setup['date']} |",
        f"| wall time | {minutes} min {seconds} s |", "",
        *([f"> {base['fallback_reason']}", ""] if base.get("fallback_reason") else []),
        comparison_table(metrics), "",
    ]
    if metrics.get("folds"):
        layers = list(metrics["folds"][0]["micro_f1"])
        lines += ["## Micro F1 per held-out article", "", "| document | " + " | ".join(layers) + " |",
                  "|---|" + "---:|" * len(layers)]
        lines += [f"| {fold['id']} | " + " | ".join(f"{fold['micro_f1'][layer]:.3f}" for layer in layers) + " |"
                  for fold in metrics["folds"]]
    if metrics.get("learning_curve"):
        layers = list(metrics["learning_curve"][0]["rasd"])
        lines += ["", "## Learning curve", "", "![learning curve](learning_curve.png)", "",
                  "| training documents | " + " | ".join(f"{layer} rasd / baseline" for layer in layers) + " |",
                  "|---:|" + "---:|" * len(layers)]
        lines += [f"| {point['documents']} | " + " | ".join(
            f"{point['rasd'][layer]:.3f} / {point['baseline'][layer]:.3f}" for layer in layers) + " |"
            for point in metrics["learning_curve"]]
    return "\n".join(lines) + "\n"


def print_summary(metrics: dict) -> None:
    print(comparison_table(metrics))
    micro = ", ".join(f"{layer} {body['micro']['f1']:.3f} (baseline {metrics['baseline']['layers'][layer]['micro']['f1']:.3f})"
                      for layer, body in metrics["rasd"]["layers"].items())
    print(f"\nmicro F1: {micro}; wall time {metrics['setup']['wall_seconds']:.0f} s", file=sys.stderr)
