"""Annotated documents → encoder windows with word-level inputs and labels (the training features).

Uses the same alignment as decoding (:mod:`model.alignment`): a window labels the words whose
first subword it holds. Per window: ``input_ids``, ``attention_mask``, the position of each
word's first subword (``word_positions``), its feature row (``word_features``,
:mod:`model.word_features`), per span layer its IOB2 tag id (``labels_<layer>``), and for the
sentence layer the window-local sentence of each word (``word_sentences``) with each
sentence's multi-hot label row (``sentence_labels``). Sentence gold comes from the claim
spans (:func:`model.sentences.claim_types_per_sentence`): no annotation is rewritten. BIO
tags are derived here from character spans and never stored.
"""

from __future__ import annotations

import torch

from model.alignment import encode_documents, make_windows, spans_to_tags, words_in_window
from model.network import IGNORE
from model.sentences import claim_types_per_sentence, sentence_of_words
from model.word_features import WordFeaturizer

# Per key, the value a padded position gets (rows of features/labels are padded element-wise).
PAD_VALUES = {"attention_mask": 0, "word_positions": 0, "word_features": 0, "word_sentences": -1}


def build_features(documents: list[dict], tokenizer, architecture: dict, featurizer: WordFeaturizer,
                   max_length: int) -> list[dict]:
    """One feature dict per window of every document (see the module docstring)."""
    span_layers = architecture["span_layers"]
    sentence = architecture.get("sentence_layer")
    encoded = encode_documents(tokenizer, [doc["text"] for doc in documents])
    features = []
    for document, doc in zip(documents, encoded):
        text = document["text"]
        rows = featurizer.features([text[start:end] for start, end in doc.words])
        tag_ids = {}
        for layer, tags in span_layers.items():
            inventory = {tag: index for index, tag in enumerate(tags)}
            labels = {tag[2:] for tag in tags if tag != "O"}
            spans = [span for span in document["spans"] if span["label"] in labels]
            tag_ids[layer] = [inventory[tag] for tag in spans_to_tags(doc.words, spans)]
        if sentence:
            claims = [span for span in document["spans"] if span["label"] in sentence["labels"]]
            gold = claim_types_per_sentence(text, claims)
            sentence_rows = [[float(label in types) for label in sentence["labels"]] for _, _, types in gold]
            word_sentence = sentence_of_words(doc.words, [(start, end) for start, end, _ in gold])
        for window in make_windows(doc, max_length, tokenizer.cls_token_id, tokenizer.sep_token_id):
            words = words_in_window(doc, window)
            feature = {
                "input_ids": window.input_ids,
                "attention_mask": [1] * len(window.input_ids),
                "word_positions": [doc.first_token[word] - window.token_start + 1 for word in words],  # +1: [CLS]
                "word_features": [rows[word] for word in words],
            }
            for layer, ids in tag_ids.items():
                feature[f"labels_{layer}"] = [ids[word] for word in words]
            if sentence:
                present = sorted({word_sentence[word] for word in words} - {-1})
                local = {index: position for position, index in enumerate(present)}
                feature["word_sentences"] = [local.get(word_sentence[word], -1) for word in words]
                feature["sentence_labels"] = [sentence_rows[index] for index in present]
            features.append(feature)
    return features


class PadCollator:
    """Pads a list of window features to the widest one, key by key (rows element-wise)."""

    def __init__(self, pad_id: int):
        self.pad_values = {**PAD_VALUES, "input_ids": pad_id}

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        batch = {}
        for key in features[0]:
            values = [feature[key] for feature in features]
            width = max(len(value) for value in values)
            pad = self.pad_values.get(key, IGNORE)
            row = next((value[0] for value in values if value and isinstance(value[0], list)), None)
            filler = [pad] * len(row) if row is not None else pad
            dtype = torch.float if key == "sentence_labels" else torch.long
            if width == 0 and key == "sentence_labels":
                batch[key] = torch.full((len(values), 1, 1), IGNORE, dtype=dtype)
                continue
            batch[key] = torch.tensor([value + [filler] * (width - len(value)) for value in values], dtype=dtype)
        return batch
