"""Word-level features for the tagger: what a small model cannot learn from a few articles.

Each word gets a fixed row of integer ids, one per *slot*:

* hashed slots — the normalised word, its clitic-stripped stem, 2- and 3-letter prefixes and
  suffixes, the stem's last three letters. Hashing (CRC-32 into ``HASH_BUCKETS``) needs no
  vocabulary file, so a model dir carries nothing but the bucket count, and an unseen word
  still shares its affix rows with words seen in training;
* ``shape`` — digits, Latin, punctuation, Arabic with or without the article, length class;
* one slot per lexicon group (``entities``, ``sources``, ``cues``) — the word's IOB2 tag from
  :meth:`model.lexicon.Lexicon.word_tags`, so names in ``annotations/lexicon.yaml`` are
  recognised even when no annotated article contains them.

Id 0 is padding in every slot. The tag inventories are written into the model dir
(:meth:`WordFeaturizer.spec`) together with a copy of the lexicon, so serving computes the
same ids that training did. This module does not embed or learn anything: the network does.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import regex

from model.lexicon import GROUPS, Lexicon, normalize

HASH_BUCKETS = 8192
HASHED_SLOTS = ("word", "stem", "prefix2", "prefix3", "suffix2", "suffix3", "stem_suffix3")
SHAPE_SLOT = "shape"
# Proclitic readings stripped for the stem, longest first; at least three letters must remain.
_PROCLITICS = ("وبال", "وكال", "ولل", "فال", "وال", "بال", "كال", "لل", "ال", "وب", "ول", "فب", "و", "ف", "ب", "ل")
_LATIN = regex.compile(r"[A-Za-z]")
_TERMINAL = frozenset(".!?؟…")


def stem(norm: str) -> str:
    """A normalised word without its proclitics (و ف ب ل ك, the article), when ≥ 3 letters remain."""
    for prefix in _PROCLITICS:
        if norm.startswith(prefix) and len(norm) - len(prefix) >= 3:
            return norm[len(prefix):]
    return norm


def _hashed(slot: str, value: str) -> int:
    return 1 + zlib.crc32(f"{slot}\x1f{value}".encode()) % (HASH_BUCKETS - 1)


def shape(word: str, norm: str) -> int:
    """A small closed class of the word's form (1..15); see the module docstring."""
    if word.isdigit():
        return 1
    if any(char.isdigit() for char in word):
        return 2
    if _LATIN.match(word):
        return 3
    if not any(char.isalnum() for char in word):
        return 4 if word in _TERMINAL else 5
    length = min(len(norm) // 3, 3)
    return (6 if norm.startswith("ال") else 10) + length


SHAPES = 16


@dataclass(frozen=True)
class FeatureSpec:
    """What the network needs to size its embeddings: slot names and, per lexicon group, its tags."""

    buckets: int
    hashed: tuple[str, ...]
    lexicon_tags: dict[str, list[str]]  # group -> ["O", "B-X", "I-X", ...]; id = index + 1

    @property
    def slots(self) -> int:
        return len(self.hashed) + 1 + len(self.lexicon_tags)

    def to_dict(self) -> dict:
        return {"buckets": self.buckets, "hashed": list(self.hashed), "lexicon_tags": self.lexicon_tags}

    @classmethod
    def from_dict(cls, raw: dict) -> FeatureSpec:
        return cls(int(raw["buckets"]), tuple(raw["hashed"]), {k: list(v) for k, v in raw["lexicon_tags"].items()})

    def cue_slot(self) -> int | None:
        """Index of the ``cues`` lexicon slot in a feature row, or None without one."""
        groups = list(self.lexicon_tags)
        return len(self.hashed) + 1 + groups.index("cues") if "cues" in groups else None


class WordFeaturizer:
    """Turns the words of a text into feature rows; the same object at training and serving."""

    def __init__(self, lexicon: Lexicon | None):
        self.lexicon = lexicon
        groups = [group for group in GROUPS if lexicon is not None and lexicon.groups.get(group)]
        self.spec = FeatureSpec(HASH_BUCKETS, HASHED_SLOTS, {
            group: ["O"] + [f"{prefix}-{label}" for label in lexicon.groups[group] for prefix in "BI"]
            for group in groups
        })
        self._tag_ids = {group: {tag: index + 1 for index, tag in enumerate(tags)}
                         for group, tags in self.spec.lexicon_tags.items()}

    def features(self, words: list[str]) -> list[list[int]]:
        """One row of ``spec.slots`` ids per word (``words`` as surface strings)."""
        tags = {group: self.lexicon.word_tags(words, group) for group in self._tag_ids}
        rows = []
        for index, word in enumerate(words):
            norm = normalize(word)
            word_stem = stem(norm)
            values = (norm, word_stem, norm[:2], norm[:3], norm[-2:], norm[-3:], word_stem[-3:])
            row = [_hashed(slot, value) for slot, value in zip(HASHED_SLOTS, values)]
            row.append(shape(word, norm))
            row += [ids.get(tags[group][index], 1) for group, ids in self._tag_ids.items()]
            rows.append(row)
        return rows
