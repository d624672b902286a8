"""The model card (README.md) and plots (loss curve, per-label F1) written into a model dir."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt

from training.metrics import markdown_table


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


def model_card(info: dict, config: dict, metrics: dict, data_summary: str) -> str:
    base = info["base"]
    fallback = f"\n\n> {base['fallback_reason']}" if base.get("fallback_reason") else ""
    return f"""# rasd model `{info['name']}`

Created {info['created']} by `make train`.

## Base encoder

- requested: `{base['requested']}`
- used: `{base['used']}` ({base['kind']}){fallback}

## Data

{data_summary}

## Training

| setting | value |
|---|---|
""" + "\n".join(f"| {key} | `{value}` |" for key, value in config.items()) + f"""

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
