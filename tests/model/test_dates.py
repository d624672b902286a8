"""Arabic date expressions resolved against the publication date: a truth table."""

from datetime import date, datetime

import pytest

from model.dates import ResolvedDate, resolve_date

FRIDAY = date(2015, 8, 7)  # a Friday, in ISO week 2015-W32 (Monday 3 to Sunday 9 August)

# (expression, publication date, expected value, expected precision)
TABLE = [
    # yesterday, today, the day before yesterday; clitics, the article, day parts
    ("أمس", FRIDAY, "2015-08-06", "day"),
    ("وأمس", FRIDAY, "2015-08-06", "day"),
    ("بالأمس", FRIDAY, "2015-08-06", "day"),
    ("أمس الخميس", FRIDAY, "2015-08-06", "day"),
    ("أمس الجمعة", FRIDAY, "2015-08-06", "day"),  # the anchor wins over a weekday that disagrees
    ("أمس الجمعة", date(2021, 5, 1), "2021-04-30", "day"),
    ("اليوم", FRIDAY, "2015-08-07", "day"),
    ("اليوم الخميس", date(2015, 8, 6), "2015-08-06", "day"),
    ("اليوم السبت", date(2021, 5, 1), "2021-05-01", "day"),
    ("أول أمس", FRIDAY, "2015-08-05", "day"),
    ("أول من أمس", FRIDAY, "2015-08-05", "day"),
    ("أمس الأول", FRIDAY, "2015-08-05", "day"),
    ("فجر اليوم", FRIDAY, "2015-08-07", "day"),
    ("صباح اليوم", FRIDAY, "2015-08-07", "day"),
    ("مساء أمس", FRIDAY, "2015-08-06", "day"),
    ("ليل أمس", FRIDAY, "2015-08-06", "day"),
    ("غداً", FRIDAY, "2015-08-08", "day"),
    # weekdays: alone on or before publication, الماضي strictly before, المقبل strictly after
    ("الثلاثاء", FRIDAY, "2015-08-04", "day"),
    ("يوم الثلاثاء", FRIDAY, "2015-08-04", "day"),
    ("الجمعة", FRIDAY, "2015-08-07", "day"),
    ("يوم الجمعة الماضي", FRIDAY, "2015-07-31", "day"),
    ("يوم الثلاثاء الماضي", FRIDAY, "2015-08-04", "day"),
    ("الثلاثاء المقبل", FRIDAY, "2015-08-11", "day"),
    ("الجمعة المقبلة", FRIDAY, "2015-08-14", "day"),
    ("والأحد", FRIDAY, "2015-08-02", "day"),
    ("الثلاثا", FRIDAY, "2015-08-04", "day"),  # hamza dropped
    ("الاربعاء المقبل", FRIDAY, "2015-08-12", "day"),
    ("منتصف ليل الثلاثاء - الأربعاء", FRIDAY, "2015-08-05", "day"),
    ("الثلاثاء من الأسبوع الماضي", FRIDAY, "2015-07-28", "day"),
    # weeks (ISO), months, years
    ("الأسبوع الماضي", FRIDAY, "2015-W31", "week"),
    ("اﻷسبوع الماضي", FRIDAY, "2015-W31", "week"),  # presentation-form ligature, as scraped
    ("الأسبوع الجاري", FRIDAY, "2015-W32", "week"),
    ("هذا الأسبوع", FRIDAY, "2015-W32", "week"),
    ("الأسبوع المقبل", FRIDAY, "2015-W33", "week"),
    ("الأسبوع الماضي", date(2021, 1, 5), "2020-W53", "week"),
    ("الشهر الماضي", FRIDAY, "2015-07", "month"),
    ("الشهر الجاري", FRIDAY, "2015-08", "month"),
    ("الشهر الماضي", date(2021, 1, 15), "2020-12", "month"),
    ("العام الماضي", FRIDAY, "2014", "year"),
    ("العام الحالي", FRIDAY, "2015", "year"),
    ("السنة الماضية", FRIDAY, "2014", "year"),
    ("مطلع العام الجديد", date(2021, 5, 1), "2021", "year"),
    ("الشهور الأخيرة من العام المنصرم", date(2021, 5, 1), "2020", "year"),
    # day and month, both month-name systems, alternatives, ordinals, Arabic-Indic digits
    ("12 آب/أغسطس", FRIDAY, "2015-08-12", "day"),
    ("12 آب", FRIDAY, "2015-08-12", "day"),
    ("12 أغسطس", FRIDAY, "2015-08-12", "day"),
    ("12 اغسطس", FRIDAY, "2015-08-12", "day"),
    ("١٢ آب", FRIDAY, "2015-08-12", "day"),
    ("الثاني عشر من آب", FRIDAY, "2015-08-12", "day"),
    ("الأول من آب", FRIDAY, "2015-08-01", "day"),
    ("الحادي والعشرين من تموز", FRIDAY, "2015-07-21", "day"),
    ("12 إبريل", FRIDAY, "2015-04-12", "day"),
    ("3 يونيه", FRIDAY, "2015-06-03", "day"),
    ("4 يوليو", FRIDAY, "2015-07-04", "day"),
    ("5 سبتمبر", FRIDAY, "2015-09-05", "day"),  # 29 days ahead: still this year
    ("20 أيلول", FRIDAY, "2014-09-20", "day"),  # 44 days ahead: last year's
    ("1 كانون الثاني", FRIDAY, "2015-01-01", "day"),
    ("9 تشرين ثاني 2013", FRIDAY, "2013-11-09", "day"),
    ("13 كانون الأول الماضي", FRIDAY, "2014-12-13", "day"),
    ("13 كانون الأول الماضي", date(2021, 1, 15), "2020-12-13", "day"),
    ("6 آب الماضي", FRIDAY, "2015-08-06", "day"),
    ("وفي 12 كانون الثاني الجاري", date(2021, 1, 20), "2021-01-12", "day"),
    ("18 آب 2020", FRIDAY, "2020-08-18", "day"),
    ("12 ابريل 2014", FRIDAY, "2014-04-12", "day"),
    # month only
    ("آب الماضي", FRIDAY, "2014-08", "month"),
    ("آب الجاري", FRIDAY, "2015-08", "month"),
    ("آب المقبل", FRIDAY, "2016-08", "month"),
    ("اذار الماضي", FRIDAY, "2015-03", "month"),
    ("مطلع شهر أيار", FRIDAY, "2015-05", "month"),
    ("مطلع شهر أيار الجاري", date(2021, 5, 1), "2021-05", "month"),
    ("أيلول", FRIDAY, "2015-09", "month"),
    ("تشرين الأول", FRIDAY, "2014-10", "month"),
    ("كانون الأول", date(2021, 1, 5), "2020-12", "month"),
    ("تشرين الثاني 2016", FRIDAY, "2016-11", "month"),
    ("8/2015", FRIDAY, "2015-08", "month"),
    # years and numeric dates
    ("عام 2019", FRIDAY, "2019", "year"),
    ("2015", FRIDAY, "2015", "year"),
    ("٢٠١٩", FRIDAY, "2019", "year"),
    ("آب - أيلول 2020", FRIDAY, "2020", "year"),  # two months disagree: only the year is sure
    ("2021.05.01", FRIDAY, "2021-05-01", "day"),
    ("1/8/2015", FRIDAY, "2015-08-01", "day"),
    ("2021-05-01", None, "2021-05-01", "day"),
    # unresolved
    ("الأيام القليلة الماضية", FRIDAY, None, None),
    ("الـ 3 أيام الماضية", FRIDAY, None, None),
    ("قبل أيام", FRIDAY, None, None),
    ("منذ شهرين تقريباً", FRIDAY, None, None),
    ("الفترة القادمة", FRIDAY, None, None),
    ("13:31", FRIDAY, None, None),
    ("31 شباط", FRIDAY, None, None),
    ("آب - أيلول", FRIDAY, None, None),
    ("يوم واحد", FRIDAY, None, None),  # واحد is "one", not و + الأحد
]


@pytest.mark.parametrize(("expression", "published", "value", "precision"), TABLE)
def test_truth_table(expression, published, value, precision):
    assert resolve_date(expression, published) == ResolvedDate(value, precision)


@pytest.mark.parametrize("expression", ["أمس", "اليوم الخميس", "الثلاثاء الماضي", "الأسبوع الماضي",
                                        "12 آب", "آب الماضي", "مطلع شهر أيار"])
def test_relative_expressions_need_a_publication_date(expression):
    assert resolve_date(expression, None) == ResolvedDate(None, None)


@pytest.mark.parametrize(("expression", "value", "precision"), [
    ("18 آب 2020", "2020-08-18", "day"), ("عام 2019", "2019", "year"), ("2021.05.01", "2021-05-01", "day"),
    ("1/8/2015", "2015-08-01", "day"), ("تشرين الثاني 2016", "2016-11", "month")])
def test_absolute_dates_resolve_without_a_publication_date(expression, value, precision):
    assert resolve_date(expression, None) == ResolvedDate(value, precision)


def test_a_datetime_counts_by_its_date():
    assert resolve_date("أمس", datetime(2015, 8, 7, 23, 59)) == ResolvedDate("2015-08-06", "day")
