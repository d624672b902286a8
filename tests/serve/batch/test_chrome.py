"""Page-chrome detection: a truth table of lines, and the seeds' chrome against their annotations."""

from __future__ import annotations

import pytest

from serve.batch.chrome import chrome_prefix, chrome_spans, clean


@pytest.mark.parametrize("line", [
    "Facebook", "WhatsApp", "Telegram", "Twitter", "Facebook Twitter WhatsApp Telegram",
    "+A", "-A", "حجم الخط", "+A حجم الخط -A", "الرابط المختصر:", "recent", "أخبار ساخنة",
    "التغطية الحية", "icon", "مقالات ذات صلة", "قد يُعجبك أيضاً", "زر الذهاب إلى الأعلى",
    "إقرأ أيضا..روسيا تقدم عرضاً لادارة الرئيس الأمريكي الجديد بايدن بشأن سوريا",
    "اقرأ أيضاً: قصف على ريف إدلب", "google-playkhamsatmostaqltradent", "حمل التطبيق من App Store",
    "الرئيسية / أخبار / سوريا", "الرئيسية » سياسة", "x",
])
def test_chrome_lines_are_blanked_whole(line):
    assert chrome_prefix(line) == len(line)


@pytest.mark.parametrize("line", [
    "وأكد مصدر خاص لوكالة ثقة الإعلامية أن ميليشيات الدفاع الوطني انتقلت إلى تدمر",
    "الرئيسية للحزب قالت",  # starts like a breadcrumb, has no separator
    "قوات الأسد / روسيا",
    "2021.05.01 | 13:31 دمشق",  # a dateline is a DATE, not chrome
    "إسطنبول - خاص",
    "شارك 150 عنصراً في الهجوم",  # a chrome word inside a sentence
    "",
    "  ",
])
def test_story_lines_are_kept(line):
    assert chrome_prefix(line) == 0


def test_breadcrumb_ending_in_the_headline_keeps_the_headline():
    line = "الرئيسية / آخر الأخبار / حميميم تحشد لدعم الأسد شرق سوريا…..والأخير لن يسمح بمنطقة آمنة جنوبها"
    assert line[chrome_prefix(line):].startswith("حميميم")


def test_clean_keeps_length_newlines_and_story():
    text = "Facebook\nWhatsApp\nقصف على تدمر.\n+A حجم الخط -A\n"
    cleaned = clean(text)
    assert len(cleaned) == len(text)
    assert cleaned == " " * 8 + "\n" + " " * 8 + "\nقصف على تدمر.\n" + " " * 14 + "\n"


def test_seed_chrome_avoids_annotated_spans_except_read_also_teasers(seed_documents):
    """The annotators tagged the headline of one "read also" teaser (another story's headline);
    blanking teasers is deliberate, so that is the only overlap allowed."""
    found = 0
    for document in seed_documents:
        text = document["text"]
        for start, end in chrome_spans(text):
            found += 1
            overlapping = [s for s in document["spans"] if s["start"] < end and start < s["end"]]
            if overlapping:
                assert text[start:end].startswith("إقرأ أيضا"), (text[start:end], overlapping)
    assert found >= 15, "the seeds carry share buttons, font-size controls, menus and footers"
