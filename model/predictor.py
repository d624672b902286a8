"""Predictor: load a model dir once, then ``predict(texts) -> list[Document]``.

The API, batch scoring and evaluation all call this; none of them decodes spans on its own
(flair's ``predict`` pattern). Windows of many documents are sorted by length and batched
together to cut padding; each word is read from the window where it has most context.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import torch

from model.alignment import EncodedDocument, Window, encode_documents, make_windows, owning_windows, tags_to_spans
from model.document import Document, Span, link_claims
from model.modeldir import ModelDir
from model.network import MultiLayerTagger
from model.schema import Schema

log = logging.getLogger(__name__)
# A batch takes the next (longer) window only while that adds little padding: at most this
# factor of the batch's shortest window, plus a few tokens. Sorting alone let a batch of
# headlines pad up to a 500-token article: half the tokens computed were padding.
BATCH_WIDTH_GROWTH = 1.25
BATCH_WIDTH_SLACK = 8


class DeviceError(RuntimeError):
    """The requested device cannot be used (e.g. ``cuda`` on a machine without a GPU)."""


def resolve_device(device: str) -> torch.device:
    """'auto' → cuda when available else cpu; 'cuda' without a GPU is a clear error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} was requested but PyTorch sees no CUDA GPU on this machine "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}). "
            "Use --device cpu, or install a CUDA build of torch on a GPU machine."
        )
    if device not in ("cpu",) and not device.startswith("cuda"):
        raise DeviceError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


@dataclass
class WordScores:
    """Per layer, per word: (tag index, probability of that tag)."""

    tags: dict[str, list[int]]
    probs: dict[str, list[float]]


class Predictor:
    """A loaded model ready to tag texts. Thread-safe for concurrent ``predict`` calls."""

    def __init__(self, model: MultiLayerTagger, tokenizer, schema: Schema, info: dict,
                 device: torch.device, batch_tokens: int = 8192, max_length: int | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.schema = schema
        self.info = info
        self.device = device
        self.batch_tokens = batch_tokens
        self.max_length = min(max_length or model.max_length(), model.max_length())

    @classmethod
    def load(cls, model_dir: str | Path, device: str = "auto", quantize: str | None = None,
             **options) -> Predictor:
        """Load a model dir written by training. ``device``: auto | cpu | cuda[:n].

        On CUDA the weights run in bfloat16 where supported, else float16. ``quantize='int8'``
        applies dynamic int8 quantization of Linear layers (CPU only).
        """
        model_dir = ModelDir(model_dir).check()  # NotAModelDir (a FileNotFoundError) says what is missing
        target = resolve_device(device)
        model = MultiLayerTagger.load(model_dir.path)
        if quantize == "int8":
            if target.type != "cpu":
                raise DeviceError("--quantize int8 runs on the CPU only; use half precision on CUDA")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif quantize not in (None, "none"):
            raise ValueError(f"unknown quantization {quantize!r}; use int8 or none")
        if target.type == "cuda":
            model = model.to(torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
        model.to(target)
        tokenizer = model_dir.tokenizer()
        schema = model_dir.schema()
        info = model_dir.info()
        info["quantize"] = quantize or "none"
        info["device"] = str(target)
        # Windows as long as in training: positions past it were never trained.
        options.setdefault("max_length", info.get("max_length"))
        return cls(model, tokenizer, schema, info, target, **options)

    # -- inference ---------------------------------------------------------------------------

    def predict(self, texts: list[str]) -> list[Document]:
        """Tag every text; spans index the given strings exactly (``text[start:end]``)."""
        return [document for document, _ in self.predict_with_scores(texts)]

    def predict_with_scores(self, texts: list[str]) -> list[tuple[Document, WordScores]]:
        """Like :meth:`predict`, with each document's per-word scores from the same forward pass
        (pre-annotation ranks documents by them)."""
        encoded = encode_documents(self.tokenizer, texts)
        scores = self.word_scores(encoded)
        return [(self._decode(text, doc, score), score) for text, doc, score in zip(texts, encoded, scores)]

    def word_scores(self, encoded: list[EncodedDocument]) -> list[WordScores]:
        """Run the network over all windows of all documents; return each word's best tags."""
        windows_per_doc = [
            make_windows(doc, self.max_length, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id)
            for doc in encoded
        ]
        flat = [window for windows in windows_per_doc for window in windows]
        logits = self._run(flat)
        # Where each window's positions start in the concatenated outputs of _run.
        offsets = list(accumulate((len(window.input_ids) for window in flat), initial=0))
        results, first_window = [], 0
        for doc, windows in zip(encoded, windows_per_doc):
            owners = owning_windows(doc, windows) if windows else []
            index = torch.tensor([offsets[first_window + window] + position for window, position in owners],
                                 dtype=torch.long)
            first_window += len(windows)
            # Softmax only at the positions that own a word: not on padding, later subwords
            # or the overlap a word is not read from.
            best = {layer: values[index].softmax(-1).max(-1) for layer, values in logits.items()}
            results.append(WordScores(
                tags={layer: scores.indices.tolist() for layer, scores in best.items()},
                probs={layer: scores.values.tolist() for layer, scores in best.items()},
            ))
        return results

    @torch.inference_mode()
    def _run(self, windows: list[Window]) -> dict[str, torch.Tensor]:
        """Forward passes over windows batched by length. Per layer, float32 logits
        ``(positions, tags)`` of every position of every window, concatenated in window order,
        on the CPU."""
        layers = list(self.model.layer_tags)
        if not windows:
            return {layer: torch.empty(0, len(tags)) for layer, tags in self.model.layer_tags.items()}
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        pieces: dict[str, list] = {layer: [None] * len(windows) for layer in layers}
        pad = self.tokenizer.pad_token_id
        start = 0
        while start < len(order):
            end = start + 1
            shortest = len(windows[order[start]].input_ids)
            # Sorted ascending, so the last window in a batch sets its padded width.
            while end < len(order):
                width = len(windows[order[end]].input_ids)
                too_wide = width > shortest * BATCH_WIDTH_GROWTH + BATCH_WIDTH_SLACK
                if too_wide or (end - start + 1) * width > self.batch_tokens:
                    break
                end += 1
            batch = [windows[i] for i in order[start:end]]
            width = len(batch[-1].input_ids)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, window in enumerate(batch):
                ids[row, : len(window.input_ids)] = torch.tensor(window.input_ids)
                mask[row, : len(window.input_ids)] = 1
            output = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))
            for layer in layers:
                # Tensors, not Python tuples per position: only the positions that own a
                # word are ever read, and word_scores gathers them in one indexing call.
                values = output[f"logits_{layer}"].float().cpu()
                for row, index in enumerate(order[start:end]):
                    pieces[layer][index] = values[row, : len(windows[index].input_ids)]
            start = end
        return {layer: torch.cat(parts) for layer, parts in pieces.items()}

    def _decode(self, text: str, doc: EncodedDocument, scores: WordScores) -> Document:
        layers: dict[str, list[Span]] = {}
        for layer, tag_names in self.model.layer_tags.items():
            tags = [tag_names[index] for index in scores.tags[layer]]
            spans = []
            for start, end, label, indices in tags_to_spans(text, doc.words, tags):
                confidence = sum(scores.probs[layer][i] for i in indices) / len(indices)
                spans.append(Span(start, end, label, text[start:end], confidence))
            layers[layer] = spans
        link_claims(text, layers)
        return Document(text, layers)
