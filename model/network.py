"""The tagger: any Hugging Face encoder plus one token-classification head per schema layer.

Saved and loaded through :mod:`model.modeldir`, which owns the files of a model dir.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn
from transformers import AutoModel

from model.modeldir import ModelDir


class MultiLayerTagger(nn.Module):
    """Encoder → dropout → one linear head per layer; the loss is the sum over layers.

    ``layer_tags`` maps each layer to its IOB2 tag list (index = class id). Label tensors
    are passed as ``labels_<layer>`` with -100 on positions that carry no label.
    """

    def __init__(self, encoder: nn.Module, layer_tags: dict[str, list[str]], dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.layer_tags = {layer: list(tags) for layer, tags in layer_tags.items()}
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({layer: nn.Linear(hidden, len(tags)) for layer, tags in layer_tags.items()})

    @property
    def config(self):
        return self.encoder.config

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, **labels):
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        hidden = self.dropout(hidden)
        logits = {layer: head(hidden) for layer, head in self.heads.items()}
        output = {f"logits_{layer}": value for layer, value in logits.items()}
        present = [layer for layer in logits if labels.get(f"labels_{layer}") is not None]
        if present:
            loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
            output["loss"] = sum(
                loss_fn(logits[layer].flatten(0, 1).float(), labels[f"labels_{layer}"].flatten())
                for layer in present
            )
        return output

    def save(self, directory: str | Path) -> None:
        """Write the encoder config, the weights and the tag lists into the model dir ``directory``."""
        state = {name: tensor.detach().contiguous().cpu() for name, tensor in self.state_dict().items()}
        ModelDir(directory).write_tagger(self.encoder.config, state, self.layer_tags)

    @classmethod
    def load(cls, directory: str | Path) -> MultiLayerTagger:
        """Rebuild the architecture from the encoder config and the tag lists, then load the weights."""
        model_dir = ModelDir(directory)
        config, layer_tags, state = model_dir.config(), model_dir.layer_tags(), model_dir.weights()
        encoder = AutoModel.from_config(config)
        if getattr(encoder, "pooler", None) is not None and not any(k.startswith("encoder.pooler.") for k in state):
            encoder.pooler = None  # trained without a pooler: taggers never use it
        model = cls(encoder, layer_tags)
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


def layer_tags_from_schema(schema) -> dict[str, list[str]]:
    return {layer: schema.bio_tags(layer) for layer in schema.layer_names}

