"""Words ↔ subword tokens ↔ windows, and character spans ↔ word-level BIO tags.

This is the one alignment used by training and by decoding (transformers' run_ner.py
``tokenize_and_align_labels`` pattern): words come from :mod:`model.words` on the raw text,
so every offset indexes the string the user sent, whatever the tokenizer normalises inside
a word (NFKC, ﻷ, tatweel, diacritics). The first subword of a word carries its label.

Documents longer than the encoder's window are cut into overlapping windows whose edges
fall on word starts; each word is predicted from the window where it has the most context
on both sides (the larger of the two minimum distances to a window edge).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from model.words import is_word_char, word_spans

# A run of letters longer than this many subwords (a pasted hash, a base64 blob) keeps only
# its first ones: the label sits on the first subword and the rest would only eat the window.
MAX_SUBWORDS_PER_WORD = 16


@dataclass
class EncodedDocument:
    """One text split into words (character spans) and subword ids (no special tokens)."""

    words: list[tuple[int, int]]
    token_ids: list[int]
    first_token: list[int]  # index into token_ids of each word's first subword
    word_starts: set[int]  # token indices that begin a word: where windows may be cut


@dataclass
class Window:
    """A slice of one document's tokens, ready for the encoder ([CLS] tokens [SEP])."""

    token_start: int
    token_end: int
    input_ids: list[int]


def encode_documents(tokenizer, texts: list[str]) -> list[EncodedDocument]:
    """Split texts into words and subwords with one batched call of a fast tokenizer."""
    words_per_text = [word_spans(text) for text in texts]
    documents = []
    non_empty = [i for i, words in enumerate(words_per_text) if words]
    batch = tokenizer(
        [[texts[i][s:e] for s, e in words_per_text[i]] for i in non_empty],
        is_split_into_words=True,
        add_special_tokens=False,
        verbose=False,  # documents longer than the encoder are expected: windows cut them next
    ) if non_empty else None
    position = {doc: row for row, doc in enumerate(non_empty)}
    for index, words in enumerate(words_per_text):
        if index not in position:
            documents.append(EncodedDocument(words, [], [], set()))
            continue
        row = position[index]
        documents.append(_collect(batch["input_ids"][row], batch.word_ids(row), words, tokenizer.unk_token_id))
    return documents


def _collect(ids: list[int], word_ids: list[int | None], words, unk_id: int) -> EncodedDocument:
    per_word: list[list[int]] = [[] for _ in words]
    for token_id, word in zip(ids, word_ids):
        if word is not None and len(per_word[word]) < MAX_SUBWORDS_PER_WORD:
            per_word[word].append(token_id)
    token_ids, first_token = [], []
    for pieces in per_word:
        first_token.append(len(token_ids))
        # A word the tokenizer normalises away (a lone control character) still gets a slot,
        # so every word has a prediction and no span can silently lose an edge.
        token_ids.extend(pieces or [unk_id])
    return EncodedDocument(words, token_ids, first_token, set(first_token))


def make_windows(doc: EncodedDocument, max_length: int, cls_id: int, sep_id: int,
                 overlap: int | None = None) -> list[Window]:
    """Cut a document into windows of at most ``max_length`` ids (specials included)."""
    inner = max_length - 2
    overlap = inner // 4 if overlap is None else overlap
    total = len(doc.token_ids)
    windows, start = [], 0
    while start < total:
        end = min(start + inner, total)
        if end < total:
            # The last word start in (start, end]: scanning back from the edge stops at once
            # in ordinary text instead of visiting every token of the window.
            end = next((i for i in range(end, start, -1) if i in doc.word_starts), end)
        windows.append(Window(start, end, [cls_id, *doc.token_ids[start:end], sep_id]))
        if end >= total:
            break
        next_start = max(end - overlap, start + 1)
        while next_start < end and next_start not in doc.word_starts:
            next_start += 1
        start = next_start
    return windows


def owning_windows(doc: EncodedDocument, windows: list[Window]) -> list[tuple[int, int]]:
    """For each word: (index into ``windows``, position of its first subword in input_ids).

    ``windows`` are this document's windows in order, as :func:`make_windows` returns them
    (starts and ends non-decreasing); the owner is the window where the word's first subword
    is farthest from both edges.
    """
    owners, first = [], 0
    for token in doc.first_token:
        # Windows are ordered with non-decreasing starts and ends, so the ones holding a token
        # are a contiguous run that only moves right: O(words + windows), not O(words × windows).
        while windows[first].token_end <= token:
            first += 1
        best, best_context = None, -1
        for index in range(first, len(windows)):
            window = windows[index]
            if window.token_start > token:
                break
            context = min(token - window.token_start, window.token_end - 1 - token)
            if context > best_context:
                best, best_context = index, context
        owners.append((best, token - windows[best].token_start + 1))  # +1: [CLS]
    return owners


def words_in_window(doc: EncodedDocument, window: Window) -> range:
    """Indices of the words whose first subword lies in ``window`` (the words it can label)."""
    return range(bisect_left(doc.first_token, window.token_start), bisect_left(doc.first_token, window.token_end))


def spans_to_tags(words: list[tuple[int, int]], spans: list[dict]) -> list[str]:
    """IOB2 tags per word for one layer's spans (dicts with start, end, label).

    Spans must be whole words (the validator guarantees it); a word belongs to a span when
    its characters lie inside it.
    """
    tags = ["O"] * len(words)
    for span in sorted(spans, key=lambda item: item["start"]):
        inside = [i for i, (s, e) in enumerate(words) if s >= span["start"] and e <= span["end"]]
        for position, index in enumerate(inside):
            tags[index] = ("B-" if position == 0 else "I-") + span["label"]
    return tags


def tags_to_spans(text: str, words: list[tuple[int, int]], tags: list[str]) -> list[tuple[int, int, str, list[int]]]:
    """Decode IOB2 tags into (start, end, label, word indices), repairing invalid sequences.

    An I- tag with no open span of the same label opens one (the usual BIO repair).
    Punctuation words at a span's edges are trimmed, so spans start and end on letters or
    digits; a span of punctuation only is dropped.
    """
    spans, current = [], None
    for index, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and current is not None and current[0] == label
        if current is not None and not continues:
            spans.append(current)
            current = None
        if prefix == "B" or (prefix == "I" and current is None):
            current = (label, [index])
        elif continues:
            current[1].append(index)
    decoded = []
    for label, indices in spans:
        kept = _strip_punctuation(text, words, indices)
        if kept:
            decoded.append((words[kept[0]][0], words[kept[-1]][1], label, kept))
    return decoded


def _strip_punctuation(text: str, words: list[tuple[int, int]], indices: list[int]) -> list[int]:
    def is_letters(index: int) -> bool:
        return is_word_char(text[words[index][0]])

    first = next((n for n, i in enumerate(indices) if is_letters(i)), None)
    if first is None:
        return []
    last = max(n for n, i in enumerate(indices) if is_letters(i))
    return indices[first : last + 1]
