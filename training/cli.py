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

