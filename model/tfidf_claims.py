"""The claim classifier of sentences: the baseline the network has to beat, and its partner in the blend.

:class:`TfidfClaims` is character n-gram TF-IDF and one logistic regression per claim type,
predicting the set of claim types of each sentence (the gold of
:func:`model.sentences.claim_types_per_sentence`). As the *baseline* of ``make eval`` it reads
nothing else; the one a model dir carries also gets, per sentence, how many cue words of each
kind the lexicon finds in it (``log(1 + count)`` per cue label of the lexicon's ``cues`` group:
ATTRIBUTION and one per claim type), measured in the README. Saved as an ``.npz`` of plain
arrays that loads without pickle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from model.lexicon import Lexicon
from model.schema import Schema
from model.sentences import claim_types_per_sentence, sentence_spans
from model.words import word_spans

CLAIM_LAYER = "claims"
THRESHOLD = 0.5  # a claim type is predicted for a sentence when its probability reaches this
# Inverse regularisation strength of the blended partner's regressions (the baseline keeps
# scikit-learn's 1.0). Chosen by 4-fold cross-validation over the written articles alone, not
# the seeds or the dev set: average precision over (sentence, type) pairs 0.750 at C=1, 0.760
# at 2, 0.766 at 4, 0.770 at 8, 0.772 at 16 (README, Evaluation).
PARTNER_C = 8.0
TFIDF_FILE = "claims-tfidf.npz"


def _char_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, vocabulary=vocabulary)


def _word_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """Word 1–2-grams; one-letter words count (``(?u)\\b\\w+\\b``, not scikit-learn's 2+ default)."""
    return TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
                           vocabulary=vocabulary)


def _restored(make_vectorizer, terms: list[str], idf: numpy.ndarray) -> TfidfVectorizer:
    """A fitted vectorizer rebuilt from its saved terms (in column order) and idf weights."""
    vectorizer = make_vectorizer({term: index for index, term in enumerate(terms)})
    vectorizer.idf_ = idf
    return vectorizer


def cue_counts(sentences: list[str], lexicon: Lexicon, cue_labels: list[str]) -> numpy.ndarray:
    """(sentences, cue labels) ``log(1 + n)``, n the lexicon's matches of that cue label in the
    sentence (:meth:`model.lexicon.Lexicon.match`, group ``cues``)."""
    table = numpy.zeros((len(sentences), len(cue_labels)), dtype=numpy.float32)
    column = {label: index for index, label in enumerate(cue_labels)}
    for row, sentence in enumerate(sentences):
        words = [sentence[start:end] for start, end in word_spans(sentence)]
        for label, count in Counter(match.label for match in lexicon.match(words, "cues")).items():
            if label in column:
                table[row, column[label]] = numpy.log1p(count)
    return table


def _vocabulary(vectorizer: TfidfVectorizer | None, prefix: str) -> dict[str, numpy.ndarray]:
    """``{prefix}terms`` (column order) and ``{prefix}idf`` of a fitted vectorizer; empty for None."""
    if vectorizer is None:
        return {f"{prefix}terms": numpy.array([], dtype=str), f"{prefix}idf": numpy.zeros(0)}
    return {f"{prefix}terms": numpy.asarray(vectorizer.get_feature_names_out(), dtype=str),
            f"{prefix}idf": vectorizer.idf_}  # float64: the loaded model predicts exactly what the fitted one did


@dataclass
class TfidfClaims:
    """Character n-gram TF-IDF (+ word n-grams, + lexicon cue counts) and one logistic
    regression per claim type.

    Keeps the regressions as plain arrays (``coef`` (types, character terms + word terms +
    cue labels), ``intercept`` (types,)): a type's probability is the logistic of its score,
    what scikit-learn's ``predict_proba`` computes, and the arrays save to an ``.npz`` that
    loads without pickle. ``cue_labels`` is empty exactly when ``lexicon`` is None.
    """

    vectorizer: TfidfVectorizer  # character 2–5-grams
    types: list[str]  # the claim types learnt, in row order of coef
    coef: numpy.ndarray
    intercept: numpy.ndarray
    lexicon: Lexicon | None = None
    cue_labels: list[str] = field(default_factory=list)  # the cue columns after the terms
    words: TfidfVectorizer | None = None  # word 1–2-grams, between the character terms and the cues

    @classmethod
    def fit(cls, documents: list[dict], schema: Schema, lexicon: Lexicon | None = None,
            word_ngrams: bool = False, inverse_regularization: float = 1.0) -> TfidfClaims:
        """Fit on every sentence of ``documents``; gold types per sentence come from
        :func:`model.sentences.claim_types_per_sentence`. Types with no positive (or no
        negative) training sentence are left out: they cannot be learnt and are never predicted.
        With a ``lexicon``, each sentence also carries :func:`cue_counts`; with ``word_ngrams``,
        word 1–2-gram TF-IDF beside the character n-grams. ``inverse_regularization`` is the
        regressions' ``C``."""
        claim_labels = schema.labels(CLAIM_LAYER) if CLAIM_LAYER in schema.layers else []
        sentences, gold = [], []
        for document in documents:
            claims = [span for span in document["spans"] if span["label"] in claim_labels]
            for start, end, types in claim_types_per_sentence(document["text"], claims):
                sentences.append(document["text"][start:end])
                gold.append(types)
        learnable = [label for label in claim_labels
                     if 0 < sum(label in types for types in gold) < len(gold)]
        cue_labels = list(lexicon.groups.get("cues", [])) if lexicon is not None else []
        model = cls(_char_vectorizer(), [], numpy.zeros((0, 0), numpy.float32), numpy.zeros(0, numpy.float32),
                    lexicon if cue_labels else None, cue_labels, _word_vectorizer() if word_ngrams else None)
        if not learnable:
            return model
        model.vectorizer.fit(sentences)
        if model.words is not None:
            model.words.fit(sentences)
        matrix = model._matrix(sentences)
        regressions = [LogisticRegression(C=inverse_regularization, max_iter=1000, class_weight="balanced")
                       .fit(matrix, [label in types for types in gold]) for label in learnable]
        model.types = learnable
        model.coef = numpy.vstack([r.coef_[0] for r in regressions]).astype(numpy.float32)
        model.intercept = numpy.array([r.intercept_[0] for r in regressions], dtype=numpy.float32)
        return model

    def _matrix(self, sentences: list[str]):
        """The regressions' input: character terms, then word terms and the cue columns when
        this model has them."""
        blocks = [self.vectorizer.transform(sentences)]
        if self.words is not None:
            blocks.append(self.words.transform(sentences))
        if self.lexicon is not None:
            blocks.append(sparse.csr_matrix(cue_counts(sentences, self.lexicon, self.cue_labels)))
        return blocks[0] if len(blocks) == 1 else sparse.hstack(blocks, format="csr")

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fitted = bool(self.types)  # no type learnt: the vectorizers were never fitted
        numpy.savez_compressed(folder / TFIDF_FILE, **_vocabulary(self.vectorizer if fitted else None, ""),
                               **_vocabulary(self.words if fitted else None, "word_"),
                               types=numpy.asarray(self.types, dtype=str), coef=self.coef, intercept=self.intercept,
                               cue_labels=numpy.asarray(self.cue_labels, dtype=str))

    @classmethod
    def load(cls, folder: Path, lexicon: Lexicon | None = None) -> TfidfClaims | None:
        """The model saved in ``folder``, or None when there is none. ``lexicon`` (the model
        dir's copy) is required when it was trained with cue counts, and ignored otherwise."""
        path = Path(folder) / TFIDF_FILE
        if not path.is_file():
            return None
        with numpy.load(path, allow_pickle=False) as arrays:
            terms = arrays["terms"].tolist()
            cue_labels = arrays["cue_labels"].tolist() if "cue_labels" in arrays else []
            if cue_labels and lexicon is None:
                raise ValueError(f"the claim classifier in {folder} was trained with lexicon cue counts, but the "
                                 "model dir has no lexicon.yaml; copy the training lexicon back or retrain")
            vectorizer = _restored(_char_vectorizer, terms, arrays["idf"]) if terms else _char_vectorizer()
            word_terms = arrays["word_terms"].tolist() if "word_terms" in arrays else []
            words = _restored(_word_vectorizer, word_terms, arrays["word_idf"]) if word_terms else None
            return cls(vectorizer, arrays["types"].tolist(), arrays["coef"], arrays["intercept"],
                       lexicon if cue_labels else None, cue_labels, words)

    def probabilities(self, sentences: list[str], labels: list[str]) -> numpy.ndarray:
        """(sentences, labels) probability of each label per sentence, columns in the order of
        ``labels``; 0 for labels this model did not learn."""
        table = numpy.zeros((len(sentences), len(labels)), dtype=numpy.float32)
        if not self.types or not sentences:
            return table
        scores = self._matrix(sentences) @ self.coef.T + self.intercept
        learnt = 1.0 / (1.0 + numpy.exp(-numpy.asarray(scores)))
        for column, label in enumerate(self.types):
            if label in labels:
                table[:, labels.index(label)] = learnt[:, column]
        return table

    def predict(self, texts: list[str]) -> list[list[tuple[int, int, dict[str, float]]]]:
        """Per text, per sentence of :func:`model.sentences.sentence_spans`: (start, end,
        {claim type: probability}) holding the types whose probability is at least 0.5."""
        result = []
        for text in texts:
            bounds = sentence_spans(text)
            probabilities = self.probabilities([text[start:end] for start, end in bounds], self.types)
            result.append([(start, end, {label: float(p) for label, p in zip(self.types, row) if p >= THRESHOLD})
                           for (start, end), row in zip(bounds, probabilities)])
        return result
