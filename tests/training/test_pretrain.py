"""Masked-LM pre-training: corpus reading, resume from a checkpoint, output usable as BASE_MODEL."""

from __future__ import annotations

import json

import pytest

from model.modeldir import ENCODER_INFO_FILE
from training.config import PretrainConfig
from training.pretrain import CorpusError, pretrain, read_corpus


def _tiny(corpus, out, **overrides):
    options = {"corpus": str(corpus), "out": str(out), "base_model": "compact", "compact_hidden": 32,
               "compact_layers": 1, "vocab_size": 400, "batch_size": 4, "max_length": 64, "save_steps": 2,
               "device": "cpu"}
    return PretrainConfig(**{**options, **overrides})


@pytest.fixture
def corpus(tmp_path, seed_documents):
    folder = tmp_path / "corpus"
    (folder / "nested").mkdir(parents=True)
    for index, document in enumerate(seed_documents[:2]):
        (folder / ("nested" if index else ".") / f"{index}.txt").write_text(document["text"], encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    return folder


def test_read_corpus_folder_and_jsonl(tmp_path, corpus, seed_documents):
    assert read_corpus(corpus) == [doc["text"] for doc in seed_documents[:2]]
    jsonl = tmp_path / "dump.jsonl"
    jsonl.write_text('{"text": "نص أول"}\n\n{"id": 2}\n{"text": ""}\n{"text": "نص ثان"}\n', encoding="utf-8")
    assert read_corpus(jsonl) == ["نص أول", "نص ثان"]


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing", "does not exist"),
    (lambda tmp: (tmp / "none").mkdir() or tmp / "none", "no .txt files"),
    (lambda tmp: (tmp / "e.jsonl").write_text("\n") and tmp / "e.jsonl", "holds no text"),
    (lambda tmp: (tmp / "b.jsonl").write_text("not json\n") and tmp / "b.jsonl", "b.jsonl:1: invalid JSON"),
])
def test_bad_corpus_is_a_clear_error(tmp_path, make, message):
    with pytest.raises(CorpusError, match=message):
        read_corpus(make(tmp_path))


def test_pretrain_resumes_and_output_works_as_base_model(tmp_path, corpus, monkeypatch, capfd, seed_documents):
    import training.pretrain as pretrain_module
    from training.base import load_base

    out = tmp_path / "encoder"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed after the last checkpoint, before publishing

    monkeypatch.setattr(pretrain_module, "publish_encoder", crash)
    with pytest.raises(KeyboardInterrupt):
        pretrain(_tiny(corpus, out, max_steps=2))
    assert (out / "checkpoints" / "checkpoint-2").is_dir()
    monkeypatch.undo()

    assert pretrain(_tiny(corpus, out, max_steps=4)) == out
    assert "resuming from" in capfd.readouterr().err
    info = json.loads((out / ENCODER_INFO_FILE).read_text())
    assert info["steps"] == 4 and info["base"]["used"] == "compact" and info["texts"] == 2
    assert not (out / "checkpoints").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "encoder"]  # no staging left

    base = load_base(str(out), [])
    assert not base.is_compact and base.small and base.used == str(out.resolve())
    assert type(base.encoder).__name__ == "BertModel"  # the MLM head is dropped
    from model.schema import Schema
    from training.config import COMPACT_LEARNING_RATE, TrainConfig
    from training.train import fit

    config = TrainConfig(base_model=str(out), epochs=1, max_length=64, device="cpu")
    fitted = fit(seed_documents[:1], Schema.load(), config, progress=False)
    assert fitted.base.used == str(out.resolve()) and fitted.chosen["learning_rate"] == COMPACT_LEARNING_RATE

    with pytest.raises(FileExistsError):
        pretrain(_tiny(corpus, out, max_steps=1))
