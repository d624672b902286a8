"""Truth tables for words ↔ subwords ↔ windows and character spans ↔ IOB2 tags (exact offsets)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from model.alignment import (
    encode_documents,
    make_windows,
    owning_windows,
    spans_to_tags,
    tags_to_spans,
)
from model.words import word_spans

NBSP = "\u00a0"


@pytest.mark.parametrize("text, words", [
    ("أرسلت لروسيا تعزيزات", ["أرسلت", "لروسيا", "تعزيزات"]),                  # clitic stays attached
    ("قال «مصدر خاص» إن", ["قال", "«", "مصدر", "خاص", "»", "إن"]),
    ("“وكالة سبوتنيك” (الروسية)", ["“", "وكالة", "سبوتنيك", "”", "(", "الروسية", ")"]),
    ("ﻷول مرة", ["ﻷول", "مرة"]),                                                # presentation form
    ("ﻹسقاط الطائرة", ["ﻹسقاط", "الطائرة"]),
    ("الـمدينة الـكبرى", ["الـمدينة", "الـكبرى"]),                                # tatweel inside a word
    (f"قوات{NBSP}النظام", ["قوات", "النظام"]),                                    # NBSP separates
    ("قُوَّاتُ النِّظامِ", ["قُوَّاتُ", "النِّظامِ"]),                                # diacritics stay inside
    ("", []),
    ("   \n\t", []),
    ("ISIS 55 غارة 😀!", ["ISIS", "55", "غارة", "😀", "!"]),
    ("١٥٠ عنصراً", ["١٥٠", "عنصراً"]),
    ("المتجددةوزارة", ["المتجددة", "وزارة"]),                                    # glued after ة
])
def test_word_spans(text, words):
    spans = word_spans(text)
    assert [text[s:e] for s, e in spans] == words
    assert all(0 <= s < e <= len(text) for s, e in spans)


@pytest.mark.parametrize("text", [
    "أرسلت لروسيا تعزيزات", "ﻷول مرة ﻹسقاط", "الـمدينة", f"قوات{NBSP}النظام", "قُوَّاتُ النِّظامِ",
    "ISIS 55 غارة 😀!", "a\x00b \x07", "",
])
def test_every_word_gets_a_first_subword(seed_tokenizer, text):
    (doc,) = encode_documents(seed_tokenizer, [text])
    assert doc.words == word_spans(text)
    assert len(doc.first_token) == len(doc.words)
    assert doc.first_token == sorted(set(doc.first_token))
    assert all(0 <= token < len(doc.token_ids) for token in doc.first_token)


def test_presentation_forms_and_tatweel_tokenize_like_plain_letters(seed_tokenizer):
    plain, fancy = encode_documents(seed_tokenizer, ["لأول المدينة", "ﻷول الـمدينة"])
    assert plain.token_ids == fancy.token_ids
    assert fancy.words == [(0, 3), (4, 12)]


def test_long_text_windows_overlap_and_each_word_has_one_owner(seed_tokenizer, seed_documents):
    text = seed_documents[0]["text"]
    (doc,) = encode_documents(seed_tokenizer, [text])
    max_length = 32
    windows = make_windows(doc, max_length, cls_id=2, sep_id=3)
    assert len(windows) > 3
    assert windows[0].token_start == 0 and windows[-1].token_end == len(doc.token_ids)
    for previous, following in pairwise(windows):
        assert following.token_start < previous.token_end       # overlap
        assert following.token_start > previous.token_start     # progress
    for window in windows:
        assert len(window.input_ids) <= max_length
        assert window.input_ids[0] == 2 and window.input_ids[-1] == 3
        assert window.token_start in doc.word_starts
    owners = owning_windows(doc, windows)
    assert len(owners) == len(doc.words)
    for token, (index, position) in zip(doc.first_token, owners):
        window = windows[index]
        assert window.input_ids[position] == doc.token_ids[token]
        context = {i: min(token - w.token_start, w.token_end - 1 - token)
                   for i, w in enumerate(windows) if w.token_start <= token < w.token_end}
        assert context[index] == max(context.values())


def test_short_text_is_one_window(seed_tokenizer):
    (doc,) = encode_documents(seed_tokenizer, ["أرسلت لروسيا تعزيزات"])
    (window,) = make_windows(doc, 64, cls_id=2, sep_id=3)
    assert window.input_ids == [2, *doc.token_ids, 3]
    assert make_windows(encode_documents(seed_tokenizer, [""])[0], 64, 2, 3) == []


TEXT = "قال «مصدر خاص» إن قوات النظام أرسلت لروسيا (طريق تدمر – السخنة)."
#       words: قال « مصدر خاص » إن قوات النظام أرسلت لروسيا ( طريق تدمر – السخنة ) .


def test_spans_to_tags_and_back_round_trip():
    words = word_spans(TEXT)
    spans = [
        {"start": 5, "end": 13, "label": "SRC_ANON"},     # مصدر خاص (inside the «»)
        {"start": 18, "end": 29, "label": "MIL"},         # قوات النظام
        {"start": 36, "end": 42, "label": "GPE"},         # لروسيا
        {"start": 44, "end": 62, "label": "LOC"},         # طريق تدمر – السخنة (dash inside)
    ]
    assert [TEXT[s["start"]:s["end"]] for s in spans] == ["مصدر خاص", "قوات النظام", "لروسيا", "طريق تدمر – السخنة"]
    tags = spans_to_tags(words, spans)
    assert tags == ["O", "O", "B-SRC_ANON", "I-SRC_ANON", "O", "O", "B-MIL", "I-MIL", "O", "B-GPE",
                    "O", "B-LOC", "I-LOC", "I-LOC", "I-LOC", "O", "O"]
    decoded = tags_to_spans(TEXT, words, tags)
    assert [(s, e, label) for s, e, label, _ in decoded] == [(5, 13, "SRC_ANON"), (18, 29, "MIL"),
                                                             (36, 42, "GPE"), (44, 62, "LOC")]
    assert [indices for *_, indices in decoded] == [[2, 3], [6, 7], [9], [11, 12, 13, 14]]


@pytest.mark.parametrize("tags, expected", [
    # I- with no open span opens one (the usual BIO repair)
    (["O", "O", "I-SRC_ANON", "I-SRC_ANON", "O"], [(5, 13, "SRC_ANON")]),
    # I- of another label closes the open span and opens its own
    (["O", "O", "B-PER", "I-ORG", "O"], [(5, 9, "PER"), (10, 13, "ORG")]),
    # B- after B- of the same label: two spans
    (["O", "O", "B-ORG", "B-ORG", "O"], [(5, 9, "ORG"), (10, 13, "ORG")]),
    # punctuation at the edges is trimmed
    (["O", "B-SRC_ANON", "I-SRC_ANON", "I-SRC_ANON", "I-SRC_ANON", "O"], [(5, 13, "SRC_ANON")]),
    # a punctuation-only span is dropped
    (["O", "B-ORG", "O", "O", "I-ORG", "O"], []),
    # a span at the very end of the text is closed
    (["O", "O", "O", "O", "O", "B-ORG"], [(15, 17, "ORG")]),
    (["O"] * 6, []),
])
def test_bio_repair(tags, expected):
    text = "قال «مصدر خاص» إن"
    decoded = tags_to_spans(text, word_spans(text), tags)
    assert [(s, e, label) for s, e, label, _ in decoded] == expected


def test_inner_punctuation_is_kept_and_trailing_dropped():
    text = "طريق تدمر – السخنة."
    words = word_spans(text)
    decoded = tags_to_spans(text, words, ["B-LOC", "I-LOC", "I-LOC", "I-LOC", "I-LOC"])
    assert [(s, e, label) for s, e, label, _ in decoded] == [(0, 18, "LOC")]
    assert text[0:18] == "طريق تدمر – السخنة"


def test_tags_on_empty_text():
    assert spans_to_tags([], []) == []
    assert tags_to_spans("", [], []) == []
