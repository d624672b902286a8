"""Predictor on hostile text, and on a model dir shaped like BERT-base (random weights, local)."""

from __future__ import annotations

import random

import pytest

from model.document import ClaimSentence

HOSTILE = [
    "",
    "   \n\t ",
    "ﻷول مرة منذ سنوات، ﻹسقاط الطائرة أعلنت وزارة الدفاع",
    "قصفت الـطـائـرات الـروسـيـة مـديـنـة تـدمـر",
    "قوات\u00a0النظام\u00a0السوري أرسلت\u00a0تعزيزات إلى\u00a0البادية",
    "قَصَفَتْ الطَّائِرَاتُ الرُّوسِيَّةُ مَدِينَةَ تَدْمُرَ",
    "ISIS attacked Palmyra on 12/05/2024 with 55 fighters; قتل 150 عنصراً",
    "💥🔥 غارة جوية 🇸🇾 على دير الزور 👀",
    "قوات\x00النظام\x01\x02 أرسلت\x7f تعزيزات\u200b\u200f إلى\ufeff تدمر\r\n\x0b",
    "«مصدر خاص» قال: \"قوات النظام\" (الفرقة الرابعة) – انسحبت...",
    "a",
    "؟؟؟!!!...",
]


def _check(texts, documents):
    assert len(documents) == len(texts)
    for text, document in zip(texts, documents):
        for spans in document.layers.values():
            for span in spans:
                assert 0 <= span.start < span.end <= len(text)
                assert text[span.start:span.end] == span.text
                if isinstance(span, ClaimSentence):
                    assert span.types and all(0.0 <= p <= 1.0 for p in span.types.values())
                    for inner in span.entities + ([span.source] if span.source else []):
                        assert text[inner.start:inner.end] == inner.text
                else:
                    assert 0.0 <= span.confidence <= 1.0


def test_offsets_index_the_seeds(tiny_predictor, seed_documents):
    texts = [doc["text"] for doc in seed_documents]
    documents = tiny_predictor.predict(texts)
    _check(texts, documents)
    assert sum(len(spans) for doc in documents for spans in doc.layers.values()) > 50


@pytest.mark.parametrize("text", HOSTILE)
def test_offsets_index_hostile_text(tiny_predictor, text):
    _check([text], tiny_predictor.predict([text]))


def test_hostile_texts_batched_together(tiny_predictor):
    documents = tiny_predictor.predict(HOSTILE)
    _check(HOSTILE, documents)
    assert documents[0].layers == {layer: [] for layer in tiny_predictor.schema.layer_names}


def test_a_100_kb_text(tiny_predictor, seed_documents):
    rng = random.Random(3)
    pieces = [doc["text"] for doc in seed_documents] + HOSTILE
    text = ""
    while len(text) < 100_000:
        text += rng.choice(pieces) + rng.choice([" ", "\n", "\u00a0", "ـ", "\x00"])
    (document,) = tiny_predictor.predict([text])
    _check([text], [document])
    assert document.layers["entities"]


def test_bert_base_shaped_model_dir_loads_and_predicts(tmp_path, seed_tokenizer, seed_documents):
    import torch
    from transformers import BertConfig, BertModel

    from model.lexicon import Lexicon
    from model.modeldir import ModelDir
    from model.network import MultiLayerTagger, architecture_for
    from model.predictor import Predictor
    from model.schema import Schema
    from model.word_features import WordFeaturizer

    config = BertConfig(vocab_size=30000)  # BERT-base (CAMeLBERT's vocab): 12 layers × 768, 512 positions
    assert (config.num_hidden_layers, config.hidden_size, config.vocab_size) == (12, 768, 30000)
    torch.manual_seed(0)
    schema = Schema.load()
    lexicon = Lexicon.load()
    architecture = architecture_for(schema, WordFeaturizer(lexicon).spec)
    tagger = MultiLayerTagger(BertModel(config, add_pooling_layer=False), architecture)
    ModelDir(tmp_path).write_loadable(tagger, seed_tokenizer, schema, lexicon=lexicon.path)

    predictor = Predictor.load(tmp_path, device="cpu")
    assert predictor.max_length == 512
    texts = [seed_documents[0]["text"], HOSTILE[2], HOSTILE[8]]
    documents = predictor.predict(texts)
    _check(texts, documents)
    assert set(documents[0].layers) == set(schema.layer_names)
