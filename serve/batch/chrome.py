"""Page chrome: the lines a scraper keeps around a story that are not the story.

Scraped Arabic news pages carry share buttons (Facebook, WhatsApp, Telegram), menus and
breadcrumbs (``الرئيسية / أخبار``), "read also" teasers (``إقرأ أيضا..`` + another headline),
app-store footers, font-size controls (``+A حجم الخط -A``), "short link", "hot news",
"live coverage" and the like. Left in, the tagger reads them as text and finds entities in
teaser headlines of other stories.

:func:`clean` blanks those lines with spaces of the same length, so every character offset
computed on the cleaned text indexes the original text unchanged. Only whole lines are
judged, and only short ones (a story paragraph is never chrome); a line is chrome when,
after normalising Arabic spelling variants, it is made only of known chrome phrases and
separators, or starts with a "read also" marker, or is a breadcrumb or store footer.
This does not find chrome glued onto story text on the same line (a menu of headlines
concatenated without line breaks stays).
"""

from __future__ import annotations

import regex

# A chrome line is short; anything longer is taken to be story text whatever it contains.
MAX_CHROME_CHARS = 300

# Whole-line phrases, written in normalised form (see _normalise): alef variants → ا,
# ى → ي, ة → ه, no diacritics or tatweel, lower case.
_PHRASES = [
    # share and follow buttons
    "facebook", "whatsapp", "telegram", "twitter", "x", "linkedin", "pinterest", "messenger",
    "reddit", "tumblr", "email", "e-mail", "print", "share", "tweet", "copy link", "vk",
    "فيسبوك", "فيس بوك", "واتساب", "واتس اب", "تلغرام", "تيليغرام", "تويتر", "لينكدان",
    "مشاركه", "شارك", "شارك عبر", "شارك الخبر", "طباعه", "نسخ الرابط", "البريد الالكتروني",
    "تابعنا", "تابعنا علي", "تابعونا علي",
    # navigation and section furniture
    "recent", "icon", "menu", "search", "home", "الرئيسيه", "القائمه", "بحث", "المزيد",
    "اخبار ساخنه", "عاجل", "الاكثر قراءه", "الاكثر مشاهده", "اخر الاخبار", "التغطيه الحيه",
    "مقالات ذات صله", "اخبار ذات صله", "مواضيع ذات صله", "قد يعجبك ايضا", "قد يهمك ايضا",
    "زر الذهاب الي الاعلي", "العوده الي الاعلي", "الرابط المختصر", "رابط مختصر",
    "اقرا ايضا", "اقرا المزيد", "شاهد ايضا", "التعليقات", "اضف تعليق", "اترك تعليقا",
    # font-size controls
    "+a", "-a", "a+", "a-", "a", "حجم الخط", "تكبير الخط", "تصغير الخط",
]
_READ_ALSO = ("اقرا ايضا", "اقرا ايضا:", "شاهد ايضا", "اقرا المزيد", "اقرا كذلك", "read also", "read more")
_STORE_MARKS = ("google-play", "google play", "app store", "appstore", "play store", "حمل التطبيق",
                "جميع الحقوق محفوظه")

_DIACRITICS = regex.compile(r"[\p{Mn}\u0640]")
_ARABIC_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
# Longest first, so "حجم الخط" is taken before a bare "a" could split anything.
_PHRASE_PATTERN = regex.compile(
    r"(?<![\p{L}\p{N}])(?:" + "|".join(regex.escape(p) for p in sorted(_PHRASES, key=len, reverse=True))
    + r")(?![\p{L}\p{N}])"
)
_WORD_CHAR = regex.compile(r"[\p{L}\p{N}]")
_LINE = regex.compile(r"[^\n]+")
# One breadcrumb segment and the separator (with its spaces) after it.
_CRUMB = regex.compile(r"([^/»›>|]*)(?:\s*[/»›>|]\s*|$)")
_CRUMB_SEPARATOR = regex.compile(r"[/»›>|]")
_MAX_CRUMB_WORDS = 4


def _normalise(line: str) -> str:
    return _DIACRITICS.sub("", line).translate(_ARABIC_VARIANTS).casefold().strip()


def chrome_prefix(line: str) -> int:
    """How many leading characters of one line (without its newline) are page chrome: 0 for
    story text, ``len(line)`` for a whole chrome line, less for a breadcrumb that ends in
    the headline (``الرئيسية / آخر الأخبار / <headline>`` keeps the headline)."""
    if len(line) > MAX_CHROME_CHARS or not _WORD_CHAR.search(line):
        return 0
    norm = _normalise(line)
    if norm.startswith(_READ_ALSO):
        return len(line)
    if any(mark in norm for mark in _STORE_MARKS) and len(norm.split()) <= 8:
        return len(line)
    if norm.startswith("الرئيسيه"):
        return _breadcrumb_prefix(line)
    # Made only of chrome phrases and punctuation ("+A حجم الخط -A", "Facebook WhatsApp").
    return 0 if _WORD_CHAR.search(_PHRASE_PATTERN.sub(" ", norm)) else len(line)


def _breadcrumb_prefix(line: str) -> int:
    """The menu trail of a breadcrumb: its leading short segments, up to the first segment of
    more than a few words (the headline); the whole line when every segment is short."""
    if not _CRUMB_SEPARATOR.search(line):
        return 0
    end = 0
    for match in _CRUMB.finditer(line):
        if len(match.group(1).split()) > _MAX_CRUMB_WORDS:
            return end
        end = match.end()
    return end


def chrome_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the chrome in ``text``, newlines excluded."""
    spans = []
    for match in _LINE.finditer(text):
        length = chrome_prefix(match.group())
        if length:
            spans.append((match.start(), match.start() + length))
    return spans


def clean(text: str) -> str:
    """``text`` with chrome lines replaced by spaces: same length, newlines and story untouched,
    so offsets into the result are offsets into ``text``."""
    spans = chrome_spans(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)
