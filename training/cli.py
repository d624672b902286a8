"""The training command line: one typer command per stage; each delegates to its module."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import typer
from typer.models import ArgumentInfo

from model.modeldir import CURRENT
from model.paths import MODELS_DIR, REPORTS_DIR
from model.schema import DEFAULT_SCHEMA_PATH, Schema
from training.config import DEVICE_HELP, PretrainConfig, TrainConfig, default_of, help_of

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: annotations, training, evaluation.")


# Where a command-line option is not just the field's name: a short flag, an environment variable.
FLAGS = {"learning_rate": ("--lr",)}
ENVVARS = {"base_model": "BASE_MODEL", "epochs": "EPOCHS", "seed": "SEED"}


def config_parameters(config_class, help_suffixes: dict[str, str] | None = None,
                      exclude: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """One command-line parameter per field of ``config_class`` (but ``exclude``), with the field's
    default, type and help: a field without default is an argument, a list field an optional one."""
    hints = get_type_hints(config_class)
    parameters = []
    for spec in fields(config_class):
        if spec.name in exclude:
            continue
        name, default = spec.name, default_of(config_class, spec.name)
        help_text = help_of(config_class, name) + (help_suffixes or {}).get(name, "")
        if default is ...:
            declared = typer.Argument(..., help=help_text)
        elif isinstance(default, list):
            declared = typer.Argument(None, help=help_text)
        else:
            declared = typer.Option(default, *FLAGS.get(name, ()), envvar=ENVVARS.get(name), help=help_text)
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=declared,
                                            annotation=hints[name]))
    return parameters


def config_command(name: str, config_class, help_suffixes: dict[str, str] | None = None,
                   exclude: tuple[str, ...] = ()):
    """Register the decorated function as command ``name`` with its own parameters followed by
    one per field of ``config_class`` (it receives those as keyword arguments)."""
    def register(function):
        own = [parameter for parameter in inspect.signature(function).parameters.values()
               if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
        extra = config_parameters(config_class, help_suffixes, exclude)
        # Arguments first (in order), then every option.
        ordered = [p for p in extra if isinstance(p.default, ArgumentInfo)] + own + \
                  [p for p in extra if not isinstance(p.default, ArgumentInfo)]
        function.__signature__ = inspect.Signature(
            [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in ordered])
        return app.command(name)(function)

    return register


def config_from(config_class, arguments: dict):
    """A ``config_class`` from a command's arguments: every argument named like one of its fields."""
    values = {spec.name: arguments[spec.name] for spec in fields(config_class) if spec.name in arguments}
    if "annotations" in values:
        values["annotations"] = [str(path) for path in values["annotations"] or []]
    return config_class(**values)


@app.callback()
def _group() -> None:
    """rasd: annotations, training, evaluation."""


@app.command("validate")
def validate_command(
    paths: list[Path] = typer.Argument(None, help="JSONL files (default: annotations/*.jsonl)"),
    schema: Path = typer.Option(DEFAULT_SCHEMA_PATH, help="schema.yaml the labels must come from"),
    lexicon: str = typer.Option(default_of(TrainConfig, "lexicon"),
                                help="lexicon.yaml to check against the schema ('none': skip the check)"),
) -> None:
    """Check annotation files and the lexicon; print every problem (file:line, span, text,
    reason; lexicon entry), exit 1 on any."""
    from model.lexicon import check_lexicon
    from training.validate import count_table, resolve_paths, validate

    files = resolve_paths(paths)
    if not files:
        typer.echo("no annotation files found (expected annotations/*.jsonl)", err=True)
        raise typer.Exit(1)
    labels = Schema.load(schema)
    report = validate(files, labels)
    lexicon_problems = [] if lexicon in ("", "none") else check_lexicon(lexicon, labels)
    for problem in [*map(str, report.problems), *lexicon_problems]:
        typer.echo(problem, err=True)
    if not report.ok or lexicon_problems:
        typer.echo(f"\n{len(report.problems)} problem(s) in {len(files)} file(s)"
                   + (f", {len(lexicon_problems)} in the lexicon {lexicon}" if lexicon_problems else "") + ".", err=True)
        raise typer.Exit(1)
    typer.echo(count_table(report.documents, labels))
    typer.echo(f"{len(report.documents)} document(s) in {len(files)} file(s): all valid"
               + (f"; lexicon {lexicon}: valid." if lexicon not in ("", "none") else "."))


@config_command("train", TrainConfig)
def train_command(**settings) -> None:
    """Train on validated annotations; write models/<timestamp>/ atomically and repoint models/current."""
    from training.train import AnnotationError, train

    try:
        train(config_from(TrainConfig, settings))
    except AnnotationError as error:
        typer.echo(f"training refused: {error}", err=True)
        raise typer.Exit(1)


@app.command("import")
def import_command(
    path: Path = typer.Argument(..., help="the export: a file, or a folder for brat"),
    source_format: str = typer.Option(..., "--from", help="labelstudio, doccano, brat or conll"),
    out: Path = typer.Option(..., "--out", help="annotation JSONL to write, e.g. annotations/NAME.jsonl"),
    label_map: Path = typer.Option(None, "--label-map", help="YAML: tool label -> schema label (null drops it)"),
    text_field: str = typer.Option("text", help="Label Studio data field / doccano key holding the text"),
    layer: str = typer.Option(None, help="generate a schema with every label found in this layer"),
    schema_out: Path = typer.Option(None, "--schema-out", help="write the schema the records were checked with"),
    scheme: str = typer.Option("auto", help="CoNLL tagging scheme: auto, iob1 or iob2"),
    sentences_per_doc: int = typer.Option(None, help="CoNLL: cut a document every N sentences (default: at "
                                                       "-DOCSTART-, or every 20 in a file without any; 0: "
                                                       "-DOCSTART- only)"),
    snap: bool = typer.Option(False, "--snap", help="move span edges that cut words to whole words (noted)"),
    schema: Path = typer.Option(DEFAULT_SCHEMA_PATH, help="schema the labels must come from (without --layer)"),
) -> None:
    """Import annotations; write the clean records, report every problem; exit 1 if any record had one."""
    from training.formats import import_annotations
    from training.formats.common import ImportOptions, ReadOptions, load_label_map, write_jsonl

    try:
        options = ImportOptions(Schema.load(schema), load_label_map(label_map), layer, snap)
        result = import_annotations(source_format, path, options, ReadOptions(text_field, scheme, sentences_per_doc))
    except (ValueError, OSError) as error:
        typer.echo(f"import failed: {error}", err=True)
        raise typer.Exit(2)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    for problem in result.problems:
        typer.echo(str(problem), err=True)
    for line in result.summary:
        typer.echo(line)
    write_jsonl(result.records, out)
    if schema_out:
        result.schema.save(schema_out)
    dropped = ", ".join(f"{label}×{count}" for label, count in result.dropped.items())
    typer.echo(f"{len(result.records)} record(s), {sum(len(r['spans']) for r in result.records)} span(s) written "
               f"to {out}; {len(result.problems)} problem(s), {len(result.notes)} note(s)"
               + (f"; dropped by the label map: {dropped}" if dropped else "")
               + (f"; schema written to {schema_out}" if schema_out else ""))
    if not result.ok:
        typer.echo("records with problems were not written; fix them in the tool and import again.", err=True)
        raise typer.Exit(1)


@app.command("export")
def export_command(
    paths: list[Path] = typer.Argument(..., help="annotation JSONL files"),
    target: str = typer.Option(..., "--to", help="labelstudio, doccano, brat or conll"),
    out: Path = typer.Option(..., "--out", help="file to write (a folder for brat)"),
    layer: str = typer.Option(None, help="only this layer's spans (CoNLL: the layer tagged; default: first)"),
    schema: Path = typer.Option(DEFAULT_SCHEMA_PATH),
) -> None:
    """Export validated annotations; refuses (exit 1, problems listed) when they do not validate."""
    from training.formats import export_annotations

    try:
        problems = export_annotations(target, paths, out, Schema.load(schema), layer)
    except (ValueError, OSError) as error:
        typer.echo(f"export failed: {error}", err=True)
        raise typer.Exit(2)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"export refused: {len(problems)} validation problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"wrote {out} ({target})")


@app.command("preannotate")
def preannotate_command(
    source: Path = typer.Argument(..., help="folder of .txt, or JSONL/CSV with a text field (gz ok)"),
    out: Path = typer.Argument(..., help="tasks to write: JSON (labelstudio) or JSONL (doccano)"),
    fmt: str = typer.Option("labelstudio", "--format", help="labelstudio or doccano"),
    model_dir: Path = typer.Option(MODELS_DIR / CURRENT, help="model dir to predict with"),
    rank: str = typer.Option("none", help="none (input order) or uncertainty (most doubtful first)"),
    limit: int = typer.Option(None, help="write only the first N tasks (after ranking)"),
    text_field: str = typer.Option("text", help="JSONL/CSV field holding the text"),
    device: str = typer.Option("auto", help=DEVICE_HELP),
) -> None:
    """Model suggestions as Label Studio or doccano tasks, optionally most uncertain first."""
    from model.predictor import Predictor
    from training.preannotate import preannotate

    try:
        summary = preannotate(source, out, fmt, Predictor.load(model_dir, device=device), rank, limit, text_field)
    except (ValueError, OSError) as error:
        typer.echo(f"preannotate failed: {error}", err=True)
        raise typer.Exit(2)
    for problem in summary.problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{summary.written} task(s) written to {out}"
               + (f"; Label Studio labeling config: {summary.config}" if summary.config else "")
               + (f"; {len(summary.problems)} input record(s) unreadable" if summary.problems else ""))


@config_command("eval", TrainConfig, {"device": " (for fitting; held-out prediction runs on cpu)"},
                exclude=("models_dir",))  # eval publishes no model
def eval_command(out_dir: Path = typer.Option(REPORTS_DIR, help="where eval.md and eval.json are written"),
                 test: Path = typer.Option(None, help="train on the annotations, test on this JSONL "
                                                      "(default: leave-one-article-out cross-validation)"),
                 curve: str = typer.Option("", help="with --test: comma-separated training sizes for a "
                                                    "learning curve, e.g. 5,15,30,49"),
                 **settings) -> None:
    """Held-out scores beside CRF / TF-IDF baselines; writes OUT_DIR/eval.{md,json}."""
    from training.evaluate import evaluate, print_summary
    from training.train import AnnotationError

    try:
        sizes = [int(size) for size in curve.split(",") if size.strip()] or None
        metrics = evaluate(config_from(TrainConfig, settings), out_dir, test, sizes)
    except (AnnotationError, ValueError) as error:
        typer.echo(f"evaluation refused: {error}", err=True)
        raise typer.Exit(1)
    print_summary(metrics)
    typer.echo(f"report written to {out_dir / 'eval.md'} and {out_dir / 'eval.json'}", err=True)


@config_command("pretrain", PretrainConfig)
def pretrain_command(**settings) -> None:
    """Masked-LM pre-training on unlabelled articles; the output dir works as BASE_MODEL."""
    from training.pretrain import CorpusError, pretrain

    try:
        pretrain(config_from(PretrainConfig, settings))
    except (CorpusError, FileExistsError) as error:
        typer.echo(f"pretraining refused: {error}", err=True)
        raise typer.Exit(1)
