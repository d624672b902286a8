"""The serving command line: one typer command per entry point; each delegates to its module."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: serve, score and benchmark models.")


@app.callback()
def _group() -> None:
    """rasd: serve, score and benchmark models."""
