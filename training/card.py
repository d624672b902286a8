"""The model card (README.md) and plots (loss curve, per-label F1) written into a model dir.

The card opens with Hugging Face model-card metadata (YAML between ``---`` lines: language,
license, library, pipeline tag, tags, base model and, when ``make eval`` has written
``reports/eval.json`` for the same base encoder, a ``model-index`` with those held-out
scores), so a model dir can be pushed to a model hub as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt

from model.paths import REPORTS_DIR
from model.schema import Schema
from training.metrics import markdown_table

EVAL_REPORT = REPORTS_DIR / "eval.json"  # what `make eval` writes
LICENSE = "mit"  # the project's licence (pyproject.toml)
TAGS = ["arabic", "token-classification", "named-entity-recognition", "ner", "claim-detection",
        "source-attribution", "news", "conflict", "syria", "rasd"]
LAYER_TASKS = {"span": ("token-classification", "Token classification"),
               "sentence": ("text-classification", "Sentence classification")}


def held_out_report(source: Path | dict | None = EVAL_REPORT) -> dict | None:
    """The evaluation report (``reports/eval.json`` by default), or None when there is none."""
    if isinstance(source, dict) or source is None:
        return source
    try:
        return json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _hub_id(name: str | None) -> str | None:
    """``name`` when it reads as a Hugging Face hub id (owner/model), not a local dir or 'compact'."""
    if not name or name == "compact" or Path(name).exists() or name.startswith((".", "/", "~")):
        return None
    return name if name.count("/") == 1 else None


def model_index(info: dict, report: dict | None, units: dict[str, str]) -> list[dict] | None:
    """``model-index`` from the held-out report: per layer, micro precision, recall and F1.

    Reads ``report["rasd"]["layers"]`` (or ``report["layers"]`` in reports written before the
    baselines were added) and ``report["split"]``. None when there is no report, or when it was
    measured with another base encoder than this model's (its scores would not be this model's).
    """
    if not report:
        return None
    layers = (report.get("rasd") or report).get("layers") or {}
    evaluated_base = ((report.get("setup") or {}).get("base") or {}).get("used")
    if not layers or (evaluated_base and evaluated_base != info["base"]["used"]):
        return None
    split = str(report.get("split") or "held out")
    results = []
    for layer, body in layers.items():
        micro = body.get("micro") or {}
        task_type, task_name = LAYER_TASKS["sentence" if units.get(layer) == "sentence" else "span"]
        results.append({
            "task": {"type": task_type, "name": f"{task_name}: {layer}"},
            "dataset": {"type": "rasd-annotations", "name": "rasd hand-annotated Arabic conflict news",
                        "split": split},
            "metrics": [{"type": name, "value": round(float(micro[name]), 4), "name": f"{layer} micro {name}"}
                        for name in ("f1", "precision", "recall") if name in micro],
        })
    return [{"name": f"rasd-{info['name']}", "results": results}]


def front_matter(info: dict, report: dict | None = None, units: dict[str, str] | None = None) -> str:
    """The Hugging Face model-card metadata block (``---`` YAML ``---``) that opens README.md."""
    meta = {"language": ["ar"], "license": LICENSE, "library_name": "rasd",
            "pipeline_tag": "token-classification",
            "tags": TAGS + (["compact-encoder"] if info["base"]["used"] == "compact" else []),
            "metrics": ["f1", "precision", "recall"]}
    base = _hub_id(info["base"]["used"])
    if base:
        meta["base_model"] = base
    index = model_index(info, report, units or {})
    if index:
        meta["model-index"] = index
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---\n\n"


def plot_loss(log_history: list[dict], path: Path) -> None:
    points = [(entry["step"], entry["loss"]) for entry in log_history if "loss" in entry and "step" in entry]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    if points:
        steps, losses = zip(*points)
        axis.plot(steps, losses, marker=".", linewidth=1)
    axis.set_xlabel("optimizer step")
    axis.set_ylabel("training loss (sum over layers)")
    axis.set_title("Training loss")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_f1(metrics: dict, colours: dict[str, str], path: Path, title: str) -> None:
    names, values, bar_colours = [], [], []
    for body in metrics["layers"].values():
        for label, scores in body["labels"].items():
            names.append(label)
            values.append(scores["f1"])
            bar_colours.append(colours.get(label, "#888888"))
    figure, axis = plt.subplots(figsize=(8, 3.8))
    axis.bar(range(len(names)), values, color=bar_colours)
    axis.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    axis.set_ylim(0, 1)
    axis.set_ylabel("F1 (strict IOB2)")
    axis.set_title(title)
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def model_card(info: dict, config: dict, metrics: dict, data_summary: str,
               held_out: Path | dict | None = EVAL_REPORT, units: dict[str, str] | None = None) -> str:
    """README.md of a model dir: metadata (:func:`front_matter`, with the held-out scores of
    ``held_out``), then the base encoder, data, settings, training-set scores and limits.
    ``units``: layer -> "span" or "sentence" (default: as in the repository's schema)."""
    base = info["base"]
    fallback = f"\n\n> {base['fallback_reason']}" if base.get("fallback_reason") else ""
    if units is None:
        default = Schema.load()
        units = {layer: default.unit(layer) for layer in default.layer_names}
    settings = {key: value for key, value in config.items() if key != "calibration"}
    return front_matter(info, held_out_report(held_out), units) + f"""# rasd model `{info['name']}`

Created {info['created']} by `make train`.

## Base encoder

- requested: `{base['requested']}`
- used: `{base['used']}` ({base['kind']}){fallback}

## Data

{data_summary}

## Training

| setting | value |
|---|---|
""" + "\n".join(f"| {key} | `{value}` |" for key, value in settings.items()) + f"""
{_calibration_section(config.get("calibration"))}
## Evaluation

{metrics.get('note', '')}

{markdown_table(metrics)}

![training loss](plots/loss.png)
![per-label F1](plots/f1.png)

## Limits

Trained on a handful of hand-annotated articles about the war in Syria; expect misses on
other topics, dialects and outlets. Offsets index the exact text sent; scores are the mean
per-word probability of the predicted tag, not calibrated probabilities.
"""


def _calibration_section(calibration: dict | None) -> str:
    """Markdown for what :mod:`training.calibrate` chose (empty when it did not run)."""
    if not calibration:
        return ""
    scores = calibration.get("held_out_scores") or {}
    held_out = f" on {scores['documents']} held-out training documents" if "documents" in scores else ""
    rows = "\n".join(f"| {layer} | {weight:g} |" for layer, weight in calibration["blend"].items())
    chosen = calibration.get("thresholds", {})
    if len(set(chosen.values())) == 1:
        thresholds = f"{next(iter(chosen.values())):g} for every type"
    else:
        thresholds = ", ".join(f"{label} {value:g}" for label, value in chosen.items())
    return f"""
### Blend and calibration

Weight of the classical model (CRF / TF-IDF) in each layer's blend, chosen{held_out}:

| layer | classical weight |
|---|---:|
{rows}

Claim thresholds: {thresholds or "0.5 for every type"}.
"""


def plot_learning_curve(points: list[dict], path: Path) -> None:
    """Micro F1 of rasd (solid) and the baseline (dashed) per layer against training documents."""
    figure, axis = plt.subplots(figsize=(6.5, 4))
    sizes = [point["documents"] for point in points]
    for index, layer in enumerate(points[0]["rasd"]):
        colour = f"C{index}"
        axis.plot(sizes, [point["rasd"][layer] for point in points], marker="o", color=colour, label=f"{layer} rasd")
        axis.plot(sizes, [point["baseline"][layer] for point in points], marker=".", linestyle="--", color=colour,
                  label=f"{layer} baseline")
    axis.set_xlabel("training documents")
    axis.set_ylabel("micro F1 on the test file")
    axis.set_ylim(0, 1)
    axis.set_title("Learning curve")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
