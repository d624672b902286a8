"""The tagger: a Hugging Face encoder, word features and a BiLSTM, with one head per schema layer.

Per word, the encoder state of its first subword is joined with the embeddings of its
:mod:`model.word_features` row (hashed affixes, shape, lexicon tags) and a BiLSTM reads the
words of a window in both directions. Span layers (entities, sources) get one IOB2 head
each, over words. A sentence layer (claims) gets a multi-label head over each sentence:
mean- and max-pooled word states, plus a *cue prior* — for each claim type, whether a cue
word of that type from the lexicon occurs in the sentence, through a linear map that starts
as a scaled identity, so a sentence with «غارات» leans towards AIRSTRIKE before training
has seen a single air strike.

Why a BiLSTM over words rather than heads on the encoder alone: held out on real articles, a
BERT trained from scratch on a few thousand words learns little (0.37 entity F1); the same
words with affix and lexicon features through a BiLSTM score far higher (README,
Evaluation). With CAMeLBERT the encoder state carries most of the signal and the same code
is a plain fine-tune with a light head on top.

Saved and loaded through :mod:`model.modeldir`; the architecture (tags, labels, thresholds,
feature spec, sizes) is stored beside the weights so loading needs no code defaults.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import AutoModel

from model.modeldir import ModelDir
from model.word_features import SHAPES, FeatureSpec

IGNORE = -100
WIDE_SLOTS = ("word", "stem")  # identity slots: wider embeddings, and word dropout in training
WIDE, NARROW, SHAPE_DIM, LEXICON_DIM = 48, 24, 8, 16
CUE_PRIOR_WEIGHT, CUE_PRIOR_BIAS = 3.0, -1.5


class MultiLayerTagger(nn.Module):
    """See the module docstring. ``architecture`` is the JSON-able dict :meth:`save` stores:

    ``span_layers`` (layer -> IOB2 tag list, index = class id), ``sentence_layer`` (``name``,
    ``labels``, ``thresholds``) or None, ``features`` (a :class:`FeatureSpec` dict), and
    ``lstm_hidden``, ``dropout``, ``word_dropout``.
    """

    def __init__(self, encoder: nn.Module, architecture: dict):
        super().__init__()
        self.encoder = encoder
        self.architecture = architecture
        self.span_tags: dict[str, list[str]] = architecture["span_layers"]
        sentence = architecture.get("sentence_layer")
        self.sentence_layer: str | None = sentence["name"] if sentence else None
        self.sentence_labels: list[str] = list(sentence["labels"]) if sentence else []
        self.spec = FeatureSpec.from_dict(architecture["features"])
        self.word_dropout = float(architecture.get("word_dropout", 0.25))
        self.embeddings = nn.ModuleList(
            [nn.Embedding(self.spec.buckets, WIDE if slot in WIDE_SLOTS else NARROW, padding_idx=0)
             for slot in self.spec.hashed]
            + [nn.Embedding(SHAPES, SHAPE_DIM, padding_idx=0)]
            + [nn.Embedding(len(tags) + 1, LEXICON_DIM, padding_idx=0) for tags in self.spec.lexicon_tags.values()]
        )
        width = encoder.config.hidden_size + sum(embedding.embedding_dim for embedding in self.embeddings)
        hidden = int(architecture.get("lstm_hidden", 128))
        self.dropout = nn.Dropout(float(architecture.get("dropout", 0.3)))
        self.lstm = nn.LSTM(width, hidden, batch_first=True, bidirectional=True)
        states = 2 * hidden
        self.heads = nn.ModuleDict({layer: nn.Linear(states, len(tags)) for layer, tags in self.span_tags.items()})
        if self.sentence_layer:
            labels = len(self.sentence_labels)
            self.sentence_head = nn.Sequential(nn.Linear(2 * states, states), nn.ReLU(), self.dropout,
                                               nn.Linear(states, labels))
            self.cue_prior = nn.Linear(labels, labels)
            with torch.no_grad():
                self.cue_prior.weight.copy_(torch.eye(labels) * CUE_PRIOR_WEIGHT)
                self.cue_prior.bias.fill_(CUE_PRIOR_BIAS)
            # Cue-slot id -> one-hot claim type (zero rows for padding, O and ATTRIBUTION).
            cue_tags = ["<pad>", *self.spec.lexicon_tags.get("cues", [])]
            table = torch.zeros(len(cue_tags), labels)
            for index, tag in enumerate(cue_tags):
                if tag[2:] in self.sentence_labels:
                    table[index, self.sentence_labels.index(tag[2:])] = 1.0
            self.register_buffer("cue_table", table, persistent=False)
            self.cue_slot = self.spec.cue_slot()

    @property
    def config(self):
        return self.encoder.config

    # -- the forward pass, in pieces the Predictor reuses ------------------------------------

    def word_states(self, input_ids, attention_mask, word_positions, word_features) -> torch.Tensor:
        """(batch, words, 2 × lstm_hidden) states of the words of each window.

        ``word_positions`` (batch, words): index in ``input_ids`` of each word's first subword;
        ``word_features`` (batch, words, slots): feature ids, all 0 for padding words.
        """
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        at_words = hidden.gather(1, word_positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))
        parts = [embedding(word_features[..., slot]) for slot, embedding in enumerate(self.embeddings)]
        if self.training and self.word_dropout:
            # Hide a word's identity now and then — its hashed word and stem rows and its encoder
            # state, which carries the identity too — so affixes, context and the lexicon carry
            # weight. Dev set, two seeds: entities 0.677 vs 0.662 without hiding the encoder state.
            keep = (torch.rand(word_features.shape[:2], device=word_features.device) >= self.word_dropout)
            keep = keep.unsqueeze(-1)
            at_words = at_words * keep.to(at_words.dtype)
            for slot, name in enumerate(self.spec.hashed):
                if name in WIDE_SLOTS:
                    parts[slot] = parts[slot] * keep.to(parts[slot].dtype)
        inputs = self.dropout(torch.cat([at_words, *[part.to(at_words.dtype) for part in parts]], -1))
        lengths = (word_features[..., 0] > 0).sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        states, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=inputs.size(1))
        return self.dropout(states)

    def span_logits(self, states: torch.Tensor) -> dict[str, torch.Tensor]:
        return {layer: head(states) for layer, head in self.heads.items()}

    def sentence_logits(self, states: torch.Tensor, groups: torch.Tensor, count: int,
                        word_features: torch.Tensor) -> torch.Tensor:
        """(count, labels) logits for sentences ``0..count-1``; ``states`` (N, D) word states,
        ``groups`` (N,) the sentence of each word or -1, ``word_features`` (N, slots)."""
        pooled = pool_groups(states, groups, count)
        cues = torch.zeros(states.size(0), len(self.sentence_labels), dtype=states.dtype, device=states.device)
        if self.cue_slot is not None:
            cues = self.cue_table[word_features[:, self.cue_slot]].to(states.dtype)
        presence = pool_groups(cues, groups, count, reduce="max")
        return self.sentence_head(pooled) + self.cue_prior(presence)

    def forward(self, input_ids, attention_mask, word_positions, word_features, word_sentences=None,
                sentence_labels=None, **span_labels):
        """Training pass. ``labels_<layer>`` (batch, words) with -100 where no label;
        ``word_sentences`` (batch, words) sentence index within the window or -1;
        ``sentence_labels`` (batch, sentences, labels) multi-hot, rows of -100 for padding."""
        states = self.word_states(input_ids, attention_mask, word_positions, word_features)
        output = {f"logits_{layer}": logits for layer, logits in self.span_logits(states).items()}
        losses = [nn.functional.cross_entropy(output[f"logits_{layer}"].flatten(0, 1).float(),
                                              span_labels[f"labels_{layer}"].flatten(), ignore_index=IGNORE)
                  for layer in self.heads if span_labels.get(f"labels_{layer}") is not None]
        if self.sentence_layer and sentence_labels is not None and word_sentences is not None:
            per_window = sentence_labels.size(1)
            offsets = torch.arange(states.size(0), device=states.device).unsqueeze(1) * per_window
            groups = torch.where(word_sentences >= 0, word_sentences + offsets, -1).flatten()
            logits = self.sentence_logits(states.flatten(0, 1), groups, states.size(0) * per_window,
                                          word_features.flatten(0, 1))
            targets = sentence_labels.flatten(0, 1)
            real = targets[:, 0] != IGNORE
            if real.any():
                losses.append(nn.functional.binary_cross_entropy_with_logits(logits[real].float(), targets[real]))
        if losses:
            output["loss"] = sum(losses)
        return output

    # -- saving ---------------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write the encoder config, the weights and the architecture into the model dir ``directory``."""
        state = {name: tensor.detach().contiguous().cpu() for name, tensor in self.state_dict().items()}
        ModelDir(directory).write_tagger(self.encoder.config, state, self.architecture)

    @classmethod
    def load(cls, directory: str | Path) -> MultiLayerTagger:
        """Rebuild the architecture from the encoder config and the stored architecture, then load the weights."""
        model_dir = ModelDir(directory)
        config, architecture, state = model_dir.config(), model_dir.architecture(), model_dir.weights()
        encoder = AutoModel.from_config(config)
        if getattr(encoder, "pooler", None) is not None and not any(k.startswith("encoder.pooler.") for k in state):
            encoder.pooler = None  # trained without a pooler: taggers never use it
        model = cls(encoder, architecture)
        missing, unexpected = model.load_state_dict(state, strict=False)
        # Some encoders register non-persistent buffers (position ids); anything else is a
        # real mismatch between config and weights.
        real_missing = [name for name in missing if "position_ids" not in name]
        if real_missing or unexpected:
            raise ValueError(
                f"{model_dir.path}: weights do not match the architecture "
                f"(missing {real_missing[:5]}, unexpected {unexpected[:5]})"
            )
        return model

    def max_length(self) -> int:
        return int(getattr(self.encoder.config, "max_position_embeddings", 512))

    def thresholds(self) -> list[float]:
        """Per sentence label, the probability from which the label is predicted."""
        stored = (self.architecture.get("sentence_layer") or {}).get("thresholds", {})
        return [float(stored.get(label, 0.5)) for label in self.sentence_labels]

    def blend(self) -> dict[str, float]:
        """Per layer, the weight of the classical model blended with this network's
        probabilities (:mod:`model.classical`); empty when none was chosen."""
        return {layer: float(weight) for layer, weight in (self.architecture.get("blend") or {}).items()}


def pool_groups(values: torch.Tensor, groups: torch.Tensor, count: int, reduce: str = "mean_max") -> torch.Tensor:
    """Pool rows of ``values`` (N, D) by group id (N,) in ``[-1, count)``; -1 rows are ignored.

    ``mean_max`` → (count, 2D) mean and max of each group's rows; ``max`` → (count, D).
    Empty groups pool to zeros. (scatter-based: a membership matrix would cost
    count × N × D memory on long articles.)
    """
    width = values.size(-1)
    index = torch.where(groups >= 0, groups, count)  # one spare row collects the -1s
    spread = index.unsqueeze(-1).expand(-1, width)
    floor = torch.finfo(values.dtype).min
    maxed = values.new_full((count + 1, width), floor).scatter_reduce(0, spread, values, reduce="amax")
    maxed = torch.where(maxed == floor, torch.zeros_like(maxed), maxed)[:count]
    if reduce == "max":
        return maxed
    total = values.new_zeros(count + 1, width).index_add_(0, index, values)
    size = values.new_zeros(count + 1).index_add_(0, index, torch.ones_like(index, dtype=values.dtype))
    return torch.cat([total[:count] / size[:count].clamp(min=1).unsqueeze(-1), maxed], -1)


def architecture_for(schema, spec: FeatureSpec, lstm_hidden: int = 128, dropout: float = 0.3,
                     word_dropout: float = 0.25) -> dict:
    """The architecture dict of a fresh tagger for ``schema`` (sentence layers per ``schema.unit``)."""
    sentence_layers = [layer for layer in schema.layer_names if schema.unit(layer) == "sentence"]
    if len(sentence_layers) > 1:
        raise ValueError(f"at most one sentence-level layer is supported, the schema has {sentence_layers}")
    return {
        "span_layers": {layer: schema.bio_tags(layer) for layer in schema.layer_names
                        if schema.unit(layer) == "span"},
        "sentence_layer": {"name": sentence_layers[0], "labels": schema.labels(sentence_layers[0]),
                           "thresholds": {}} if sentence_layers else None,
        "features": spec.to_dict(),
        "lstm_hidden": lstm_hidden, "dropout": dropout, "word_dropout": word_dropout,
    }
