"""Fine-tune the multi-layer tagger on validated annotations and publish a model dir.

Contract: refuses to train when any annotation file has a problem (they are printed);
trains with the transformers Trainer, seeded; writes ``models/<timestamp>/`` atomically and
only then repoints ``models/current``. Does not evaluate on held-out data: ``make eval``
does (cross-validation by document).
"""

from __future__ import annotations

import math
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import torch
from datasets import Dataset
from transformers import PrinterCallback, Trainer, set_seed

from model.classical import ClassicalModels
from model.lexicon import Lexicon
from model.modeldir import ModelDir, new_run_name, publish
from model.network import MultiLayerTagger, architecture_for
from model.predictor import Predictor
from model.schema import Schema
from model.word_features import WordFeaturizer
from training.base import Base, load_base, training_arguments
from training.calibrate import Calibration, calibrate, split
from training.card import model_card, plot_f1, plot_loss
from training.config import (
    COMPACT_LEARNING_RATE,
    PRETRAINED_EPOCHS,
    PRETRAINED_LEARNING_RATE,
    TrainConfig,
)
from training.features import PadCollator, build_features
from training.metrics import all_metrics
from training.validate import resolve_paths, validate


class AnnotationError(ValueError):
    """The annotations have problems; training refuses to start."""


def load_documents(paths: list[Path], schema: Schema) -> list[dict]:
    """Validated documents from ``paths``; raises AnnotationError listing every problem."""
    report = validate(paths, schema)
    if not report.ok:
        listing = "\n".join(str(problem) for problem in report.problems)
        raise AnnotationError(f"{len(report.problems)} annotation problem(s); fix them and run again:\n{listing}")
    if not report.documents:
        raise AnnotationError(f"no annotated documents in {', '.join(map(str, paths))}")
    return report.documents


@dataclass
class Fitted:
    """A trained tagger with what predicting needs besides it, and how it was trained."""

    model: MultiLayerTagger
    base: Base
    featurizer: WordFeaturizer
    history: list[dict]
    chosen: dict  # the settings actually used: epochs, learning rates, max_length, windows, steps, calibration
    classical: ClassicalModels

    def predictor(self, schema: Schema, info: dict) -> Predictor:
        return Predictor(self.model, self.base.tokenizer, schema, info, torch.device("cpu"), self.featurizer,
                         max_length=self.chosen["max_length"], classical=self.classical)


def featurizer_for(config: TrainConfig) -> WordFeaturizer:
    """Word features with the configured lexicon (``lexicon='none'``: without one)."""
    return WordFeaturizer(None if config.lexicon in ("", "none") else Lexicon.load(config.lexicon))


def fit(documents: list[dict], schema: Schema, config: TrainConfig, progress: bool = True) -> Fitted:
    """Train a tagger and its classical partners on ``documents``, with the blend weights and
    claim thresholds chosen on a held-out share of them (:mod:`training.calibrate`).

    ``progress=False`` silences the Trainer's progress bar and loss lines (cross-validation
    shows its own bar over folds).
    """
    calibration = Calibration.default(schema)
    parts = split(documents, config.calibration_share, config.seed)
    if parts:
        if progress:
            print(f"choosing blend weights and claim thresholds on {len(parts[1])} of the {len(documents)} "
                  "documents, held out from one extra fit (--calibration-share 0 skips it)", file=sys.stderr)
        held_out_fit = fit(parts[0], schema, replace(config, calibration_share=0), progress=progress)
        calibration = calibrate(held_out_fit.predictor(schema, {}), parts[1], schema)
        if progress:
            print(f"chosen: classical weight per layer {calibration.blend}, claim thresholds "
                  f"{calibration.thresholds}; now training on all {len(documents)} documents", file=sys.stderr)
    fitted = _fit_network(documents, schema, config, progress)
    fitted.model.architecture["blend"] = calibration.blend
    if fitted.model.sentence_layer:
        fitted.model.architecture["sentence_layer"]["thresholds"] = calibration.thresholds
    fitted.chosen["calibration"] = {"blend": calibration.blend, "thresholds": calibration.thresholds,
                                    "held_out_scores": calibration.scores}
    return fitted


def _fit_network(documents: list[dict], schema: Schema, config: TrainConfig, progress: bool) -> Fitted:
    """The tagger and the classical models, trained on all of ``documents`` (blend unset)."""
    set_seed(config.seed)
    base = load_base(config.base_model, [doc["text"] for doc in documents],
                     hidden_size=config.compact_hidden, layers=config.compact_layers)
    featurizer = featurizer_for(config)
    learning_rate = config.learning_rate or (COMPACT_LEARNING_RATE if base.small else PRETRAINED_LEARNING_RATE)
    max_length = min(config.max_length, base.encoder.config.max_position_embeddings)
    model = MultiLayerTagger(base.encoder, architecture_for(schema, featurizer.spec, lstm_hidden=config.lstm_hidden))
    features = build_features(documents, base.tokenizer, model.architecture, featurizer, max_length)
    steps_per_epoch = math.ceil(len(features) / config.batch_size)
    epochs = config.epochs or max(config.compact_epochs if base.small else PRETRAINED_EPOCHS,
                                  math.ceil(config.min_steps / steps_per_epoch))
    encoder_parameters = list(model.encoder.parameters())
    encoder_ids = {id(parameter) for parameter in encoder_parameters}
    optimizer = torch.optim.AdamW([
        {"params": encoder_parameters, "lr": learning_rate},
        {"params": [p for p in model.parameters() if id(p) not in encoder_ids], "lr": config.head_learning_rate},
    ], weight_decay=0.01)
    with tempfile.TemporaryDirectory(prefix="rasd-train-") as scratch:
        arguments = training_arguments(
            scratch, config.device, config.seed, progress, num_train_epochs=epochs, learning_rate=learning_rate,
            per_device_train_batch_size=config.batch_size, warmup_steps=0.1, logging_steps=5,
            lr_scheduler_type="constant_with_warmup",  # features and BiLSTM start from scratch: no decay
            save_strategy="no", remove_unused_columns=False,
        )
        trainer = Trainer(model=model, args=arguments, train_dataset=Dataset.from_list(features),
                          data_collator=PadCollator(base.tokenizer.pad_token_id), optimizers=(optimizer, None))
        if not progress:
            trainer.remove_callback(PrinterCallback)
        trainer.train()
    model = model.cpu().float().eval()
    chosen = {"epochs": epochs, "learning_rate": learning_rate, "head_learning_rate": config.head_learning_rate,
              "max_length": max_length, "windows": len(features), "steps": trainer.state.global_step}
    return Fitted(model, base, featurizer, trainer.state.log_history, chosen,
                  ClassicalModels.fit(documents, schema, featurizer.lexicon))


def train(config: TrainConfig) -> Path:
    """Validate, fit, and publish ``models/<timestamp>``; returns the new model dir."""
    schema = Schema.load(config.schema)
    paths = resolve_paths([Path(p) for p in config.annotations] or None)
    documents = load_documents(paths, schema)
    fitted = fit(documents, schema, config)
    model, base, history, chosen = fitted.model, fitted.base, fitted.history, fitted.chosen
    name = new_run_name()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    info = {"name": name, "version": name, "created": created, "base": base.describe(),
            "max_length": chosen["max_length"], "schema_version": schema.version}
    training_config = {**asdict(config), **chosen, "annotations": [str(p) for p in paths],
                       "documents": len(documents), "spans": sum(len(d["spans"]) for d in documents)}

    def write(model_dir: ModelDir) -> None:
        lexicon = fitted.featurizer.lexicon
        model_dir.write_loadable(model, base.tokenizer, schema, info, lexicon.path if lexicon else None,
                                 fitted.classical)
        model_dir.write_training_config(training_config)
        predictor = fitted.predictor(schema, info)
        metrics = all_metrics(documents, predictor.predict([doc["text"] for doc in documents]), schema)
        metrics["split"] = "training documents (seen in training)"
        metrics["note"] = ("These scores are on the documents the model was trained on: they show it fits "
                           "its data, not how it does on new articles. Held-out scores come from "
                           "`make eval` (leave-one-document-out cross-validation).")
        model_dir.write_metrics(metrics)
        plot_loss(history, model_dir.plot_path("loss.png"))
        plot_f1(metrics, schema.colours(), model_dir.plot_path("f1.png"), "Per-label F1 on training documents")
        summary = (f"{len(documents)} documents, {training_config['spans']} spans, from "
                   + ", ".join(f"`{Path(p).name}`" for p in paths))
        model_dir.write_card(model_card(info, chosen | {"seed": config.seed, "base": base.used}, metrics, summary))

    model_dir = publish(Path(config.models_dir), write, name)
    print(f"model written to {model_dir} (base encoder: {base.used}); models/current now points at it",
          file=sys.stderr)
    return model_dir
