"""Predictor: load a model dir once, then ``predict(texts) -> list[Document]``.

The API, batch scoring, pre-annotation and evaluation all call this; none of them decodes
spans on its own (flair's ``predict`` pattern). Windows of many documents are sorted by
length and batched together to cut padding; each word is read from the window where it has
most context. Span layers are decoded from per-word tags; the sentence layer (claims) from
per-sentence probabilities and the thresholds stored with the model. When the model dir
carries classical models (:mod:`model.classical`), their probabilities are blended in before
decoding: per layer, ``(1 - w) · network + w · classical`` with the weight ``w`` stored in the
architecture (chosen on held-out training documents, :mod:`training.calibrate`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from pathlib import Path

import torch

from model.alignment import (
    EncodedDocument,
    encode_documents,
    make_windows,
    owning_windows,
    tags_to_spans,
    words_in_window,
)
from model.classical import ClassicalModels
from model.document import ClaimSentence, Document, Span, attributed_source, spans_within
from model.events import event_record
from model.lexicon import Lexicon
from model.modeldir import ModelDir
from model.network import MultiLayerTagger
from model.schema import Schema
from model.sentences import sentence_of_words, sentence_spans
from model.word_features import WordFeaturizer

log = logging.getLogger(__name__)
# A batch takes the next (longer) window only while that adds little padding: at most this
# factor of the batch's shortest window, plus a few tokens. Sorting alone let a batch of
# headlines pad up to a 500-token article: half the tokens computed were padding.
BATCH_WIDTH_GROWTH = 1.25
BATCH_WIDTH_SLACK = 8
ENTITY_LAYER, SOURCE_LAYER = "entities", "sources"


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
    """One document's raw predictions: per span layer and word, (tag index, its probability);
    its sentences and, per sentence, the probability of each sentence-layer label."""

    tags: dict[str, list[int]]
    probs: dict[str, list[float]]
    sentences: list[tuple[int, int]]
    sentence_probs: list[list[float]]


class Predictor:
    """A loaded model ready to tag texts. Thread-safe for concurrent ``predict`` calls."""

    def __init__(self, model: MultiLayerTagger, tokenizer, schema: Schema, info: dict,
                 device: torch.device, featurizer: WordFeaturizer, batch_tokens: int = 8192,
                 max_length: int | None = None, classical: ClassicalModels | None = None):
        if featurizer.spec.to_dict() != model.spec.to_dict():
            raise ValueError("the word features do not match the ones the model was trained with "
                             "(the lexicon in the model dir was changed?); retrain with `make train`")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.schema = schema
        self.info = info
        self.device = device
        self.featurizer = featurizer
        self.batch_tokens = batch_tokens
        self.max_length = min(max_length or model.max_length(), model.max_length())
        self.roles = schema.roles()
        self.thresholds = model.thresholds()
        self.classical = classical
        # Per layer, the weight of the classical model in the blend (none without classical models).
        self.blend = model.blend() if classical is not None else {}

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
        lexicon_path = model_dir.lexicon_path()
        featurizer = WordFeaturizer(Lexicon.load(lexicon_path) if lexicon_path else None)
        info = model_dir.info()
        info["quantize"] = quantize or "none"
        info["device"] = str(target)
        # Windows as long as in training: positions past it were never trained.
        options.setdefault("max_length", info.get("max_length"))
        classical = model_dir.classical_dir()
        options.setdefault("classical", ClassicalModels.load(classical, featurizer.lexicon) if classical else None)
        return cls(model, model_dir.tokenizer(), model_dir.schema(), info, target, featurizer, **options)

    # -- inference ---------------------------------------------------------------------------

    def predict(self, texts: list[str], dates: list[date | None] | None = None) -> list[Document]:
        """Tag every text; spans index the given strings exactly (``text[start:end]``).
        ``dates``: each article's publication date (or None), to resolve relative dates."""
        return [document for document, _ in self.predict_with_scores(texts, dates)]

    def predict_with_scores(self, texts: list[str], dates: list[date | None] | None = None
                            ) -> list[tuple[Document, WordScores]]:
        """Like :meth:`predict`, with each document's raw scores from the same forward pass
        (pre-annotation ranks documents by them)."""
        encoded = encode_documents(self.tokenizer, texts)
        scores = self.word_scores(texts, encoded)
        dates = dates or [None] * len(texts)
        return [(self._decode(text, doc, score, published), score)
                for text, doc, score, published in zip(texts, encoded, scores, dates)]

    @torch.inference_mode()
    def word_scores(self, texts: list[str], encoded: list[EncodedDocument]) -> list[WordScores]:
        """Run the network over all windows of all documents; return each word's best tags and
        each sentence's label probabilities."""
        rows = [self.featurizer.features([text[s:e] for s, e in doc.words]) for text, doc in zip(texts, encoded)]
        windows_per_doc = [
            make_windows(doc, self.max_length, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id)
            for doc in encoded
        ]
        inputs = [(window, words_in_window(doc, window), doc, doc_rows)
                  for doc, windows, doc_rows in zip(encoded, windows_per_doc, rows) for window in windows]
        states = self._run(inputs)
        # Where each window's word states start in the concatenation of _run's outputs.
        offsets = list(accumulate((len(words) for _, words, _, _ in inputs), initial=0))
        results, first_window = [], 0
        for text, doc, windows, doc_rows in zip(texts, encoded, windows_per_doc, rows):
            owners = owning_windows(doc, windows) if windows else []
            index = torch.tensor([offsets[first_window + window] + word - inputs[first_window + window][1].start
                                  for word, (window, _) in enumerate(owners)], dtype=torch.long)
            first_window += len(windows)
            owned = states[index.to(states.device)]
            tag_probabilities = self._blend_words(text, doc, {
                layer: logits.float().softmax(-1).cpu() for layer, logits in self.model.span_logits(owned).items()})
            best = {layer: probabilities.max(-1) for layer, probabilities in tag_probabilities.items()}
            sentences = sentence_spans(text)
            probabilities = torch.zeros(len(sentences), len(self.model.sentence_labels))
            if self.model.sentence_layer and sentences and doc.words:
                groups = torch.tensor(sentence_of_words(doc.words, sentences), device=states.device)
                features = torch.tensor(doc_rows, device=states.device)
                probabilities = self._blend_sentences(text, sentences, self.model.sentence_logits(
                    owned, groups, len(sentences), features).float().sigmoid().cpu())
            results.append(WordScores(
                tags={layer: scores.indices.tolist() for layer, scores in best.items()},
                probs={layer: scores.values.tolist() for layer, scores in best.items()},
                sentences=sentences, sentence_probs=probabilities.cpu().tolist(),
            ))
        return results

    def _blend_words(self, text: str, doc: EncodedDocument, probabilities: dict[str, torch.Tensor]
                     ) -> dict[str, torch.Tensor]:
        """Per span layer, (words, tags) tag probabilities with the CRF's marginals blended in."""
        layers = {layer: self.model.span_tags[layer] for layer in probabilities if self.blend.get(layer)}
        if not layers or not doc.words:
            return probabilities
        marginals = self.classical.crf.marginals(text, doc.words, layers)
        for layer, table in marginals.items():
            weight = self.blend[layer]
            probabilities[layer] = (1 - weight) * probabilities[layer] + weight * torch.from_numpy(table)
        return probabilities

    def _blend_sentences(self, text: str, sentences: list[tuple[int, int]], probabilities: torch.Tensor
                         ) -> torch.Tensor:
        """(sentences, labels) sentence-layer probabilities with the TF-IDF classifier's blended in."""
        weight = self.blend.get(self.model.sentence_layer, 0.0)
        if not weight or self.classical.claims is None:
            return probabilities
        classical = self.classical.claims.probabilities([text[start:end] for start, end in sentences],
                                                        self.model.sentence_labels)
        return (1 - weight) * probabilities + weight * torch.from_numpy(classical)

    def _run(self, inputs: list[tuple]) -> torch.Tensor:
        """Forward passes over windows batched by length; the word states of every window's
        words (in window order, words in text order), concatenated: ``(words, D)``."""
        if not inputs:
            return torch.empty(0, 2 * self.model.lstm.hidden_size, device=self.device)
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i][0].input_ids))
        pieces: list = [None] * len(inputs)
        pad = self.tokenizer.pad_token_id
        start = 0
        while start < len(order):
            end = start + 1
            shortest = len(inputs[order[start]][0].input_ids)
            # Sorted ascending, so the last window in a batch sets its padded width.
            while end < len(order):
                width = len(inputs[order[end]][0].input_ids)
                too_wide = width > shortest * BATCH_WIDTH_GROWTH + BATCH_WIDTH_SLACK
                if too_wide or (end - start + 1) * width > self.batch_tokens:
                    break
                end += 1
            batch = [inputs[i] for i in order[start:end]]
            width = len(batch[-1][0].input_ids)
            most_words = max(len(words) for _, words, _, _ in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            positions = torch.zeros((len(batch), most_words), dtype=torch.long)
            features = torch.zeros((len(batch), most_words, self.model.spec.slots), dtype=torch.long)
            for row, (window, words, doc, doc_rows) in enumerate(batch):
                ids[row, : len(window.input_ids)] = torch.tensor(window.input_ids)
                mask[row, : len(window.input_ids)] = 1
                if words:
                    positions[row, : len(words)] = torch.tensor(
                        [doc.first_token[word] - window.token_start + 1 for word in words])
                    features[row, : len(words)] = torch.tensor([doc_rows[word] for word in words])
            states = self.model.word_states(ids.to(self.device), mask.to(self.device),
                                            positions.to(self.device), features.to(self.device))
            for row, index in enumerate(order[start:end]):
                pieces[index] = states[row, : len(inputs[index][1])]
            start = end
        return torch.cat(pieces)

    def _decode(self, text: str, doc: EncodedDocument, scores: WordScores, published: date | None) -> Document:
        layers: dict[str, list] = {}
        for layer, tag_names in self.model.span_tags.items():
            tags = [tag_names[index] for index in scores.tags[layer]]
            layers[layer] = [
                Span(start, end, label, text[start:end], sum(scores.probs[layer][i] for i in indices) / len(indices))
                for start, end, label, indices in tags_to_spans(text, doc.words, tags)
            ]
        if self.model.sentence_layer:
            layers[self.model.sentence_layer] = self._claims(text, layers, scores, published)
        return Document(text, {layer: layers[layer] for layer in self.schema.layer_names if layer in layers},
                        published)

    def _claims(self, text: str, layers: dict[str, list[Span]], scores: WordScores,
                published: date | None) -> list[ClaimSentence]:
        """One :class:`ClaimSentence` per sentence with at least one label over its threshold."""
        entities, sources = layers.get(ENTITY_LAYER, []), layers.get(SOURCE_LAYER, [])
        labels, thresholds = self.model.sentence_labels, self.thresholds
        claims = []
        for index, ((start, end), probabilities) in enumerate(zip(scores.sentences, scores.sentence_probs)):
            types = {label: p for label, p, threshold in zip(labels, probabilities, thresholds) if p >= threshold}
            if not types:
                continue
            inside = spans_within(entities, start, end)
            source = attributed_source(sources, scores.sentences, index)
            claims.append(ClaimSentence(
                start, end, text[start:end], dict(sorted(types.items(), key=lambda item: -item[1])),
                inside, source, event_record(text, inside, source, self.roles, published)))
        return claims
