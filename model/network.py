"""The tagger: any Hugging Face encoder plus one token-classification head per schema layer.

Saved as a self-describing directory: the encoder's ``config.json``, ``model.safetensors``
(encoder and heads, never pickle), the tokenizer, ``schema.yaml`` and ``labels.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel

WEIGHTS_FILE = "model.safetensors"
LABELS_FILE = "labels.json"


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
        """Write config.json, model.safetensors and labels.json into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.config.save_pretrained(directory)
        state = {name: tensor.detach().contiguous().cpu() for name, tensor in self.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
        (directory / LABELS_FILE).write_text(json.dumps(self.layer_tags, ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> MultiLayerTagger:
        """Rebuild the architecture from config.json and labels.json, then load the weights."""
        directory = Path(directory)
        config = AutoConfig.from_pretrained(directory)
        layer_tags = json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
        state = load_file(str(directory / WEIGHTS_FILE))
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
                f"{directory}: weights do not match the architecture "
                f"(missing {real_missing[:5]}, unexpected {unexpected[:5]})"
            )
        return model

    def max_length(self) -> int:
        return int(getattr(self.encoder.config, "max_position_embeddings", 512))


def layer_tags_from_schema(schema) -> dict[str, list[str]]:
    return {layer: schema.bio_tags(layer) for layer in schema.layer_names}

