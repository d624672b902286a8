"""The serving command line: one typer command per job; each delegates to its package.

Defaults are declared once, where they belong: ``api`` options are generated from the fields
of :class:`serve.api.settings.Settings` (each also reads ``RASD_<NAME>``), ``score`` options
take their defaults from :class:`serve.batch.engines.ScoreOptions`, ``bench`` options from
:mod:`serve.bench`. Importing this module loads neither torch nor the app.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Literal, get_origin

import typer

from serve.api.settings import Settings
from serve.batch.engines import ScoreOptions
from serve.bench import BATCH_ENGINES, DEFAULT_CLIENTS, DEFAULT_MODELS

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: serve, score and benchmark models.")

# Settings that stay off the command line: a secret would show in `ps`, a list reads better
# from the environment (RASD_API_KEY, RASD_CORS_ORIGINS).
ENVIRONMENT_ONLY = ("api_key", "cors_origins")


@app.callback()
def _group() -> None:
    """rasd: serve, score and benchmark models."""


def settings_options() -> list[inspect.Parameter]:
    """One keyword parameter per Settings field (but ENVIRONMENT_ONLY), defaulting to None: an
    option given overrides ``RASD_<NAME>``, which overrides the field's default."""
    parameters = []
    for name, spec in Settings.model_fields.items():
        if name in ENVIRONMENT_ONLY:
            continue
        flag = "--" + name.replace("_", "-")
        kind = str if get_origin(spec.annotation) is Literal else spec.annotation
        declarations = (f"{flag}/--no-{flag[2:]}",) if kind is bool else (flag,)
        default = "on" if spec.default is True else "off" if spec.default is False else spec.default
        help_text = f"{spec.description or name} (env RASD_{name.upper()}, default {default})"
        option = typer.Option(None, *declarations, help=help_text, show_default=False)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                            annotation=kind | None))
    return parameters


def api_command(log_level: str = typer.Option("info", help="uvicorn log level"), **overrides) -> None:
    """Serve the model over HTTP (FastAPI): /predict, /model, /health, /ready, /metrics, /reload, demo at /."""
    import pydantic
    import uvicorn

    from serve.api.app import create_app
    from serve.api.inference import StartupError, check_startup

    try:
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
        check_startup(settings.model_dir, settings.device, settings.quantize)
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        typer.echo(f"rasd api: invalid settings: {problems}", err=True)
        raise typer.Exit(2)
    except StartupError as error:
        typer.echo(f"rasd api: cannot start: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(f"rasd api: serving {settings.model_dir} on http://{settings.host}:{settings.port} "
               f"(device {settings.device}; demo page at /, API docs at /docs, Label Studio ML backend at "
               "/labelstudio)", err=True)
    uvicorn.run(create_app(settings, studio=studio_hooks()), host=settings.host, port=settings.port,
                log_level=log_level)


def studio_hooks():
    """The Label Studio backend's training-side functions (converter, importer, retrain).

    The composition root of the server: the one import of ``training`` by ``serve``, declared
    in pyproject.toml's import contracts; ``serve.api`` itself only sees the hooks.
    """
    from serve.api.studio import StudioHooks
    from training import studio

    return StudioHooks(predict=studio.predict, import_task=studio.import_task, retrain=studio.retrain,
                       labeling_config=studio.labeling_config)


api_command.__signature__ = inspect.Signature(
    [inspect.signature(api_command).parameters["log_level"], *settings_options()])
app.command("api")(api_command)


def _listed(values) -> str:
    return ",".join(map(str, values))


@app.command("bench")
def bench_command(
    models: str = typer.Option(_listed(DEFAULT_MODELS), help="comma-separated: 'bert-base' (CAMeLBERT's shape, "
                                                             "random weights) and/or model dirs"),
    quick: bool = typer.Option(False, "--quick", help="a small text set and short API levels (for tests)"),
    engines: str = typer.Option(_listed(BATCH_ENGINES),
                                help="batch engines; onnx-int8 is skipped without onnxruntime"),
    clients: str = typer.Option(_listed(DEFAULT_CLIENTS), help="concurrent API clients per level; empty to skip the API"),
    out_md: str = typer.Option("BENCHMARKS.md", "--out-md", help="markdown report (its generated section)"),
    chart: str = typer.Option("docs/benchmarks.png", help="PNG chart of tokens/s per engine"),
    json_out: str = typer.Option(None, "--json", help="also write the full report as JSON"),
) -> None:
    """Benchmark rasd (fp32, int8, the API) against the transformers pipeline -> BENCHMARKS.md + chart."""
    import json

    from serve.bench.report import plot_chart, print_summary, render_markdown, write_markdown
    from serve.bench.run import run_bench

    report = run_bench([m.strip() for m in models.split(",") if m.strip()], quick=quick,
                       engines=[e.strip() for e in engines.split(",") if e.strip()],
                       clients=[int(c) for c in clients.split(",") if c.strip()],
                       log=lambda line: typer.echo(line, err=True))
    print_summary(report, typer.echo)
    write_markdown(Path(out_md), render_markdown(report))
    plot_chart(report, Path(chart))
    if json_out:
        Path(json_out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    typer.echo(f"wrote {out_md} and {chart}", err=True)


SCORE = ScoreOptions()  # the defaults of every score option


@app.command("score")
def score_command(
    inputs: str = typer.Argument(..., metavar="IN", help="folder of .txt, or a .jsonl/.csv file (.gz ok)"),
    out: str = typer.Argument(..., metavar="OUT", help="results JSONL; problems go to OUT.errors.jsonl"),
    model: Path = typer.Option(SCORE.model_dir, help="model dir written by training"),
    device: str = typer.Option(SCORE.device, help="auto, cpu or cuda"),
    quantize: str = typer.Option(SCORE.quantize, help="none or int8 (CPU only)"),
    threads: int = typer.Option(SCORE.threads, help="torch threads (per Ray actor); 0: physical cores, "
                                                       "1 per actor on Ray"),
    clean: bool = typer.Option(SCORE.clean, "--clean/--no-clean", help="blank page chrome before tagging"),
    chunk_size: int = typer.Option(SCORE.chunk_size, help="documents per Predictor call"),
    id_field: str = typer.Option(SCORE.fields.id, help="JSONL/CSV field holding the id"),
    text_field: str = typer.Option(SCORE.fields.text, help="JSONL/CSV field holding the body"),
    title_field: str = typer.Option(SCORE.fields.title, help="JSONL/CSV field holding a title to join before the body"),
    input_format: str = typer.Option(SCORE.fmt, "--format", help="auto, txt, jsonl or csv"),
    engine: str = typer.Option(SCORE.engine, help="local, or ray (Ray Data actor pool; pip install 'rasd\\[ray]')"),
    concurrency: int = typer.Option(SCORE.concurrency, help="Ray actors; 0: cluster CPUs / threads (GPUs with cuda)"),
    progress: bool = typer.Option(SCORE.progress, "--progress/--no-progress", help="show the progress bar"),
    events: Path = typer.Option(SCORE.events, help="also write an events CSV (one row per claim sentence and "
                                                   "type, ACLED-style columns) built from OUT at the end"),
) -> None:
    """Batch-score IN into OUT (JSONL), resumable: rerun with the same OUT to finish a killed run.

    A JSONL/CSV record's ``date`` or ``published`` field (ISO date) resolves relative dates."""
    from model.inputs import Fields
    from serve.batch.run import score

    options = ScoreOptions(
        model_dir=model, device=device, quantize=quantize, threads=threads, clean=clean, chunk_size=chunk_size,
        fields=Fields(id_field, text_field, title_field), fmt=input_format, engine=engine,
        concurrency=concurrency, progress=progress, events=events,
    )
    try:
        summary = score(Path(inputs), Path(out), options)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        typer.echo(f"score: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary)
