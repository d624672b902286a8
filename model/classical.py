"""Classical models: the baselines the network has to beat, and the partners it is blended with.

* :class:`model.crf.CrfTagger`: a CRF per span layer (entities, sources);
* :class:`model.tfidf_claims.TfidfClaims`: TF-IDF + logistic regression per claim type.

Both take the annotated documents of :func:`training.train.load_documents` (dicts with
``text`` and ``spans``) and predict from raw texts, so they slot into the same folds as the
network: ``make eval`` scores them alone, without a lexicon, as baselines. A model dir also
carries both, fitted on its training documents *with* the lexicon's features (and word
n-grams for claims), and the
:class:`model.predictor.Predictor` blends their probabilities (CRF marginals per word, TF-IDF
probabilities per sentence) with the network's: few annotated articles favour sparse linear
models on rare labels, the network on context, and the blend beats each alone (README,
Evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.crf import CrfTagger
from model.lexicon import Lexicon
from model.schema import Schema
from model.tfidf_claims import CLAIM_LAYER, PARTNER_C, TfidfClaims


@dataclass
class ClassicalModels:
    """The classical partners a model dir carries (see the module docstring): the CRF for the
    span layers and, when the schema has claims, the TF-IDF claim classifier."""

    crf: CrfTagger
    claims: TfidfClaims | None

    @classmethod
    def fit(cls, documents: list[dict], schema: Schema, lexicon: Lexicon | None = None) -> ClassicalModels:
        """Fit both on ``documents``, with the lexicon's features when ``lexicon`` is given (and
        word n-grams beside the character n-grams of the claim classifier, regularised less:
        :data:`model.tfidf_claims.PARTNER_C`)."""
        claims = (TfidfClaims.fit(documents, schema, lexicon, word_ngrams=True, inverse_regularization=PARTNER_C)
                  if CLAIM_LAYER in schema.layers else None)
        return cls(CrfTagger.fit(documents, schema, lexicon=lexicon), claims)

    def save(self, folder: Path) -> None:
        self.crf.save(folder)
        if self.claims is not None:
            self.claims.save(folder)

    @classmethod
    def load(cls, folder: Path, lexicon: Lexicon | None = None) -> ClassicalModels:
        """The models saved in ``folder``; ``lexicon``: the model dir's copy, required when they
        were trained with lexicon features."""
        return cls(CrfTagger.load(folder, lexicon), TfidfClaims.load(folder, lexicon))
