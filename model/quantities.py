"""Numbers in Arabic QUANTITY spans: the value, how exact it is, and what it counts.

``parse_quantity("150 عنصراً", preceding="قرابة")`` → ``Quantity(150, "approximately", "عنصراً")``.

Qualifiers form a closed set (:data:`QUALIFIERS`):

- ``exact``: a number and nothing that hedges it;
- ``approximately`` (نحو، حوالي، قرابة، زهاء، ما يقارب، ما يقرب من، تقريباً),
  ``more_than`` (أكثر من، ما يزيد عن/على، أزيد من، ما يربو على، يفوق),
  ``at_least`` (ما لا يقل عن، على الأقل، أو أكثر), ``less_than`` (أقل من، ما يقل عن),
  ``at_most`` (ما لا يزيد عن، لا يتجاوز، على الأكثر، أو أقل): a number and its hedge;
- ``several`` (بضعة، بضع، عدة), ``tens`` (عشرات), ``hundreds`` (مئات), ``thousands``
  (آلاف), ``tens_of_thousands`` (عشرات الآلاف), ``hundreds_of_thousands`` (مئات الآلاف),
  ``millions`` (ملايين): a vague count, whose ``value`` is None (no bound is made up);
  ``بضعة آلاف`` is ``thousands``;
- ``unknown``: neither a number nor a vague count could be read; ``value`` is None.

The guidelines keep hedges out of the span, so they are looked for at the end of
``preceding``; a hedge inside the span is honoured too, at its start (``أكثر من 100``) or,
for those that follow a number (على الأقل، تقريباً، أو أكثر), at its end, and it is not
part of the unit. Numbers are Western or Arabic-Indic digits (``٫`` decimal, ``٬`` and ``,``
thousands: ``1,200``, ``٢٫٥``), number words (واحد … عشرة in every gender and case, أحد عشر …
تسعة عشر, عشرون … تسعون, مئة/مائة, مئتان, ثلاثمئة … تسعمئة, ألف, ألفان, آلاف, مليون,
ملايين, مليار; with و، ب، ل and ال stripped) and both mixed (``2.5 مليون``, ``3 آلاف``).
The unit is the rest of the span as written, without a partitive من (``عشرات من القتلى``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import regex

QUALIFIERS = ("exact", "approximately", "more_than", "at_least", "less_than", "at_most", "several", "tens",
              "hundreds", "thousands", "tens_of_thousands", "hundreds_of_thousands", "millions", "unknown")


@dataclass(frozen=True)
class Quantity:
    """``value`` is an int when whole, a float otherwise, None for a vague or unreadable count."""

    value: float | int | None
    qualifier: str  # one of QUALIFIERS
    unit: str


# The accusative tanween alef goes first (ألفاً is the singular ألف, not the dual ألفا),
# then marks and tatweel; hamza seats and ة/ى meet in one spelling; digits become ASCII.
_TANWEEN_ALEF = regex.compile(r"ا\u064B|\u064Bا")
_MARKS = regex.compile(r"[\p{Mn}\u0640]")
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ء": None,
                          "ى": "ي", "ة": "ه", "٫": ".", "٬": ",",
                          **{chr(0x0660 + d): str(d) for d in range(10)},
                          **{chr(0x06F0 + d): str(d) for d in range(10)}})
_DIGITS = regex.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?")


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _MARKS.sub("", _TANWEEN_ALEF.sub("", text)).translate(_LETTERS)


def _table(entries: dict[str, int]) -> dict[str, int]:
    return {_normalize(word): value for word, value in entries.items()}


_UNIT_STEMS = {"ثلاث": 3, "أربع": 4, "خمس": 5, "ست": 6, "سبع": 7, "ثمان": 8, "تسع": 9}
# Added to the running number: units, teens (أحد + عشر), tens and hundreds.
_ADDITIVE = _table({
    "واحد": 1, "واحدة": 1, "أحد": 1, "إحدى": 1,
    **dict.fromkeys(("اثنان", "اثنين", "اثنتان", "اثنتين", "اثنا", "اثني", "اثنتا", "اثنتي"), 2),
    "ثلاثة": 3, "ثلاث": 3, "أربعة": 4, "أربع": 4, "خمسة": 5, "خمس": 5, "ستة": 6, "ست": 6, "سبعة": 7,
    "سبع": 7, "ثمانية": 8, "ثماني": 8, "ثمان": 8, "تسعة": 9, "تسع": 9, "عشرة": 10, "عشر": 10,
    **{f"{stem}{ending}": value for stem, value in (("عشر", 20), ("ثلاث", 30), ("أربع", 40), ("خمس", 50),
                                                    ("ست", 60), ("سبع", 70), ("ثمان", 80), ("تسع", 90))
       for ending in ("ون", "ين")},
    **dict.fromkeys(("مئتان", "مئتين", "مئتا", "مئتي", "مائتان", "مائتين", "مائتا", "مائتي"), 200),
    **{f"{stem}{hundred}": value * 100 for stem, value in _UNIT_STEMS.items() for hundred in ("مئة", "مائة")},
})
_HUNDRED = {_normalize("مئة"), _normalize("مائة")}
# Multiply what came before (or 1). Forms: (factor, singular, duals, plural).
_SCALE_FORMS = ((1000, "ألف", ("ألفان", "ألفين", "ألفا", "ألفي"), "آلاف"),
                (10**6, "مليون", ("مليونان", "مليونين", "مليونا", "مليوني"), "ملايين"),
                (10**9, "مليار", ("ملياران", "مليارين", "مليارا", "ملياري"), "مليارات"))
_SCALES = {  # word → (factor, "singular" | "dual" | "plural")
    **{_normalize(singular): (factor, "singular") for factor, singular, _, _ in _SCALE_FORMS},
    **{_normalize(dual): (factor, "dual") for factor, _, duals, _ in _SCALE_FORMS for dual in duals},
    **{_normalize(plural): (factor, "plural") for factor, _, _, plural in _SCALE_FORMS},
}
_VAGUE = {_normalize(word): qualifier for word, qualifier in (
    ("بضعة", "several"), ("بضع", "several"), ("عدة", "several"), ("عشرات", "tens"), ("مئات", "hundreds"),
    ("آلاف", "thousands"), ("ملايين", "millions"))}
_VAGUE_PAIRS = {("tens", "thousands"): "tens_of_thousands", ("hundreds", "thousands"): "hundreds_of_thousands"}
_NUMBER_WORDS = set(_ADDITIVE) | _HUNDRED | set(_VAGUE) | set(_SCALES)
_CLITICS_ALONE = {"ال", "ب", "ل", "و", "ف", "ك", "بال", "لل", "وال"}  # الـ 3 أيام، لـ 150 عنصراً
_PARTITIVE = "من"

_HEDGES = {qualifier: [tuple(_normalize(phrase).split()) for phrase in phrases] for qualifier, phrases in {
    # تقريباً keeps its spelling with tanween: the tanween alef goes in normalization.
    "approximately": ("نحو", "حوالي", "قرابة", "زهاء", "ما يقارب", "يقارب", "ما يقرب من", "تقريبا", "تقريباً"),
    "more_than": ("أكثر من", "ما يزيد عن", "ما يزيد على", "يزيد عن", "يزيد على", "أزيد من", "ما يربو على",
                  "يربو على", "ما يفوق", "يفوق"),
    "at_least": ("ما لا يقل عن", "لا يقل عن", "على الأقل", "أو أكثر"),
    "less_than": ("أقل من", "ما يقل عن", "يقل عن"),
    "at_most": ("ما لا يزيد عن", "ما لا يزيد على", "لا يزيد عن", "لا يزيد على", "ما لا يتجاوز", "لا يتجاوز",
                "على الأكثر", "أو أقل"),
}.items()}
_TRAILING_HEDGES = {tuple(_normalize(phrase).split())
                    for phrase in ("على الأقل", "على الأكثر", "أو أكثر", "أو أقل", "تقريبا", "تقريباً")}


def parse_quantity(text: str, preceding: str = "") -> Quantity:
    """The number in the QUANTITY span ``text``, hedged by the words just before it.

    ``preceding`` is the text right before the span (a few words are enough). Never raises:
    what cannot be read gives ``Quantity(None, "unknown", text.strip())``.
    """
    tokens = [(match.start(), match.end(), _normalize(match.group())) for match in regex.finditer(r"\S+", text)]
    words = [word for *_, word in tokens]
    end = len(tokens)
    trailing = _longest_hedge(words, at_end=True, allowed=_TRAILING_HEDGES)
    if trailing:
        end -= trailing[1]
    leading = _longest_hedge(words[:end], at_end=False)
    start = leading[1] if leading else 0
    while start < end and words[start] in _CLITICS_ALONE:
        start += 1

    value, vague, after = _read_number(words, start, end)
    if after < end and words[after] == _PARTITIVE:
        after += 1
    unit = text[tokens[after][0]:tokens[end - 1][1]] if after < end else ""
    if vague:
        qualifier = next((q for q in vague if q != "several"), "several")
        return Quantity(None, _VAGUE_PAIRS.get(tuple(vague[:2]), qualifier), unit)
    if value is None:
        return Quantity(None, "unknown", text.strip())
    hedge = leading or _longest_hedge(_normalize(preceding).split(), at_end=True) or trailing
    number = int(value) if value == value.to_integral_value() else float(value)
    return Quantity(number, hedge[0] if hedge else "exact", unit)


def _read_number(words: list[str], start: int, end: int) -> tuple[Decimal | None, list[str], int]:
    """(value, vague qualifiers, index after the number) for the number at ``words[start]``."""
    total, current, seen = Decimal(0), Decimal(0), False
    vague: list[str] = []
    i = start
    while i < end:
        word = words[i]
        if not seen and not vague and _DIGITS.fullmatch(word):
            current, seen = _digits(word), True
            i += 1
            continue
        if word == "و" and seen and i + 1 < end and _lemma(words[i + 1]) in _NUMBER_WORDS:
            i += 1  # مئة و عشرين: a detached conjunction between number words
            continue
        word = _lemma(word)
        if word in _SCALES and seen:  # ثلاثة آلاف، عشرين ألفا، 2.5 مليون: a multiplier
            total, current = total + (current or 1) * _SCALES[word][0], Decimal(0)
        elif word in _VAGUE and not seen:  # عشرات، آلاف alone, عشرات الآلاف: a vague count
            vague.append(_VAGUE[word])
        elif word in _SCALES and _SCALES[word][1] != "plural" and not vague:  # ألف, ألفان at the start
            factor, kind = _SCALES[word]
            total, seen = total + factor * (2 if kind == "dual" else 1), True
        elif word in _HUNDRED and not vague:
            current = current * 100 if 0 < current < 10 else current + 100
            seen = True
        elif word in _ADDITIVE and not vague:
            current += _ADDITIVE[word]
            seen = True
        else:
            break
        i += 1
    return (total + current if seen else None), vague, i


def _digits(word: str) -> Decimal:
    if regex.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", word):
        return Decimal(word.replace(",", ""))
    return Decimal(word.replace(",", "."))


def _lemma(word: str) -> str:
    """``word`` without the clitics و/ف, ب/ل/ك and ال when what is left is a number word."""
    if word in _NUMBER_WORDS:
        return word
    for prefix in ("و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "لل", "وب", "ول"):
        stem = word[len(prefix):]
        if word.startswith(prefix) and stem in _NUMBER_WORDS:
            return stem
    return word


def _longest_hedge(words: list[str], at_end: bool, allowed: set[tuple[str, ...]] | None = None
                   ) -> tuple[str, int] | None:
    """(qualifier, length in words) of the longest hedge at the end (or start) of ``words``.

    The first word of a hedge may carry و/ف (ونحو، وأكثر من).
    """
    best: tuple[str, int] | None = None
    for qualifier, phrases in _HEDGES.items():
        for phrase in phrases:
            if allowed is not None and phrase not in allowed or len(phrase) > len(words):
                continue
            window = words[len(words) - len(phrase):] if at_end else words[:len(phrase)]
            first = window[0][1:] if window[0][:1] in ("و", "ف") else window[0]
            if (window == list(phrase) or [first, *window[1:]] == list(phrase)) and (
                    best is None or len(phrase) > best[1]):
                best = (qualifier, len(phrase))
    return best
