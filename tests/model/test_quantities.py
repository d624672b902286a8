"""Numbers in QUANTITY spans, hedged by the approximators the guidelines keep outside them."""

import pytest

from model.quantities import QUALIFIERS, Quantity, parse_quantity

# (span text, preceding text, value, qualifier, unit); the first rows are spans of the gold seeds.
TABLE = [
    ("55 غارة جوية", "نفذ الطيران الحربي الروسي أكثر من", 55, "more_than", "غارة جوية"),
    ("15 ضربة جوية", "وأشارت إلى أن سلاح الجو الروسي شن أكثر من", 15, "more_than", "ضربة جوية"),
    ("290 غارة", "وصل إلى نحو", 290, "approximately", "غارة"),
    ("150 عنصراً", "في قطاع البوكمال\xa0قرابة", 150, "approximately", "عنصراً"),
    ("90 عنصر مشاة", "و على متنها نحو", 90, "approximately", "عنصر مشاة"),
    ("100 مقاتل روسي", "أدت إلى مقتل أكثر من", 100, "more_than", "مقاتل روسي"),
    ("مئة قتيل", "خسارة قوات نظام الأسد ما لا يقل عن", 100, "at_least", "قتيل"),
    ("أربعة أفراد", "الأمن العام في درعا يوقف", 4, "exact", "أفراد"),
    ("6 ناقلات جنود", "_بالإضافة إلى", 6, "exact", "ناقلات جنود"),
    ("10 سيارات مدنيّة", "صادر، أمس الجمعة،", 10, "exact", "سيارات مدنيّة"),
    ("200 عنصر", "كذلك أرسلت", 200, "exact", "عنصر"),
    ("الـ 3 أيام", "وخلال", 3, "exact", "أيام"),
    # digits: Arabic-Indic, decimals, thousands separators, with a scale word
    ("١٢ قتيلاً", "", 12, "exact", "قتيلاً"),
    ("2.5 مليون", "", 2_500_000, "exact", ""),
    ("٢٫٥ مليون لاجئ", "حوالي", 2_500_000, "approximately", "لاجئ"),
    ("1.5 مليون", "", 1_500_000, "exact", ""),
    ("1,200 لاجئ", "", 1200, "exact", "لاجئ"),
    ("١٬٢٠٠ لاجئ", "", 1200, "exact", "لاجئ"),
    ("3 آلاف عنصر", "", 3000, "exact", "عنصر"),
    ("0.5 طن", "", 0.5, "exact", "طن"),
    # number words: units in both genders and cases, teens, tens, hundreds, thousands, millions
    ("ثلاثة مدنيين", "", 3, "exact", "مدنيين"),
    ("ثلاث غارات", "", 3, "exact", "غارات"),
    ("اثنين من المقاتلين", "", 2, "exact", "المقاتلين"),
    ("عشرة أشخاص", "", 10, "exact", "أشخاص"),
    ("أحد عشر قتيلاً", "", 11, "exact", "قتيلاً"),
    ("اثنا عشر عنصراً", "", 12, "exact", "عنصراً"),
    ("سبعة عشر", "", 17, "exact", ""),
    ("خمسين شخصاً", "", 50, "exact", "شخصاً"),
    ("ثلاثين غارة", "", 30, "exact", "غارة"),
    ("خمسة وعشرون عنصراً", "", 25, "exact", "عنصراً"),
    ("والثلاثين", "", 30, "exact", ""),
    ("مئة وعشرين", "", 120, "exact", ""),
    ("مائة و عشرين مقاتلاً", "", 120, "exact", "مقاتلاً"),
    ("مئتي عنصر", "", 200, "exact", "عنصر"),
    ("ثلاثمئة مقاتل", "", 300, "exact", "مقاتل"),
    ("تسعمائة", "", 900, "exact", ""),
    ("ألف عنصر", "", 1000, "exact", "عنصر"),
    ("ألفي عنصر", "", 2000, "exact", "عنصر"),
    ("ألفان", "", 2000, "exact", ""),
    ("عشرين ألفاً", "", 20_000, "exact", ""),
    ("خمسة وعشرون ألفاً", "", 25_000, "exact", ""),
    ("ألف ومئتي عنصر", "", 1200, "exact", "عنصر"),
    ("ثلاثمئة ألف لاجئ", "", 300_000, "exact", "لاجئ"),
    ("مليون لاجئ", "", 1_000_000, "exact", "لاجئ"),
    ("مليونا لاجئ", "", 2_000_000, "exact", "لاجئ"),
    ("لـ 150 عنصراً", "", 150, "exact", "عنصراً"),
    # hedges: every qualifier, with و on the hedge, inside the span at its start or its end
    ("20 قتيلاً", "ما يزيد عن", 20, "more_than", "قتيلاً"),
    ("20 قتيلاً", "ما يزيد على", 20, "more_than", "قتيلاً"),
    ("20 قتيلاً", "أزيد من", 20, "more_than", "قتيلاً"),
    ("20 قتيلاً", "وأكثر من", 20, "more_than", "قتيلاً"),
    ("20 قتيلاً", "زهاء", 20, "approximately", "قتيلاً"),
    ("20 قتيلاً", "حوالى", 20, "approximately", "قتيلاً"),
    ("20 قتيلاً", "ما يقارب", 20, "approximately", "قتيلاً"),
    ("20 قتيلاً", "لا يقل عن", 20, "at_least", "قتيلاً"),
    ("20 قتيلاً", "على الأقل", 20, "at_least", "قتيلاً"),
    ("20 قتيلاً", "أقل من", 20, "less_than", "قتيلاً"),
    ("20 قتيلاً", "ما لا يزيد عن", 20, "at_most", "قتيلاً"),
    ("150 عنصراً على الأقل", "", 150, "at_least", "عنصراً"),
    ("200 عنصر تقريباً", "", 200, "approximately", "عنصر"),
    ("نحو 90 عنصر مشاة", "", 90, "approximately", "عنصر مشاة"),
    ("أكثر من 100 مقاتل", "", 100, "more_than", "مقاتل"),
    ("20 قتيلاً", "قال إن نحو عشرة وصلوا و", 20, "exact", "قتيلاً"),  # a hedge must touch the span
    # vague counts
    ("عشرات القتلى", "", None, "tens", "القتلى"),
    ("عشرات من القتلى", "نحو", None, "tens", "القتلى"),
    ("مئات العناصر", "", None, "hundreds", "العناصر"),
    ("آلاف اللاجئين", "", None, "thousands", "اللاجئين"),
    ("عشرات الآلاف من المدنيين", "", None, "tens_of_thousands", "المدنيين"),
    ("مئات الآلاف", "", None, "hundreds_of_thousands", ""),
    ("ملايين السوريين", "", None, "millions", "السوريين"),
    ("بضعة أشخاص", "", None, "several", "أشخاص"),
    ("عدة عناصر", "", None, "several", "عناصر"),
    ("بضعة آلاف", "", None, "thousands", ""),
    # nothing to read
    ("الدفعة الرابعة", "", None, "unknown", "الدفعة الرابعة"),
    ("", "", None, "unknown", ""),
]


@pytest.mark.parametrize(("text", "preceding", "value", "qualifier", "unit"), TABLE)
def test_truth_table(text, preceding, value, qualifier, unit):
    quantity = parse_quantity(text, preceding)
    assert quantity == Quantity(value, qualifier, unit)
    assert quantity.qualifier in QUALIFIERS
    assert type(quantity.value) is type(value)  # whole numbers are ints, not 120.0


def test_preceding_is_optional():
    assert parse_quantity("55 غارة جوية") == Quantity(55, "exact", "غارة جوية")
