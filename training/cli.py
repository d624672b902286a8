"""The training command line: one typer command per stage; each delegates to its module."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer

from model.modeldir import CURRENT
from model.paths import MODELS_DIR, REPORTS_DIR
from model.schema import DEFAULT_SCHEMA_PATH, Schema
from training.config import DEVICE_HELP, PretrainConfig, TrainConfig, default_of, help_of

app = typer.Typer(add_completion=False, no_args_is_help=True, help="rasd: annotations, training, evaluation.")


def train_option(name: str, *declarations: str, help_suffix: str = "", **options):
    """A typer option whose default and help come from TrainConfig's field ``name``."""
    return typer.Option(default_of(TrainConfig, name), *declarations,
                        help=help_of(TrainConfig, name) + help_suffix, **options)


def pretrain_option(name: str, *declarations: str, **options):
    """A typer option (or, for a field without default, argument) from PretrainConfig's field ``name``."""
    default, help_text = default_of(PretrainConfig, name), help_of(PretrainConfig, name)
    if default is ...:
        return typer.Argument(..., help=help_text, **options)
    return typer.Option(default, *declarations, help=help_text, **options)


# Options that `train` and `eval` share: both fit the same model, eval once per fold.
ANNOTATIONS = typer.Argument(None, help=help_of(TrainConfig, "annotations"))
BASE_MODEL = train_option("base_model", "--base-model", envvar="BASE_MODEL")
EPOCHS = train_option("epochs", envvar="EPOCHS")
SEED = train_option("seed", envvar="SEED")
LEARNING_RATE = train_option("learning_rate", "--lr")
BATCH_SIZE = train_option("batch_size")
MAX_LENGTH = train_option("max_length")
COMPACT_HIDDEN = train_option("compact_hidden")
COMPACT_LAYERS = train_option("compact_layers")
COMPACT_EPOCHS = train_option("compact_epochs")
SCHEMA = train_option("schema")


def config_from(config_class, arguments: dict):
    """A ``config_class`` from a command's arguments: every argument named like one of its fields
    (paths become strings, as the dataclasses hold them)."""
    values = {spec.name: arguments[spec.name] for spec in fields(config_class) if spec.name in arguments}
    for name, value in values.items():
        if isinstance(value, Path):
            values[name] = str(value)
        elif isinstance(value, list):
            values[name] = [str(item) for item in value]
    if "annotations" in values and values["annotations"] is None:
        values["annotations"] = []
    return config_class(**values)


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
    annotations: list[Path] = ANNOTATIONS,
    base_model: str = BASE_MODEL,
    epochs: float = EPOCHS,
    seed: int = SEED,
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
    max_length: int = MAX_LENGTH,
    compact_hidden: int = COMPACT_HIDDEN,
    compact_layers: int = COMPACT_LAYERS,
    compact_epochs: float = COMPACT_EPOCHS,
    device: str = train_option("device"),
    models_dir: Path = train_option("models_dir"),
    schema: Path = SCHEMA,
) -> None:
    """Train on validated annotations; write models/<timestamp>/ atomically and repoint models/current."""
    from training.train import AnnotationError, train

    config = config_from(TrainConfig, locals())
    try:
        train(config)
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
    sentences_per_doc: int = typer.Option(0, help="CoNLL: also cut a document every N sentences"),
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


@app.command("eval")
def eval_command(
    annotations: list[Path] = ANNOTATIONS,
    base_model: str = BASE_MODEL,
    epochs: float = EPOCHS,
    seed: int = SEED,
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
    max_length: int = MAX_LENGTH,
    compact_hidden: int = COMPACT_HIDDEN,
    compact_layers: int = COMPACT_LAYERS,
    compact_epochs: float = COMPACT_EPOCHS,
    device: str = train_option("device", help_suffix=" (for fitting; held-out prediction runs on cpu)"),
    out_dir: Path = typer.Option(REPORTS_DIR, help="where eval.md and eval.json are written"),
    schema: Path = SCHEMA,
) -> None:
    """Leave-one-document-out cross-validation (seqeval strict IOB2); writes OUT_DIR/eval.{md,json}."""
    from training.evaluate import evaluate, print_summary
    from training.train import AnnotationError

    config = config_from(TrainConfig, locals())
    try:
        metrics = evaluate(config, out_dir)
    except (AnnotationError, ValueError) as error:
        typer.echo(f"evaluation refused: {error}", err=True)
        raise typer.Exit(1)
    print_summary(metrics)
    typer.echo(f"report written to {out_dir / 'eval.md'} and {out_dir / 'eval.json'}", err=True)


@app.command("pretrain")
def pretrain_command(
    corpus: Path = pretrain_option("corpus"),
    base_model: str = pretrain_option("base_model", "--base-model", envvar="BASE_MODEL"),
    out: Path = pretrain_option("out"),
    epochs: float = pretrain_option("epochs", envvar="EPOCHS"),
    max_steps: int = pretrain_option("max_steps"),
    resume: bool = pretrain_option("resume", "--resume/--no-resume"),
    learning_rate: float = pretrain_option("learning_rate", "--lr"),
    batch_size: int = pretrain_option("batch_size"),
    max_length: int = pretrain_option("max_length"),
    mlm_probability: float = pretrain_option("mlm_probability"),
    save_steps: int = pretrain_option("save_steps"),
    vocab_size: int = pretrain_option("vocab_size"),
    compact_hidden: int = pretrain_option("compact_hidden"),
    compact_layers: int = pretrain_option("compact_layers"),
    seed: int = pretrain_option("seed", envvar="SEED"),
    device: str = pretrain_option("device"),
) -> None:
    """Masked-LM pre-training on unlabelled articles; the output dir works as BASE_MODEL."""
    from training.pretrain import CorpusError, pretrain

    try:
        pretrain(config_from(PretrainConfig, locals()))
    except (CorpusError, FileExistsError) as error:
        typer.echo(f"pretraining refused: {error}", err=True)
        raise typer.Exit(1)
