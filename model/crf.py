"""The CRF of the span layers: the baseline the network has to beat, and its partner in the blend.

:class:`CrfTagger` is a linear-chain CRF (sklearn-crfsuite) per span layer, on word-level IOB2
tags derived from the gold character spans with the project's own alignment
(:func:`model.alignment.spans_to_tags` / :func:`model.alignment.tags_to_spans`), one sequence
per sentence. Features are the textbook set (word shape, affixes, a clitic-stripped stem, ±2
neighbours). As the *baseline* of ``make eval`` it has no lexicon; the CRF a model dir carries
also gets the lexicon tags (:meth:`model.lexicon.Lexicon.word_tags`) of each word and its ±1
neighbours, the gazetteer features a CRF is usually given (measured in the README: they lift
it on unseen articles, sources most). Saved as crfsuite's own model files, no pickle.
"""

from __future__ import annotations

import json
import shutil
import threading
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy
import regex
from sklearn_crfsuite import CRF

from model.alignment import spans_to_tags, tags_to_spans
from model.document import Document, Span
from model.lexicon import GROUPS, Lexicon
from model.schema import Schema
from model.sentences import sentence_spans
from model.words import is_word_char, word_spans

CRF_LAYERS = ("entities", "sources")
LEXICON_CONTEXT = 1  # lexicon tags of the words this far either side (±2 scored lower on held-out seeds)
CRF_FEATURES_FILE = "crf-features.json"

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


def lexicon_features(words: list[str], lexicon: Lexicon, context: int = LEXICON_CONTEXT) -> list[dict]:
    """Per word, the lexicon tag (IOB2, per group) of itself and of its ±``context``
    neighbours: ``{"+0:lex_entities": "B-GPE", "-1:lex_cues": "B-ATTRIBUTION", ...}``."""
    tags = {group: lexicon.word_tags(words, group) for group in GROUPS if lexicon.groups.get(group)}
    rows = []
    for index in range(len(words)):
        row = {}
        for offset in range(-context, context + 1):
            if 0 <= index + offset < len(words):
                row.update({f"{offset:+d}:lex_{group}": group_tags[index + offset]
                            for group, group_tags in tags.items()})
        rows.append(row)
    return rows


@dataclass
class CrfTagger:
    """One fitted CRF per span layer; build with :meth:`fit` or :meth:`load`. With a
    ``lexicon``, every word also carries :func:`lexicon_features`."""

    models: dict[str, CRF]
    lexicon: Lexicon | None = None
    lexicon_context: int = LEXICON_CONTEXT
    # A crfsuite tagger holds the sequence it tags (``set``, then read ``marginal`` per word):
    # two threads tagging at once read each other's sequence. The server's threads share a
    # model, so tagging takes turns.
    _tagging: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def _sentence_features(self, text: str, words: list[tuple[int, int]], sentence: list[int]) -> list[dict]:
        surface = [text[words[index][0]:words[index][1]] for index in sentence]
        features = sequence_features(surface)
        if self.lexicon is not None:
            for own, lexical in zip(features, lexicon_features(surface, self.lexicon, self.lexicon_context)):
                own.update(lexical)
        return features

    @classmethod
    def fit(cls, documents: list[dict], schema: Schema, layers: tuple[str, ...] = CRF_LAYERS,
            c1: float = 0.1, c2: float = 0.1, max_iterations: int = 150,
            lexicon: Lexicon | None = None) -> CrfTagger:
        """Train a CRF (L-BFGS, elastic net ``c1``/``c2``) for each of ``layers`` the schema has,
        with lexicon features when ``lexicon`` is given."""
        tagger = cls({}, lexicon)
        sequences, tags = [], {layer: [] for layer in layers if layer in schema.layers}
        for document in documents:
            text = document["text"]
            words = word_spans(text)
            per_layer = {layer: spans_to_tags(words, [span for span in document["spans"]
                                                      if schema.layer_of(span["label"]) == layer])
                         for layer in tags}
            for sentence in _sentences_of_words(text, words):
                sequences.append(tagger._sentence_features(text, words, sentence))
                for layer, layer_tags in per_layer.items():
                    tags[layer].append([layer_tags[i] for i in sentence])
        for layer, layer_tags in tags.items():
            # all_possible_transitions: transitions never seen in training (e.g. O → I-x) get a
            # weight too, which training drives negative, instead of a neutral zero.
            model = CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=max_iterations,
                        all_possible_transitions=True)
            model.fit(sequences, layer_tags)
            tagger.models[layer] = model
        return tagger

    def save(self, folder: Path) -> None:
        """One crfsuite model file per layer, ``crf-<layer>.crfsuite``, in ``folder``, and
        ``crf-features.json`` saying whether the features include the lexicon's."""
        folder.mkdir(parents=True, exist_ok=True)
        for layer, model in self.models.items():
            shutil.copyfile(model.modelfile.name, folder / f"crf-{layer}.crfsuite")
        (folder / CRF_FEATURES_FILE).write_text(json.dumps({"lexicon": self.lexicon is not None,
                                                            "lexicon_context": self.lexicon_context}))

    @classmethod
    def load(cls, folder: Path, lexicon: Lexicon | None = None) -> CrfTagger:
        """The CRFs saved in ``folder``. ``lexicon`` (the model dir's copy) is required when
        they were trained with lexicon features, and ignored when they were not."""
        features_file = Path(folder) / CRF_FEATURES_FILE
        saved = json.loads(features_file.read_text()) if features_file.is_file() else {}
        uses_lexicon = saved.get("lexicon", False)
        if uses_lexicon and lexicon is None:
            raise ValueError(f"the CRF in {folder} was trained with lexicon features, but the model dir "
                             "has no lexicon.yaml; copy the training lexicon back or retrain")
        return cls({path.stem.removeprefix("crf-"): CRF(model_filename=str(path))
                    for path in sorted(Path(folder).glob("crf-*.crfsuite"))},
                   lexicon if uses_lexicon else None, saved.get("lexicon_context", LEXICON_CONTEXT))

    def marginals(self, text: str, words: list[tuple[int, int]], tags: dict[str, list[str]]
                  ) -> dict[str, numpy.ndarray]:
        """Per fitted layer in ``tags``: (words, tags) marginal probabilities of each word's tag,
        columns in the order of ``tags[layer]`` (a tag the CRF never saw gets 0)."""
        sentences = _sentences_of_words(text, words)
        features = [self._sentence_features(text, words, sentence) for sentence in sentences]
        result = {}
        for layer, inventory in tags.items():
            if layer not in self.models:
                continue
            column = {tag: index for index, tag in enumerate(inventory)}
            table = numpy.zeros((len(words), len(inventory)), dtype=numpy.float32)
            with self._tagging:
                per_sentence = self.models[layer].predict_marginals(features)
            for sentence, marginals in zip(sentences, per_sentence):
                for index, marginal in zip(sentence, marginals):
                    for tag, probability in marginal.items():
                        if tag in column:
                            table[index, column[tag]] = probability
            result[layer] = table
        return result

    def predict(self, texts: list[str]) -> list[Document]:
        """One :class:`Document` per text with a span list per fitted layer; spans have exact
        offsets into the text and ``confidence`` is the mean CRF marginal of their words' tags."""
        documents = []
        for text in texts:
            words = word_spans(text)
            sentences = _sentences_of_words(text, words)
            features = [self._sentence_features(text, words, sentence) for sentence in sentences]
            layers = {}
            for layer, model in self.models.items():
                # Every word is in a sentence, so every slot is overwritten below.
                tags, confidence = ["O"] * len(words), [0.0] * len(words)
                with self._tagging:
                    predicted, per_sentence = model.predict(features), model.predict_marginals(features)
                for sentence, labels, marginals in zip(sentences, predicted, per_sentence):
                    for index, label, marginal in zip(sentence, labels, marginals):
                        tags[index], confidence[index] = label, marginal[label]
                layers[layer] = [Span(start, end, label, text[start:end],
                                      sum(confidence[i] for i in indices) / len(indices))
                                 for start, end, label, indices in tags_to_spans(text, words, tags)]
            documents.append(Document(text, layers))
        return documents
