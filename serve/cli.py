"""The serving command line: one typer command per entry point; each delegates to its module."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: serve, score and benchmark models.")


@app.callback()
def _group() -> None:
    """rasd: serve, score and benchmark models."""


@app.command("api")
def api_command(
    model_dir: str = typer.Option(None, help="model dir to serve (env RASD_MODEL_DIR, default models/current)"),
    host: str = typer.Option(None, help="address to bind (env RASD_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="port (env RASD_PORT, default 8000)"),
    device: str = typer.Option(None, help="auto, cpu or cuda (half precision) (env RASD_DEVICE, default auto)"),
    quantize: str = typer.Option(None, help="none or int8 (CPU only) (env RASD_QUANTIZE, default none)"),
    micro_batching: bool = typer.Option(None, "--micro-batching/--no-micro-batching",
                                        help="join concurrent requests into one model call (env RASD_MICRO_BATCHING, "
                                             "default on)"),
    max_batch_tokens: int = typer.Option(None, help="estimated tokens (characters / 4) per joined call "
                                                    "(env RASD_MAX_BATCH_TOKENS, default 8192)"),
    max_wait_ms: float = typer.Option(None, help="longest a request waits for others to join it "
                                                 "(env RASD_MAX_WAIT_MS, default 5)"),
    max_queue: int = typer.Option(None, help="requests waiting for the model before /predict answers 503 "
                                             "(env RASD_MAX_QUEUE, default 256)"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Serve the model over HTTP (FastAPI): /predict, /model, /health, /ready, /metrics, /reload, demo at /."""
    import pydantic
    import uvicorn

    from serve.app import create_app
    from serve.inference import StartupError, check_startup
    from serve.settings import Settings

    overrides = {"model_dir": model_dir, "host": host, "port": port, "device": device, "quantize": quantize,
                 "micro_batching": micro_batching, "max_batch_tokens": max_batch_tokens,
                 "max_wait_ms": max_wait_ms, "max_queue": max_queue}
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
               f"(device {settings.device}; demo page at /, API docs at /docs)", err=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level)


@app.command("bench")
def bench_command(
    models: str = typer.Option("bert-base,models/current",
                               help="comma-separated: 'bert-base' (CAMeLBERT's shape, random weights) and/or model dirs"),
    quick: bool = typer.Option(False, "--quick", help="a small text set and short API levels (for tests)"),
    engines: str = typer.Option("pipeline,fp32,int8,onnx-int8",
                                help="batch engines: pipeline, fp32, int8, onnx-int8 (skipped without onnxruntime)"),
    clients: str = typer.Option("1,8,32", help="concurrent API clients per level; empty to skip the API"),
    out_md: str = typer.Option("BENCHMARKS.md", "--out-md", help="markdown report (its generated section)"),
    chart: str = typer.Option("docs/benchmarks.png", help="PNG chart of tokens/s per engine"),
    json_out: str = typer.Option(None, "--json", help="also write the full report as JSON"),
) -> None:
    """Benchmark rasd (fp32, int8, the API) against the transformers pipeline -> BENCHMARKS.md + chart."""
    import json
    from pathlib import Path

    from serve.bench import plot_chart, print_summary, render_markdown, run_bench, write_markdown

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


@app.command()
def score(
    inputs: str = typer.Argument(..., metavar="IN", help="folder of .txt, or a .jsonl/.csv file (.gz ok)"),
    out: str = typer.Argument(..., metavar="OUT", help="results JSONL; problems go to OUT.errors.jsonl"),
    model: str = typer.Option("models/current", help="model dir written by training"),
    device: str = typer.Option("auto", help="auto, cpu or cuda"),
    quantize: str = typer.Option("none", help="none or int8 (CPU only)"),
    threads: int = typer.Option(0, help="torch threads (per Ray actor); 0: physical cores, 1 per actor on Ray"),
    clean: bool = typer.Option(True, "--clean/--no-clean", help="blank page chrome before tagging"),
    chunk_size: int = typer.Option(64, help="documents per Predictor call"),
    id_field: str = typer.Option("id", help="JSONL/CSV field holding the id"),
    text_field: str = typer.Option("text", help="JSONL/CSV field holding the body"),
    title_field: str = typer.Option(None, help="JSONL/CSV field holding a title to join before the body"),
    input_format: str = typer.Option("auto", "--format", help="auto, txt, jsonl or csv"),
    engine: str = typer.Option("local", help="local, or ray (Ray Data actor pool; pip install 'rasd\\[ray]')"),
    concurrency: int = typer.Option(0, help="Ray actors; 0: cluster CPUs / threads (GPUs with cuda)"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show the progress bar"),
) -> None:
    """Batch-score IN into OUT (JSONL), resumable: rerun with the same OUT to finish a killed run."""
    from pathlib import Path

    from serve.score import ScoreOptions
    from serve.score import score as run_score
    from serve.sources import Fields

    options = ScoreOptions(
        model_dir=Path(model), device=device, quantize=None if quantize == "none" else quantize,
        threads=threads or None, clean=clean, chunk_size=chunk_size,
        fields=Fields(id_field, text_field, title_field), fmt=input_format, engine=engine,
        concurrency=concurrency or None, progress=progress,
    )
    try:
        summary = run_score(Path(inputs), Path(out), options)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        typer.echo(f"score: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary)
