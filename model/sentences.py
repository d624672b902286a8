"""Sentences of scraped Arabic news, with character offsets: the unit claims are judged on.

A sentence ends

- after a terminal mark or a run of them: ``.`` ``!`` ``?`` ``؟`` ``…`` ``۔`` (``..``, ``!!``,
  ``؟!``, ``…..``), together with the closing quotes and brackets right after it
  (``قال: "انتهت المعركة." ثم`` keeps the ``"`` in the first sentence);
- at every line break: a headline, a byline or a bullet (``-``, ``_``, ``•``, ``*``, ``–``,
  ``1-``, ``1.``) is a sentence of its own, and its marker belongs to it;
- at a glued seam inside a headline line, where :mod:`model.words` splits a word after ة/ى
  (``المتجددةوزارة`` → ``…المتجددة`` | ``وزارة…``): scraped pages glue separate stories together.
  A headline line is one that does not end on a terminal mark; in a body paragraph (which
  does) a seam is a typo inside one sentence (``الطائفيةالتي``) and splits nothing.

A dot is not a boundary between two Latin letters or digits (``2.5``, ``2021.05.01``,
``13.31``, ``www.sana.sy``), at the end of a dotted Latin abbreviation (``U.S.``), nor after
the number of a numbered bullet. A colon never ends a sentence: in ``الرئيس الشرع: سوريا
تتعهد …`` the speaker and what is said must stay together, because a claim's source is
searched within its sentence. ``؛`` and ``،`` do not end one either.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import pairwise

import regex

from model.words import is_word_char, word_spans

_LINE = regex.compile(r"[^\n\r\v\f\x85\u2028\u2029]+")
_TERMINALS = ".!?؟…۔"
# Closers that can only close go with the terminal run; a straight quote closes only when no
# word follows it at once (``.."كلام`` opens a quote of the next sentence).
_CLOSERS = r"(?:[”’»)\]}]|[\"'](?![\p{L}\p{N}]))*"
_TERMINAL_RUN = regex.compile(rf"[{regex.escape(_TERMINALS)}]+{_CLOSERS}")
_ALNUM = regex.compile(r"[A-Za-z0-9\p{Nd}]")
_LATIN_LETTER = regex.compile(r"[A-Za-z]")
_NUMBERED_BULLET = regex.compile(r"\s*\d{1,3}\.(?=\s)")
_TRAILING_CLOSERS = "”’»)]}\"'"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``text``, in order; str offsets, end exclusive.

    Sentences are trimmed (never start or end on whitespace), non-empty, never overlap and
    never cross a line break, and every non-space character of ``text`` lies in exactly one.
    A piece of punctuation alone between two cuts (``foo. . bar``) joins the sentence before
    it on its line, or the one after it when it opens the line.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        spans.extend(_line_sentences(text, line.start(), line.end()))
    return spans


def sentence_of_words(words: list[tuple[int, int]], sentences: list[tuple[int, int]]) -> list[int]:
    """For each word (start, end), the index into ``sentences`` of the sentence holding it, or -1
    (never for words of the same text: sentences cover every word)."""
    starts = [start for start, _ in sentences]
    result = []
    for start, _ in words:
        index = bisect_right(starts, start) - 1
        result.append(index if index >= 0 and start < sentences[index][1] else -1)
    return result


def claim_types_per_sentence(text: str, claim_spans: list[dict]) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, labels) for each sentence of :func:`sentence_spans`, in order.

    ``labels`` holds the label of every claim span (a dict with ``start``, ``end``, ``label``)
    that shares at least one character with the sentence; it is empty for a sentence without
    a claim, and every sentence is kept. A claim that runs over a boundary (a headline
    kicker: ``بأوامر روسية.. تحركات جديدة …``) gives its label to each sentence it touches.
    """
    return [
        (start, end, frozenset(claim["label"] for claim in claim_spans
                               if claim["start"] < end and claim["end"] > start))
        for start, end in sentence_spans(text)
    ]


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of the line text[start:end] (no line break inside)."""
    bullet = _NUMBERED_BULLET.match(text, start, end)
    search_from = bullet.end() if bullet else start
    cuts = {run.end() for run in _TERMINAL_RUN.finditer(text, search_from, end) if not _is_inner_dot(text, run)}
    if _is_headline(text, start, end):
        cuts.update(_glued_seams(text, start, end))
    bounds = [start, *sorted(cut for cut in cuts if start < cut < end), end]

    sentences: list[tuple[int, int]] = []
    orphan_start: int | None = None  # punctuation opening the line, waiting for a sentence
    for piece_start, piece_end in pairwise(bounds):
        piece = _trim(text, piece_start, piece_end)
        if piece is None:
            continue
        if not any(is_word_char(char) for char in text[piece[0]:piece[1]]):
            if sentences:
                sentences[-1] = (sentences[-1][0], piece[1])
            elif orphan_start is None:
                orphan_start = piece[0]
            continue
        sentences.append((piece[0] if orphan_start is None else orphan_start, piece[1]))
        orphan_start = None
    if orphan_start is not None:  # a line of punctuation only is a sentence of its own
        sentences.append((orphan_start, _trim(text, start, end)[1]))
    return sentences


def _is_inner_dot(text: str, run: regex.Match) -> bool:
    """True when a one-dot run is part of a number, a URL or a dotted Latin abbreviation."""
    if run.group() != ".":
        return False
    at = run.start()
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    if before and after and _ALNUM.match(before) and _ALNUM.match(after):
        return True
    # The last dot of U.S. / U.N.: a single Latin letter right after a dot.
    return at >= 2 and text[at - 2] == "." and bool(_LATIN_LETTER.match(before))


def _is_headline(text: str, start: int, end: int) -> bool:
    """True when the line does not end on a terminal mark (closing quotes aside)."""
    last = text[start:end].rstrip().rstrip(_TRAILING_CLOSERS)
    return not last or last[-1] not in _TERMINALS


def _glued_seams(text: str, start: int, end: int) -> list[int]:
    """Offsets where two words touch with no space or punctuation between: the ة/ى glue."""
    words = [(a + start, b + start) for a, b in word_spans(text[start:end])]
    return [left_end for (_, left_end), (right_start, _) in pairwise(words)
            if left_end == right_start and is_word_char(text[left_end - 1]) and is_word_char(text[right_start])]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) without edge whitespace, or None when nothing else is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
