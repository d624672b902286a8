"""Classical baselines trained on the same folds as the network: what it has to beat.

* :class:`CrfBaseline`: a linear-chain CRF (sklearn-crfsuite) per span layer, on word-level
  IOB2 tags derived from the gold character spans with the project's own alignment
  (:func:`model.alignment.spans_to_tags` / :func:`model.alignment.tags_to_spans`), one
  sequence per sentence. Features are the textbook set (word shape, affixes, a
  clitic-stripped stem, ±2 neighbours), deliberately without lexicons or gazetteers.
* :class:`TfidfClaimBaseline`: character n-gram TF-IDF and one logistic regression per claim
  type, predicting the set of claim types of each sentence
  (the gold of :func:`model.sentences.claim_types_per_sentence`).

Both take the annotated documents of :func:`training.train.load_documents` (dicts with
``text`` and ``spans``) and predict from raw texts, so they slot into the same folds.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy
import regex
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn_crfsuite import CRF

from model.alignment import spans_to_tags, tags_to_spans
from model.document import Document, Span
from model.schema import Schema
from model.sentences import claim_types_per_sentence, sentence_spans
from model.words import is_word_char, word_spans

CRF_LAYERS = ("entities", "sources")
CLAIM_LAYER = "claims"
THRESHOLD = 0.5  # a claim type is predicted for a sentence when its probability reaches this

_DIACRITICS = regex.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, Quranic marks, tatweel
_ALEFS = str.maketrans("أإآٱ", "اااا")
# Leading clitics: conjunction و/ف, preposition ب/ك/ل, article ال (ل + ال is written لل).
# The lookahead keeps at least two letters, so short words are not stripped to nothing.
_CLITICS = regex.compile(r"^(?:[وف]?[بكل]?ال|[وف]?لل|[وف]?[بكل]|[وف])(?=\p{L}{2})")
_LATIN = regex.compile(r"\p{Latin}")


def normalise(word: str) -> str:
    """Lower-cased NFKC form without diacritics or tatweel, with every alef form as bare ا.

    NFKC first, so presentation forms (ﻷ) become plain letters (لأ) before alefs are unified.
    """
    return _DIACRITICS.sub("", unicodedata.normalize("NFKC", word)).translate(_ALEFS).lower()


def strip_clitics(norm: str) -> tuple[str, bool]:
    """(stem, definite) of a normalised word: leading و ف ب ك ل and ال removed when at least
    two letters remain; ``definite`` says whether an article (ال or لل) was among them."""
    match = _CLITICS.match(norm)
    if not match:
        return norm, False
    prefix = match.group()
    return norm[len(prefix):], prefix.endswith(("ال", "لل"))


_LENGTH_BUCKETS = ((1, "1"), (2, "2"), (3, "3"), (5, "4-5"), (8, "6-8"))


def _length_bucket(length: int) -> str:
    return next((name for limit, name in _LENGTH_BUCKETS if length <= limit), "9+")


@lru_cache(maxsize=65536)
def _own_features(word: str) -> tuple[tuple[str, object], ...]:
    """The features a word carries whatever its position (cached: news text repeats words)."""
    norm = normalise(word)
    stem, definite = strip_clitics(norm)
    features = {
        "word": word, "norm": norm, "stem": stem, "definite": definite,
        "is_digit": word.isdigit(), "has_digit": any(char.isdigit() for char in word),
        "is_punct": not is_word_char(word[0]), "is_latin": bool(_LATIN.search(word)),
        "length": _length_bucket(len(norm)),
    }
    for size in (1, 2, 3):
        features[f"prefix{size}"] = norm[:size]
        features[f"suffix{size}"] = norm[-size:]
    return tuple(features.items())


def sequence_features(words: list[str]) -> list[dict]:
    """CRF features of each word of one sentence: its own, then the normalised form, stem and
    two-letter affixes of the words one and two positions away, plus BOS/EOS at the edges."""
    own = [dict(_own_features(word)) for word in words]
    sequence = []
    for index, features in enumerate(own):
        current = {"bias": 1.0, **features}
        for offset in (-2, -1, 1, 2):
            position = index + offset
            if 0 <= position < len(own):
                neighbour = own[position]
                for key in ("norm", "stem", "prefix2", "suffix2"):
                    current[f"{offset:+d}:{key}"] = neighbour[key]
        current["BOS"] = index == 0
        current["EOS"] = index == len(own) - 1
        sequence.append(current)
    return sequence


def _sentences_of_words(text: str, words: list[tuple[int, int]]) -> list[list[int]]:
    """Word indices grouped by sentence, dropping sentences without words. Every non-space
    character lies in one sentence, so the sentence of a word is the one its start is in."""
    starts = [start for start, _ in sentence_spans(text)]
    groups: dict[int, list[int]] = {}
    for index, (start, _) in enumerate(words):
        groups.setdefault(bisect_right(starts, start) - 1, []).append(index)
    return [groups[key] for key in sorted(groups)]


def _sentence_features(text: str, words: list[tuple[int, int]], sentence: list[int]) -> list[dict]:
    return sequence_features([text[words[index][0]:words[index][1]] for index in sentence])


@dataclass
class CrfBaseline:
    """One fitted CRF per span layer; build with :meth:`fit`."""

    models: dict[str, CRF]

    @classmethod
    def fit(cls, documents: list[dict], schema: Schema, layers: tuple[str, ...] = CRF_LAYERS,
            c1: float = 0.1, c2: float = 0.1, max_iterations: int = 150) -> CrfBaseline:
        """Train a CRF (L-BFGS, elastic net ``c1``/``c2``) for each of ``layers`` the schema has."""
        sequences, tags = [], {layer: [] for layer in layers if layer in schema.layers}
        for document in documents:
            text = document["text"]
            words = word_spans(text)
            per_layer = {layer: spans_to_tags(words, [span for span in document["spans"]
                                                      if schema.layer_of(span["label"]) == layer])
                         for layer in tags}
            for sentence in _sentences_of_words(text, words):
                sequences.append(_sentence_features(text, words, sentence))
                for layer, layer_tags in per_layer.items():
                    tags[layer].append([layer_tags[i] for i in sentence])
        models = {}
        for layer, layer_tags in tags.items():
            # all_possible_transitions: transitions never seen in training (e.g. O → I-x) get a
            # weight too, which training drives negative, instead of a neutral zero.
            model = CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=max_iterations,
                        all_possible_transitions=True)
            model.fit(sequences, layer_tags)
            models[layer] = model
        return cls(models)

    def predict(self, texts: list[str]) -> list[Document]:
        """One :class:`Document` per text with a span list per fitted layer; spans have exact
        offsets into the text and ``confidence`` is the mean CRF marginal of their words' tags."""
        documents = []
        for text in texts:
            words = word_spans(text)
            sentences = _sentences_of_words(text, words)
            features = [_sentence_features(text, words, sentence) for sentence in sentences]
            layers = {}
            for layer, model in self.models.items():
                # Every word is in a sentence, so every slot is overwritten below.
                tags, confidence = ["O"] * len(words), [0.0] * len(words)
                for sentence, labels, marginals in zip(sentences, model.predict(features),
                                                       model.predict_marginals(features)):
                    for index, label, marginal in zip(sentence, labels, marginals):
                        tags[index], confidence[index] = label, marginal[label]
                layers[layer] = [Span(start, end, label, text[start:end],
                                      sum(confidence[i] for i in indices) / len(indices))
                                 for start, end, label, indices in tags_to_spans(text, words, tags)]
            documents.append(Document(text, layers))
        return documents


@dataclass
class TfidfClaimBaseline:
    """Character n-gram TF-IDF + one-vs-rest logistic regression over a sentence's claim types."""

    vectorizer: TfidfVectorizer
    classifier: OneVsRestClassifier | None  # None when no claim type was learnable
    types: list[str]  # the claim types the classifier predicts, in column order

    @classmethod
    def fit(cls, documents: list[dict], schema: Schema) -> TfidfClaimBaseline:
        """Fit on every sentence of ``documents``; gold types per sentence come from
        :func:`model.sentences.claim_types_per_sentence`. Types with no positive (or no
        negative) training sentence are left out: they cannot be learnt and are never predicted."""
        claim_labels = schema.labels(CLAIM_LAYER) if CLAIM_LAYER in schema.layers else []
        sentences, gold = [], []
        for document in documents:
            claims = [span for span in document["spans"] if span["label"] in claim_labels]
            for start, end, types in claim_types_per_sentence(document["text"], claims):
                sentences.append(document["text"][start:end])
                gold.append(types)
        learnable = [label for label in claim_labels
                     if 0 < sum(label in types for types in gold) < len(gold)]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        if not learnable:
            return cls(vectorizer, None, [])
        matrix = vectorizer.fit_transform(sentences)
        targets = numpy.array([[label in types for label in learnable] for types in gold], dtype=int)
        classifier = OneVsRestClassifier(LogisticRegression(max_iter=1000, class_weight="balanced"))
        return cls(vectorizer, classifier.fit(matrix, targets), learnable)

    def predict(self, texts: list[str]) -> list[list[tuple[int, int, dict[str, float]]]]:
        """Per text, per sentence of :func:`model.sentences.sentence_spans`: (start, end,
        {claim type: probability}) holding the types whose probability is at least 0.5."""
        bounds = [sentence_spans(text) for text in texts]
        flat = [text[start:end] for text, spans in zip(texts, bounds) for start, end in spans]
        probabilities = [[] for _ in flat]
        if self.classifier is not None and flat:
            probabilities = self.classifier.predict_proba(self.vectorizer.transform(flat))
            if not self.classifier.multilabel_:
                # A single learnable type makes OneVsRest a binary classifier: [P(no), P(yes)].
                probabilities = probabilities[:, 1:]
        result, row = [], 0
        for spans in bounds:
            sentences = []
            for start, end in spans:
                predicted = {label: float(p) for label, p in zip(self.types, probabilities[row]) if p >= THRESHOLD}
                sentences.append((start, end, predicted))
                row += 1
            result.append(sentences)
        return result
