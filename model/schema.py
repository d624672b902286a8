"""The label schema: layers of mutually exclusive labels, declared once in schema.yaml.

The schema is read from ``annotations/schema.yaml`` at training time and copied into every
model dir, so serving reads labels back from the model it loads, never from code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from model.paths import SCHEMA_PATH as DEFAULT_SCHEMA_PATH


@dataclass(frozen=True)
class Label:
    name: str
    layer: str
    definition: str
    colour: str
    role: str | None = None  # event-record field of an entity label / kind of a source label


UNITS = ("span", "sentence")


@dataclass(frozen=True)
class Schema:
    """Ordered layers, each with its ordered labels. Label names are unique across layers."""

    layers: dict[str, tuple[Label, ...]]
    version: int = 1
    # layer -> "span" (labelled word spans, IOB2) or "sentence" (a set of labels per sentence);
    # layers not listed are span layers.
    units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_SCHEMA_PATH) -> Schema:
        """Read a schema.yaml; raises ValueError naming the problem when it is malformed."""
        path = Path(path)
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        return cls.from_dict(raw, origin=str(path))

    @classmethod
    def from_dict(cls, raw: dict, origin: str = "<schema>") -> Schema:
        if not isinstance(raw, dict) or not isinstance(raw.get("layers"), dict) or not raw["layers"]:
            raise ValueError(f"{origin}: expected a mapping with a non-empty 'layers' mapping")
        layers: dict[str, tuple[Label, ...]] = {}
        units: dict[str, str] = {}
        seen: dict[str, str] = {}
        for layer, body in raw["layers"].items():
            labels_raw = (body or {}).get("labels")
            if not isinstance(labels_raw, dict) or not labels_raw:
                raise ValueError(f"{origin}: layer {layer!r} has no 'labels' mapping")
            labels = []
            for name, spec in labels_raw.items():
                if name in seen:
                    raise ValueError(
                        f"{origin}: label {name!r} appears in layers {seen[name]!r} and {layer!r};"
                        " labels must be unique across layers"
                    )
                if "-" in name:
                    raise ValueError(f"{origin}: label {name!r} may not contain '-' (BIO prefix)")
                seen[name] = layer
                spec = spec or {}
                labels.append(
                    Label(name, layer, str(spec.get("definition", "")), str(spec.get("colour", "#cccccc")),
                          spec.get("role"))
                )
            layers[layer] = tuple(labels)
            unit = (body or {}).get("unit", "span")
            if unit not in UNITS:
                raise ValueError(f"{origin}: layer {layer!r} has unit {unit!r}; use one of {', '.join(UNITS)}")
            units[layer] = unit
        return cls(layers=layers, version=int(raw.get("version", 1)), units=units)

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "layers": {
                layer: {
                    "unit": self.unit(layer),
                    "labels": {
                        label.name: {"definition": label.definition, "colour": label.colour,
                                     **({"role": label.role} if label.role else {})}
                        for label in labels
                    }
                }
                for layer, labels in self.layers.items()
            },
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(
            yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers)

    def layer_of(self, label: str) -> str | None:
        """The layer a label belongs to, or None when the schema does not know it."""
        for layer, labels in self.layers.items():
            if any(item.name == label for item in labels):
                return layer
        return None

    def unit(self, layer: str) -> str:
        """"span" or "sentence": what the layer's labels are predicted and scored on."""
        return self.units.get(layer, "span")

    def labels(self, layer: str) -> list[str]:
        return [label.name for label in self.layers[layer]]

    def bio_tags(self, layer: str) -> list[str]:
        """IOB2 tag inventory of one layer: 'O' first, then B-/I- per label."""
        tags = ["O"]
        for name in self.labels(layer):
            tags += [f"B-{name}", f"I-{name}"]
        return tags

    def roles(self) -> dict[str, str]:
        """label -> role, for the labels that declare one."""
        return {label.name: label.role for labels in self.layers.values() for label in labels if label.role}

    def colours(self) -> dict[str, str]:
        return {label.name: label.colour for labels in self.layers.values() for label in labels}
