"""The compact offline encoder: a WordPiece tokenizer trained on local text and a small BERT.

Used when CAMeLBERT cannot be downloaded (CI, air-gapped newsrooms) or when asked for with
``BASE_MODEL=compact``. Built entirely from local text with no network: the seeds, the
annotation texts, and a corpus when one is given. ``make pretrain`` turns it into a
domain-adapted encoder with masked-LM training.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import BertConfig, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Arabic-aware normalisation inside the tokenizer only (offsets come from the raw text):
# NFKC folds presentation forms (ﻷ → لأ) and Arabic-Indic digits; tatweel and the harakat
# carry no lexical meaning in news text, so they are removed; alef variants are unified
# because scraped pages spell hamza inconsistently.
ARABIC_NORMALIZER = normalizers.Sequence([
    normalizers.NFKC(),
    normalizers.Replace("\u0640", ""),                              # tatweel
    normalizers.Replace(Regex("[\u064B-\u0652\u0670]"), ""),  # harakat, dagger alef
    normalizers.Replace(Regex("[إأآٱ]"), "ا"),
    normalizers.Lowercase(),
])


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 1) -> PreTrainedTokenizerFast:
    """Train a WordPiece tokenizer on ``texts`` and wrap it as a transformers fast tokenizer."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = ARABIC_NORMALIZER
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS,
        continuing_subword_prefix="##",
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=512,
    )


def compact_config(vocab_size: int, hidden_size: int, layers: int, heads: int,
                   max_positions: int = 512) -> BertConfig:
    """A small BERT (as trained by default, 4 layers × 256: ~7M parameters plus embeddings)."""
    return BertConfig(
        vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=layers,
        num_attention_heads=heads, intermediate_size=hidden_size * 4,
        max_position_embeddings=max_positions,
    )
