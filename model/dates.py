"""Calendar values for Arabic date expressions (DATE spans), relative to the publication date.

``resolve_date("13 كانون الأول الماضي", date(2021, 1, 15))`` → ``ResolvedDate("2020-12-13", "day")``.

Values are ISO 8601 strings at the precision the expression carries:

============  =================  ==================================================
precision     value              from
============  =================  ==================================================
``"day"``     ``"2015-08-06"``   أمس، اليوم الخميس، الثلاثاء الماضي، 12 آب، 2021.05.01
``"week"``    ``"2015-W31"``     الأسبوع الماضي / الجاري / المقبل (ISO week: Monday to
                                 Sunday, numbered by ISO week-year, e.g. ``2020-W53``)
``"month"``   ``"2015-08"``      الشهر الماضي، آب الماضي، مطلع شهر أيار
``"year"``    ``"2015"``         العام الماضي، عام 2019، 2015
============  =================  ==================================================

Words the resolver does not know are ignored: prepositions, day parts (فجر، صباح، مساء،
ليل، منتصف), edges of a period (مطلع، أواخر) and the words يوم / شهر / عام before a value.
Rules, in order (the first that applies wins):

1. A numeric date: ``2021.05.01``, ``2021-05-01`` (year first) or ``1/8/2015`` (day first);
   ``8/2015`` is a month. A time (``13:31``) is no date.
2. A month name, Levantine (كانون الثاني … كانون الأول) or the other system (يناير …
   ديسمبر), with a day before it (``12``, or an ordinal ``الثاني عشر من``) and a year or a
   qualifier after it. Alternative names must agree (``12 آب/أغسطس``). Without a year:
   ``الماضي`` is the latest such day (month) before the publication day (month), ``الجاري``
   the publication year, ``المقبل`` the next one after; no qualifier takes the publication
   year, or the year before when that would put the date more than 31 days after publication.
3. A four-digit year: ``عام 2019``, ``2015``.
4. Relative to publication: أمس (−1), أول أمس / أول من أمس / أمس الأول (−2), اليوم / الليلة
   (0), غداً (+1), whatever weekday follows them (``أمس الجمعة`` is yesterday even when the
   publication date says otherwise); else a weekday (the last one named, so
   ``منتصف ليل الثلاثاء - الأربعاء`` is the Wednesday): alone the latest on or before
   publication, with الماضي strictly before, with المقبل strictly after, or inside
   ``الأسبوع الماضي/المقبل`` when that is named too; else الأسبوع / الشهر / العام / السنة
   with الماضي / المنصرم / الفائت (−1), الجاري / الحالي / الجديد / هذا (0), المقبل / القادم (+1).

Anything else (الأيام القليلة الماضية، قبل أيام، الفترة القادمة، 13:31) is unresolved, and so
is every relative expression when the publication date is unknown.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import regex


@dataclass(frozen=True)
class ResolvedDate:
    """``value`` is an ISO string (see the module table); both fields are None when unresolved."""

    value: str | None
    precision: str | None


UNRESOLVED = ResolvedDate(None, None)

# Spelling variants meet in one form: hamza seats and madda become bare letters, ء goes
# (so الثلاثاء and the common الثلاثا agree), ة → ه, ى → ي; diacritics and tatweel go.
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ء": None,
                          "ى": "ي", "ة": "ه",
                          **{chr(0x0660 + d): str(d) for d in range(10)},
                          **{chr(0x06F0 + d): str(d) for d in range(10)}})
_MARKS = regex.compile(r"[\p{Mn}\u0640]")
_TOKEN = regex.compile(r"\d+(?:[./:\-]\d+)*|\p{L}+")


def _normalize(text: str) -> str:
    # NFKC first: presentation forms such as ﻷ (seen in scraped pages) become plain letters.
    return _MARKS.sub("", unicodedata.normalize("NFKC", text)).translate(_LETTERS)


def _forms(table: dict[str, int]) -> dict[str, int]:
    return {_normalize(word): value for word, value in table.items()}


_MONTHS = _forms({
    "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "حزيران": 6, "تموز": 7, "آب": 8, "أيلول": 9,
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "إبريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "أغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
})
# كانون / تشرين need their ordinal, with or without the article.
_TWO_WORD_MONTHS = {(_normalize(first), _normalize(ordinal)): month for first, ordinal, month in (
    ("كانون", "الثاني", 1), ("كانون", "ثاني", 1), ("تشرين", "الأول", 10), ("تشرين", "أول", 10),
    ("تشرين", "الثاني", 11), ("تشرين", "ثاني", 11), ("كانون", "الأول", 12), ("كانون", "أول", 12))}
_ORDINALS = _forms({"الأول": 1, "الحادي": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5,
                    "السادس": 6, "السابع": 7, "الثامن": 8, "التاسع": 9, "العاشر": 10})
_ORDINAL_TENS = _forms({"عشر": 10, "العشرين": 20, "الثلاثين": 30})
_WEEKDAYS = _forms({"الاثنين": 0, "الثلاثاء": 1, "الأربعاء": 2, "الخميس": 3, "الجمعة": 4, "السبت": 5,
                    "الأحد": 6})
_ANCHORS = _forms({"أمس": -1, "الأمس": -1, "اليوم": 0, "الليلة": 0, "غدا": 1})
_QUALIFIERS = _forms({
    **dict.fromkeys(("الماضي", "الماضية", "المنصرم", "المنصرمة", "الفائت", "الفائتة", "السابق", "السابقة"), -1),
    **dict.fromkeys(("الجاري", "الجارية", "الحالي", "الحالية", "الجديد", "الجديدة"), 0),
    **dict.fromkeys(("المقبل", "المقبلة", "القادم", "القادمة"), 1),
})
_THIS = {_normalize("هذا"), _normalize("هذه")}
_PERIODS = {_normalize(word): unit for word, unit in
            (("الأسبوع", "week"), ("الشهر", "month"), ("العام", "year"), ("السنة", "year"))}
_BEFORE_MONTH = {"من", "شهر"}  # may stand between a day and its month: 12 من شهر آب
_FIRST = _normalize("أول")
_YESTERDAY = {_normalize("أمس"), _normalize("الأمس")}
_VOCABULARY = (set(_MONTHS) | {word for pair in _TWO_WORD_MONTHS for word in pair} | set(_ORDINALS)
               | set(_ORDINAL_TENS) | set(_WEEKDAYS) | set(_ANCHORS) | set(_QUALIFIERS) | _THIS
               | set(_PERIODS) | _BEFORE_MONTH)


def resolve_date(expression: str, published: dt.date | None) -> ResolvedDate:
    """The calendar value of ``expression`` (a DATE span, clitics and article included).

    ``published`` anchors relative expressions (a ``datetime`` counts by its date); without
    it only expressions with a year resolve. See the module docstring for the rules.
    """
    if isinstance(published, dt.datetime):
        published = published.date()
    tokens = [token if token[0].isdigit() else _lemma(token) for token in _TOKEN.findall(_normalize(expression))]
    resolved = _numeric_date(tokens) or _named_month(tokens, published) or _year(tokens)
    if resolved is None and published is not None:
        resolved = _relative(tokens, published)
    return resolved or UNRESOLVED


def _lemma(word: str) -> str:
    """``word`` without the clitics و/ف and ب/ل/ك when what is left is a known date word.

    The article is never stripped: known words are stored with it where they take it, so
    ``والأحد`` is Sunday while ``واحد`` ("one") is not, and ``الآب`` is no month.
    """
    for conjunction in ("", "و", "ف"):
        if not word.startswith(conjunction):
            continue
        rest = word[len(conjunction):]
        stems = [rest] + [rest[1:] for preposition in "بلك" if rest.startswith(preposition)]
        if rest.startswith("لل"):  # ل + ال drops the alef: للأسبوع
            stems.append("ا" + rest[1:])
        for stem in stems:
            if stem in _VOCABULARY:
                return stem
    return word


def _numeric_date(tokens: list[str]) -> ResolvedDate | None:
    for token in tokens:
        if ":" in token:
            continue
        parts = regex.split(r"[./\-]", token)
        if len(parts) == 3:
            if len(parts[0]) == 4:
                year, month, day = map(int, parts)
            elif len(parts[2]) == 4:
                day, month, year = map(int, parts)
            else:
                continue
            if (value := _valid_day(year, month, day)) is not None:
                return ResolvedDate(value.isoformat(), "day")
        elif len(parts) == 2 and sorted(map(len, parts))[1] == 4 and min(map(len, parts)) <= 2:
            year, month = sorted(map(int, parts), reverse=True)
            if 1 <= month <= 12:
                return ResolvedDate(f"{year:04d}-{month:02d}", "month")
    return None


def _named_month(tokens: list[str], published: dt.date | None) -> ResolvedDate | None:
    mentions = []  # (first token, token after the name, month)
    for i, token in enumerate(tokens):
        if token in _MONTHS:
            mentions.append((i, i + 1, _MONTHS[token]))
        elif i + 1 < len(tokens) and (token, tokens[i + 1]) in _TWO_WORD_MONTHS:
            mentions.append((i, i + 2, _TWO_WORD_MONTHS[token, tokens[i + 1]]))
    if not mentions or len({month for *_, month in mentions}) > 1:
        return None
    month = mentions[0][2]
    day = _day_before(tokens, mentions[0][0])
    year = next((int(token) for token in tokens if token.isdigit() and len(token) == 4), None)
    after = mentions[-1][1]
    shift = _QUALIFIERS.get(tokens[after]) if after < len(tokens) else None
    if year is None:
        if published is None:
            return None
        year = _infer_year(published, month, day, shift)
    if day is None:
        return ResolvedDate(f"{year:04d}-{month:02d}", "month")
    value = _valid_day(year, month, day)
    return ResolvedDate(value.isoformat(), "day") if value else None


def _day_before(tokens: list[str], at: int) -> int | None:
    """The day of the month written before the month name at ``at``: 12, الأول, الثاني عشر."""
    i = at - 1
    while i >= 0 and tokens[i] in _BEFORE_MONTH:
        i -= 1
    if i < 0:
        return None
    if tokens[i].isdigit():
        return int(tokens[i]) if 1 <= int(tokens[i]) <= 31 else None
    tens = _ORDINAL_TENS.get(tokens[i])
    if tens is None:
        return _ORDINALS.get(tokens[i])
    unit = _ORDINALS.get(tokens[i - 1], 0) if i > 0 else 0
    if tens == 10:  # الحادي عشر … التاسع عشر need their unit
        return 10 + unit if 0 < unit < 10 else None
    return tens + unit if unit < 10 else None


def _infer_year(published: dt.date, month: int, day: int | None, shift: int | None) -> int:
    """The year of a day-month (or month, when ``day`` is None) written without one."""
    year = published.year
    if day is None:
        here = (month, 0)
        now = (published.month, 0)
    else:
        here = (month, day)
        now = (published.month, published.day)
    if shift == -1:
        return year if here < now else year - 1
    if shift == 1:
        return year if here > now else year + 1
    if shift == 0:
        return year
    first = _valid_day(year, month, day or 1) or dt.date(year, month, 28)
    return year - 1 if (first - published).days > 31 else year


def _year(tokens: list[str]) -> ResolvedDate | None:
    year = next((token for token in tokens if token.isdigit() and len(token) == 4), None)
    return ResolvedDate(year, "year") if year else None


def _relative(tokens: list[str], published: dt.date) -> ResolvedDate | None:
    for i, token in enumerate(tokens):
        if token in _ANCHORS:
            offset = _ANCHORS[token]
            if token in _YESTERDAY and _is_day_before_yesterday(tokens, i):
                offset = -2
            return ResolvedDate((published + dt.timedelta(days=offset)).isoformat(), "day")

    periods = {}  # unit → shift, for "الأسبوع الماضي", "هذا العام"
    for i, token in enumerate(tokens):
        if token in _PERIODS:
            after = _QUALIFIERS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
            shift = 0 if i > 0 and tokens[i - 1] in _THIS else after
            if shift is not None:
                periods.setdefault(_PERIODS[token], shift)

    weekdays = [i for i, token in enumerate(tokens) if token in _WEEKDAYS]
    if weekdays:
        i = weekdays[-1]
        target = _WEEKDAYS[tokens[i]]
        if "week" in periods:  # الثلاثاء من الأسبوع الماضي: that week's Tuesday
            monday = published - dt.timedelta(days=published.weekday() - 7 * periods["week"])
            return ResolvedDate((monday + dt.timedelta(days=target)).isoformat(), "day")
        shift = _QUALIFIERS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
        back = (published.weekday() - target) % 7
        if shift == -1 and back == 0:
            back = 7
        elif shift == 1:
            back = -((target - published.weekday()) % 7 or 7)
        return ResolvedDate((published - dt.timedelta(days=back)).isoformat(), "day")

    if "week" in periods:
        year, week, _ = (published + dt.timedelta(weeks=periods["week"])).isocalendar()
        return ResolvedDate(f"{year:04d}-W{week:02d}", "week")
    if "month" in periods:
        year, month0 = divmod(published.year * 12 + published.month - 1 + periods["month"], 12)
        return ResolvedDate(f"{year:04d}-{month0 + 1:02d}", "month")
    if "year" in periods:
        return ResolvedDate(f"{published.year + periods['year']:04d}", "year")
    return None


def _is_day_before_yesterday(tokens: list[str], at: int) -> bool:
    """أول أمس, أول من أمس, أمس الأول: ``tokens[at]`` is أمس."""
    before = tokens[at - 1] if at >= 1 else None
    two_before = tokens[at - 2] if at >= 2 else None
    after = tokens[at + 1] if at + 1 < len(tokens) else None
    return before == _FIRST or (before == "من" and two_before == _FIRST) or after == _normalize("الأول")


def _valid_day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
