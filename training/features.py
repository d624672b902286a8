"""Annotated documents → encoder windows with per-layer label ids (the training features).

Uses the same alignment as decoding (:mod:`model.alignment`): labels sit on each word's
first subword, every other position is -100. BIO tags are derived here from character
spans and never stored.
"""

from __future__ import annotations

import torch

from model.alignment import encode_documents, make_windows, spans_to_tags
from model.schema import Schema

IGNORE = -100


def build_features(documents: list[dict], tokenizer, schema: Schema, max_length: int) -> list[dict]:
    """One feature dict per window: input_ids, attention_mask and ``labels_<layer>`` lists."""
    encoded = encode_documents(tokenizer, [doc["text"] for doc in documents])
    features = []
    for document, doc in zip(documents, encoded):
        tag_ids = {}
        for layer in schema.layer_names:
            inventory = {tag: i for i, tag in enumerate(schema.bio_tags(layer))}
            spans = [span for span in document["spans"] if schema.layer_of(span["label"]) == layer]
            tag_ids[layer] = [inventory[tag] for tag in spans_to_tags(doc.words, spans)]
        first_token_of = {token: word for word, token in enumerate(doc.first_token)}
        for window in make_windows(doc, max_length, tokenizer.cls_token_id, tokenizer.sep_token_id):
            feature = {"input_ids": window.input_ids, "attention_mask": [1] * len(window.input_ids)}
            for layer, ids in tag_ids.items():
                labels = [IGNORE]
                for token in range(window.token_start, window.token_end):
                    word = first_token_of.get(token)
                    labels.append(ids[word] if word is not None else IGNORE)
                feature[f"labels_{layer}"] = labels + [IGNORE]
            features.append(feature)
    return features


class PadCollator:
    """Pads a list of features to the longest one; labels are padded with -100."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(feature["input_ids"]) for feature in features)
        batch = {}
        for key in features[0]:
            fill = self.pad_id if key == "input_ids" else (0 if key == "attention_mask" else IGNORE)
            batch[key] = torch.tensor([feature[key] + [fill] * (width - len(feature[key])) for feature in features])
        return batch
