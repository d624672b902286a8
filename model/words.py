"""Words with character offsets: the unit that annotations, BIO tags and predictions share.

A word is a run of letters, digits and combining marks (Arabic diacritics, tatweel and
presentation forms such as ﻷ are letters or marks, so they stay inside their word);
every other non-space character (punctuation, symbols, emoji) is a word of its own.
Whitespace of any kind (NBSP included) separates words and belongs to none.
This is the ANERcorp convention: clitics stay attached (``لروسيا`` is one word).

One Arabic-aware exception: ة (ta marbuta) and ى (alef maqsura) only ever end a word, so a
letter right after them starts a new one. Scraped pages glue headlines together
(``المتجددةوزارة``); this recovers the boundary wherever the orthography proves it.
"""

from __future__ import annotations

from functools import lru_cache

import regex

# `regex` rather than the stdlib `re`: `re` has no Unicode property classes (\p{M}).
_WORD = regex.compile(
    r"[\p{L}\p{N}\p{M}]*?[ةى]\p{M}*(?=[\p{L}\p{N}])"  # a word glued to the next after ة/ى
    r"|[\p{L}\p{N}\p{M}]+"
    r"|[^\s\p{L}\p{N}\p{M}]",
    regex.V1,
)
_WORD_CHAR = regex.compile(r"[\p{L}\p{N}\p{M}]")


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word in ``text``, in order; offsets are str indices, end exclusive."""
    return [match.span() for match in _WORD.finditer(text)]


def is_word_char(char: str) -> bool:
    """True for letters, digits and combining marks: the characters words are made of."""
    return bool(_WORD_CHAR.match(char))


@lru_cache(maxsize=64)
def _boundaries(text: str) -> tuple[frozenset[int], frozenset[int]]:
    spans = word_spans(text)
    return frozenset(s for s, _ in spans), frozenset(e for _, e in spans)


def cuts_word(text: str, start: int, end: int) -> str | None:
    """Why the span [start, end) is not made of whole words, or None when it is.

    A span must start on the first character of a word and end on the last character of a
    word, and may not begin or end with whitespace or punctuation (inside it, both are fine).
    """
    if not (0 <= start < end <= len(text)):
        return "offsets out of range"
    first, last = text[start], text[end - 1]
    if first.isspace() or last.isspace():
        return "span starts or ends on whitespace"
    if not is_word_char(first) or not is_word_char(last):
        return "span starts or ends on punctuation"
    starts, ends = _boundaries(text)
    if start not in starts:
        return "span starts inside a word"
    if end not in ends:
        return "span ends inside a word"
    return None
