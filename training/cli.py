"""The training command line: one typer command per stage; each delegates to its module."""

from __future__ import annotations

from pathlib import Path

import typer

from model.schema import DEFAULT_SCHEMA_PATH, Schema

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: annotations, training, evaluation.")


@app.callback()
def _group() -> None:
    """rasd: annotations, training, evaluation."""


@app.command("validate")
def validate_command(
    paths: list[Path] = typer.Argument(None, help="JSONL files (default: annotations/*.jsonl)"),
    schema: Path = typer.Option(DEFAULT_SCHEMA_PATH, help="schema.yaml the labels must come from"),
) -> None:
    """Check annotation files; print every problem (file:line, span, text, reason), exit 1 on any."""
    from training.validate import count_table, resolve_paths, validate

    files = resolve_paths(paths)
    if not files:
        typer.echo("no annotation files found (expected annotations/*.jsonl)", err=True)
        raise typer.Exit(1)
    report = validate(files, Schema.load(schema))
    for problem in report.problems:
        typer.echo(str(problem), err=True)
    if not report.ok:
        typer.echo(f"\n{len(report.problems)} problem(s) in {len(files)} file(s).", err=True)
        raise typer.Exit(1)
    typer.echo(count_table(report.documents, Schema.load(schema)))
    typer.echo(f"{len(report.documents)} document(s) in {len(files)} file(s): all valid.")

@app.command("train")
def train_command(
    annotations: list[Path] = typer.Argument(None, help="annotation JSONL files (default: annotations/*.jsonl)"),
    base_model: str = typer.Option("CAMeL-Lab/bert-base-arabic-camelbert-msa", "--base-model", envvar="BASE_MODEL",
                                   help="hub id, local dir, or 'compact' for the offline encoder"),
    epochs: float = typer.Option(None, envvar="EPOCHS", help="default: 60 compact, 8 pretrained"),
    seed: int = typer.Option(13, envvar="SEED"),
    learning_rate: float = typer.Option(None, "--lr", help="default: 5e-4 compact, 5e-5 pretrained"),
    batch_size: int = typer.Option(8),
    max_length: int = typer.Option(256, help="window length in subword tokens during training"),
    device: str = typer.Option("auto", help="auto, cpu or cuda"),
    models_dir: Path = typer.Option(Path("models"), help="where model dirs and the `current` link live"),
    schema: Path = typer.Option(DEFAULT_SCHEMA_PATH),
) -> None:
    """Train on validated annotations; write models/<timestamp>/ atomically and repoint models/current."""
    from training.train import AnnotationError, TrainConfig, train

    config = TrainConfig(base_model=base_model, epochs=epochs, seed=seed, learning_rate=learning_rate,
                         batch_size=batch_size, max_length=max_length, device=device,
                         annotations=[str(p) for p in annotations or []], schema=str(schema),
                         models_dir=str(models_dir))
    try:
        train(config)
    except AnnotationError as error:
        typer.echo(f"training refused: {error}", err=True)
        raise typer.Exit(1)
