"""A user-extensible lexicon (``annotations/lexicon.yaml``) and its word-level matcher.

The file holds three groups: ``entities`` and ``sources`` (labels of those schema layers)
and ``cues`` (``ATTRIBUTION`` or a claims label), each mapping labels to entries. An entry is
a string or a list of variants whose first item is the canonical form a match reports.

Matching works on the words of :func:`model.words.word_spans` (clitics attached, each
punctuation mark a word of its own) and compares the forms :func:`normalize` folds them to:

* The first word of a match may carry the proclitics و ف (conjunction), then ب ل ك
  (preposition): ``وبحلب``, ``فالرقة``. ل before the article is written ``لل`` (``للرقة`` =
  ل + الرقة; ``للاذقية`` = ل + اللاذقية, where the article's lam merges too).
  The unstripped word is tried first, so ``لبنان`` or ``كفرنبل`` never lose a letter when
  they are entries themselves; a stripped reading wins only when it yields a longer match.
* The article ال is part of a name in ``entities`` and ``sources``: ``حمص`` does not match
  ``الحمص`` (chickpeas), and ``الأسد`` / ``أسد`` are separate entries. In ``cues``, which are
  common nouns and verbs, the article is optional on every word of the entry.
* Within a group, matches are found left to right, longest first, and never overlap.

Entries are indexed in a trie keyed by normalized words, so a document costs one dict
lookup per word and clitic reading.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import regex
import yaml

from model.paths import ANNOTATIONS_DIR
from model.schema import Schema
from model.words import word_spans

DEFAULT_LEXICON_PATH = ANNOTATIONS_DIR / "lexicon.yaml"
GROUPS = ("entities", "sources", "cues")
ATTRIBUTION = "ATTRIBUTION"  # the one cue label that is not a claims label
ARTICLE_OPTIONAL_GROUPS = frozenset({"cues"})

# Harakat, Quranic annotation marks, superscript alef and tatweel: spelling noise, not letters.
_MARKS = regex.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans(
    {
        **dict.fromkeys("أإآٱ", "ا"),  # hamza and wasla on alef are often left out in news text
        "ة": "ه",  # ta marbuta is often written as ha (حماه)
        "ى": "ي",  # and alef maqsura as ya (بصري)
        "ی": "ي",  # Persian yeh and keheh come in with pasted text
        "ک": "ك",
        **dict.fromkeys("‐‑‒–—―−", "-"),  # one dash, so «طريق تدمر – السخنة» matches any dash
        **dict.fromkeys("“”„‟«»″‘’‚‛'", '"'),  # one quote mark, for quoted names inside entries
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")
# Shortest first: the reading with fewer letters stripped is tried (and wins ties) first.
_PREFIXES = tuple(sorted((c + p for c in _CONJUNCTIONS for p in _PREPOSITIONS if c + p), key=len))
_ARTICLE = "ال"


@lru_cache(maxsize=65536)
def normalize(word: str) -> str:
    """The form words are compared in: NFKC (presentation forms such as ﻷ become letters),
    diacritics and tatweel removed, أ إ آ ٱ → ا, ة → ه, ى → ي (Persian ی ک → ي ك), dashes
    → ``-``, quote marks → ``"``, Arabic-Indic digits → 0-9, Latin lower-cased.

    Tanween goes with the other diacritics, so an accusative adjective written with it
    (``صراعاً روسياً``) reads like the name ``روسيا``, as it does when written without.
    ؤ and ئ are kept: their seat is spelled consistently in news text, and the one common
    variation (مسؤول / مسئول) swaps seats, which no folding to و or ي would reconcile; list
    such spellings as variants instead.
    """
    return _MARKS.sub("", unicodedata.normalize("NFKC", word)).translate(_FOLD).lower()


@lru_cache(maxsize=65536)
def _first_word_readings(word: str, article_optional: bool) -> tuple[str, ...]:
    """What a normalized first word may stand for once its proclitics are taken off,
    the word itself first."""
    readings = [word]
    for prefix in _PREFIXES:
        rest = word[len(prefix):]
        if not word.startswith(prefix) or len(rest) < 2:
            continue
        readings.append(rest)
        if prefix.endswith("ل") and rest.startswith("ل"):
            # ل + ال drops the article's alef (للرقة), and before a lam-initial word
            # one lam as well (للاذقية = ل + اللاذقية).
            readings += ["ا" + rest, _ARTICLE + rest]
    if article_optional:
        readings += [r[2:] for r in readings if r.startswith(_ARTICLE) and len(r) > 3]
    return tuple(dict.fromkeys(readings))


def _later_word_readings(word: str, article_optional: bool) -> tuple[str, ...]:
    if article_optional and word.startswith(_ARTICLE) and len(word) > 3:
        return word, word[2:]
    return (word,)


@dataclass(frozen=True)
class LexiconMatch:
    """One lexicon entry found in a list of words."""

    start: int  # word index into the words given, inclusive
    end: int  # word index, exclusive
    group: str  # "entities" | "sources" | "cues"
    label: str  # e.g. "GPE", "SRC_ANON", "AIRSTRIKE"
    entry: str  # canonical form of the matched entry, as written in the file


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    hit: tuple[str, str] | None = None  # (label, canonical entry) of an entry ending here


@dataclass(frozen=True)
class _Entry:
    group: str
    label: str
    variants: tuple[str, ...]  # as written; the first is canonical
    where: str  # "group.label[index]", for messages


def entry_key(text: str) -> tuple[str, ...]:
    """The normalized words of an entry: what it is indexed and compared by."""
    return tuple(normalize(text[s:e]) for s, e in word_spans(text))


class Lexicon:
    """Entries by group and label, matched against word lists (see the module docstring)."""

    def __init__(self, entries: list[_Entry], path: Path | None = None):
        self.path = path  # the file it was read from, if any (training copies it into the model dir)
        self.groups: dict[str, list[str]] = {}
        self._roots = {group: _Node() for group in GROUPS}
        self._counts: dict[tuple[str, str], int] = {}
        for entry in entries:
            labels = self.groups.setdefault(entry.group, [])
            if entry.label not in labels:
                labels.append(entry.label)
            self._counts[entry.group, entry.label] = self._counts.get((entry.group, entry.label), 0) + 1
            for variant in entry.variants:
                node = self._roots[entry.group]
                for word in entry_key(variant):
                    node = node.children.setdefault(word, _Node())
                if node.hit is None:  # the first listing wins; check_lexicon reports the others
                    node.hit = (entry.label, entry.variants[0])

    @classmethod
    def load(cls, path: str | Path = DEFAULT_LEXICON_PATH) -> Lexicon:
        """Read a lexicon file; raises ValueError naming the file and every shape problem.

        Labels are not checked against a schema here (see :func:`check_lexicon`); an entry
        listed twice keeps its first label and canonical form.
        """
        entries, problems = _read(Path(path))
        if problems:
            raise ValueError("\n".join(problems))
        return cls(entries, Path(path))

    def entries(self, group: str | None = None, label: str | None = None) -> int:
        """How many entries (not variants) the lexicon has, optionally in one group and/or label."""
        return sum(n for (g, lab), n in self._counts.items()
                   if group in (None, g) and label in (None, lab))

    def match(self, words: list[str], group: str) -> list[LexiconMatch]:
        """Entries of ``group`` found in ``words`` (surface strings from
        :func:`model.words.word_spans`): left to right, longest first, non-overlapping."""
        if group not in self._roots:
            raise ValueError(f"unknown lexicon group {group!r}; expected one of {', '.join(GROUPS)}")
        root, optional = self._roots[group], group in ARTICLE_OPTIONAL_GROUPS
        if not root.children:
            return []
        norm = [normalize(word) for word in words]
        found, i = [], 0
        while i < len(norm):
            best = None
            for reading in _first_word_readings(norm[i], optional):
                node = root.children.get(reading)
                hit = _longest(node, norm, i + 1, optional) if node else None
                if hit and (best is None or hit[0] > best[0]):
                    best = hit
            if best is None:
                i += 1
                continue
            end, (label, entry) = best
            found.append(LexiconMatch(i, end, group, label, entry))
            i = end
        return found

    def word_tags(self, words: list[str], group: str) -> list[str]:
        """One IOB2 tag per word ("B-<label>", "I-<label>" or "O") from :meth:`match`."""
        tags = ["O"] * len(words)
        for m in self.match(words, group):
            tags[m.start] = f"B-{m.label}"
            tags[m.start + 1:m.end] = [f"I-{m.label}"] * (m.end - m.start - 1)
        return tags


def _longest(node: _Node, norm: list[str], j: int, optional: bool) -> tuple[int, tuple[str, str]] | None:
    """The furthest (end, hit) an entry reaches from ``node`` with words from ``norm[j]`` on."""
    best = (j, node.hit) if node.hit else None
    if j < len(norm):
        for reading in _later_word_readings(norm[j], optional):
            child = node.children.get(reading)
            deeper = _longest(child, norm, j + 1, optional) if child else None
            if deeper and (best is None or deeper[0] > best[0]):
                best = deeper
    return best


def _read(path: Path) -> tuple[list[_Entry], list[str]]:
    """Parse a lexicon file into entries; problems with its shape, one line each."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        return [], [f"{path}: cannot read lexicon: {error}".replace("\n", " ")]
    if not isinstance(raw, dict):
        return [], [f"{path}: expected a mapping with version and groups {', '.join(GROUPS)}"]
    problems = [f"{path}: unknown top-level key {key!r}; expected version or one of {', '.join(GROUPS)}"
                for key in raw if key != "version" and key not in GROUPS]
    if raw.get("version") != 1:
        problems.append(f"{path}: version must be 1, not {raw.get('version')!r}")
    entries = []
    for group in GROUPS:
        labels = raw.get(group)
        if labels is None:
            continue
        if not isinstance(labels, dict):
            problems.append(f"{path}: {group} must map labels to lists of entries")
            continue
        for label, items in labels.items():
            if not isinstance(items, list):
                problems.append(f"{path}: {group}.{label} must be a list of entries")
                continue
            for index, item in enumerate(items):
                where = f"{group}.{label}[{index}]"
                variants = item if isinstance(item, list) else [item]
                if not variants or not all(isinstance(v, str) for v in variants):
                    problems.append(f"{path}: {where}: an entry is a string or a non-empty list of strings,"
                                    f" not {item!r}")
                elif not all(entry_key(v) for v in variants):
                    problems.append(f"{path}: {where}: empty entry {item!r}")
                else:
                    entries.append(_Entry(group, str(label), tuple(variants), where))
    return entries, problems


def check_lexicon(path: str | Path, schema: Schema) -> list[str]:
    """Every problem with a lexicon file, one line each (empty when it is fine): bad shape,
    empty entries, labels the schema does not allow in their group (entities and sources
    labels from those layers; cues ``ATTRIBUTION`` or a claims label), and an entry (any
    variant, after normalization) listed twice within a group, under two labels or one."""
    path = Path(path)
    entries, problems = _read(path)
    allowed = {
        "entities": set(schema.labels("entities")) if "entities" in schema.layers else set(),
        "sources": set(schema.labels("sources")) if "sources" in schema.layers else set(),
        "cues": {ATTRIBUTION, *(schema.labels("claims") if "claims" in schema.layers else ())},
    }
    unknown = sorted({(e.group, e.label) for e in entries if e.label not in allowed[e.group]})
    problems += [f"{path}: {group}.{label}: unknown label; {group} allows {', '.join(sorted(allowed[group]))}"
                 for group, label in unknown]
    first: dict[tuple[str, tuple[str, ...]], _Entry] = {}
    for entry in entries:
        for variant in dict.fromkeys(entry_key(v) for v in entry.variants):
            other = first.setdefault((entry.group, variant), entry)
            if other is entry:
                continue
            how = f"under {other.label} and {entry.label}" if other.label != entry.label else f"twice under {entry.label}"
            problems.append(f"{path}: {entry.where}: {' '.join(variant)!r} is listed {how} ({other.where})")
    return problems
