"""Sentence splitting of scraped Arabic news, and sentence-level claim types from clause-level gold."""

from pathlib import Path

import pytest

from model.schema import Schema
from model.sentences import claim_types_per_sentence, sentence_spans

SEEDS = Path(__file__).resolve().parent.parent.parent / "seeds"
SEED_NAMES = sorted(path.name for path in SEEDS.glob("*.txt"))


def seed(prefix: str) -> str:
    (name,) = [name for name in SEED_NAMES if name.startswith(prefix)]
    return (SEEDS / name).read_text(encoding="utf-8")


# (seed, expected sentence (start, end), its exact text): real cases from the seed pages.
SEED_CASES = [
    # 000: glued headlines split exactly where model.words splits the glued word.
    ("000", (0, 61), "مباحثات سورية – سعودية لتعزيز التعاون في مجال الطاقة المتجددة"),
    ("000", (61, 123), "وزارة الأوقاف تتسلم مواقع إقامة الحجاج السوريين في مكة المكرمة"),
    # A seam without ة/ى (الإعمارالأمن) is not visible; colons (ماكرون:) end nothing.
    ("000", (123, 462), ("سوريا والبحرين تتفقان على تعزيز التعاون الاقتصادي في مرحلة إعادة الإعمارالأمن العام في"
                         " درعا يوقف أربعة أفراد من عصابة قطّاع الطرق بعد اشتباكاتمنح دراسية للطلاب السوريين في"
                         " كازاخستانماكرون: استقرار سوريا أساس لأمن المنطقة وأوروباالرئيس الشرع: سوريا تتعهد"
                         " بضمان أمن المنطقة واستقرارهاوزير الطاقة يبحث مع وفد صيني تعزيز التعاون في مجال الطاقة")),
    # «..» after a closing guillemet ends the sentence inside the glued line.
    ("000", (462, 668), ("وزارة الداخلية تفرج عن الدفعة الرابعة من موقوفي أحداث صحناياالاتحاد الأوروبي يحذر من"
                         " الاعتداءات الإسرائيلية على سورياالأمن العام يُحبط استعصاء في سجن إزرع ويفشل محاولة"
                         " احتجاز رهائن«ارفعوا أيديكم عن سوريا»..")),
    ("000", (943, 957), "بأوامر روسية.."),
    ("000", (958, 1020), "تحركات جديدة لميليشيات اﻷسد في ريف حماة والبادية السورية (خاص)"),
    # 001: a headline with «..» and «؟»; bullet lines keep their marker; «!!»; «...» before a line break.
    ("001", (20, 68), "تعزيزات عسكرية لقوات أسد تصل مطار تدمر العسكري.."),
    ("001", (69, 79), "فما الهدف؟"),
    ("001", (333, 349), "_4 عربات (BMB).."),
    ("001", (352, 385), "_وعربات عسكرية مزودة برشاشات 23.."),
    ("001", (387, 477), "_بالإضافة إلى 6 ناقلات جنود من الفيلق الخامس والحرس الجمهوري و على متنها نحو 90 عنصر مشاة."),
    ("001", (480, 596), ("و قد أتت هذه التعزيزات، في سياق الحملة التي تقوم بتنفيذها قوات الأسد في تمشيط البادية"
                         " لوجود اماكن عناصر تنظيم داعش!!")),
    ("001", (951, 1065), ("وفي 12 كانون الثاني الجاري،\xa0 تمت السيطرة على قرى في البادية السورية بالقرب من حماة"
                          " من قبل عناصر من تنظيم الدولة...")),
    # «..» glued to the next word: the "read also" prompt and the headline it introduces.
    ("001", (1268, 1279), "إقرأ أيضا.."),
    ("001", (1279, 1342), "روسيا تقدم عرضاً لادارة الرئيس الأمريكي الجديد بايدن بشأن سوريا"),
    # 002: «..» between the two clauses of a headline, «!» at its end.
    ("002", (0, 36), "الميليشيات تلاحق “داعش” في البادية.."),
    ("002", (37, 63), "وروسيا تسحب جزء من قواتها!"),
    # 003: «…..» is one run; a glued seam in a body paragraph (الطائفيةالتي) splits nothing.
    ("003", (96, 131), "حميميم تحشد لدعم الأسد شرق سوريا….."),
    ("003", (131, 165), "والأخير لن يسمح بمنطقة آمنة جنوبها"),
    ("003", (167, 182), "الرابط المختصر:"),
    # 004: a dotted date and a time in a dateline stay whole.
    ("004", (72, 95), "2021.05.01 | 13:31 دمشق"),
    ("004", (165, 167), "-A"),
]


@pytest.mark.parametrize(("prefix", "bounds", "expected"), SEED_CASES)
def test_seed_sentences(prefix, bounds, expected):
    text = seed(prefix)
    assert bounds in sentence_spans(text)
    assert text[bounds[0]:bounds[1]] == expected


def test_a_glued_seam_inside_a_body_paragraph_is_no_boundary():
    text = seed("003")
    start = text.index("أكدت قاعدة حميميم")
    end = text.index("“داعش”.", start) + len("“داعش”.")
    assert "الطائفيةالتي" in text[start:end]
    assert (start, end) in sentence_spans(text)


def texts(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


# (text, expected sentences): the rules on small made-up cases.
RULE_CASES = [
    ('قال: "انتهت المعركة." ثم غادر.', ['قال: "انتهت المعركة."', "ثم غادر."]),
    ("قال: «انتهت المعركة.» ثم غادر", ["قال: «انتهت المعركة.»", "ثم غادر"]),
    ('انتهى الأمر.."كلام جديد" قال', ["انتهى الأمر..", '"كلام جديد" قال']),
    ("وصل 2.5 مليون لاجئ. وعاد 1.200", ["وصل 2.5 مليون لاجئ.", "وعاد 1.200"]),
    ("في 2021.05.01 الساعة 13.31 بدأ الهجوم", ["في 2021.05.01 الساعة 13.31 بدأ الهجوم"]),
    ("قالت القوات U.S. إنها انسحبت. ثم عادت", ["قالت القوات U.S. إنها انسحبت.", "ثم عادت"]),
    ("نشر موقع www.sana.sy الخبر. ثم حذفه", ["نشر موقع www.sana.sy الخبر.", "ثم حذفه"]),
    ("ماذا حدث؟! لا أحد يعرف", ["ماذا حدث؟!", "لا أحد يعرف"]),
    ("الرئيس الشرع: سوريا تتعهد بضمان أمن المنطقة", ["الرئيس الشرع: سوريا تتعهد بضمان أمن المنطقة"]),
    ("وضمت التعزيزات:\n1. دبابات\n2- عربات\n• رشاشات\n* ذخائر\n– مدافع",
     ["وضمت التعزيزات:", "1. دبابات", "2- عربات", "• رشاشات", "* ذخائر", "– مدافع"]),
    ("عنوان أول\r\nعنوان ثان", ["عنوان أول", "عنوان ثان"]),
    ("انتهى. . ثم بدأ", ["انتهى. .", "ثم بدأ"]),
    (". بدأ الهجوم", [". بدأ الهجوم"]),
    ("خبر\n***\nخبر آخر", ["خبر", "***", "خبر آخر"]),
    ("  \n\xa0\n", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), RULE_CASES)
def test_rules(text, expected):
    assert texts(text) == expected


def test_a_glued_headline_splits_where_the_word_splits():
    text = "الطاقة المتجددةوزارة الأوقاف تتسلم مواقع"
    assert sentence_spans(text) == [(0, 15), (15, len(text))]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_invariants_on_every_seed(name):
    text = (SEEDS / name).read_text(encoding="utf-8")
    spans = sentence_spans(text)
    assert spans
    previous_end = 0
    covered = set()
    for start, end in spans:
        assert previous_end <= start < end, "ordered, non-empty, non-overlapping"
        assert not text[start].isspace() and not text[end - 1].isspace(), "trimmed"
        assert "\n" not in text[start:end], "never across a line break"
        covered.update(range(start, end))
        previous_end = end
    assert {i for i, char in enumerate(text) if not char.isspace()} <= covered, "every word is covered"


CLAIM_LABELS = {label.name for label in Schema.load().layers["claims"]}


def claim_rows(seed_documents, prefix: str) -> tuple[str, list[tuple[int, int, frozenset[str]]]]:
    (doc,) = [doc for doc in seed_documents if doc["id"].startswith(prefix)]
    claims = [span for span in doc["spans"] if span["label"] in CLAIM_LABELS]
    return doc["text"], claim_types_per_sentence(doc["text"], claims)


def test_claim_types_keep_every_sentence_in_order(seed_documents):
    for doc in seed_documents:
        text, rows = claim_rows(seed_documents, doc["id"])
        assert [(start, end) for start, end, _ in rows] == sentence_spans(text)


def test_sentences_with_claims_across_the_seeds(seed_documents):
    counts = {doc["id"][:3]: sum(1 for *_, labels in claim_rows(seed_documents, doc["id"])[1] if labels)
              for doc in seed_documents}
    assert counts == {"000": 16, "001": 19, "002": 12, "003": 12, "004": 9}


def test_a_sentence_with_two_and_one_with_no_claim_type(seed_documents):
    text, rows = claim_rows(seed_documents, "002")
    by_start = {start: (text[start:end], labels) for start, end, labels in rows}
    sentence, labels = by_start[561]
    assert sentence.startswith("وخلال الـ 3 أيام الماضية") and labels == {"AIRSTRIKE", "CASUALTIES"}
    assert by_start[0][1] == {"CAMPAIGN"} and by_start[37][1] == {"WITHDRAWAL"}
    assert by_start[65] == ("Facebook", frozenset())


def test_a_claim_over_a_kicker_labels_both_sentences(seed_documents):
    _, rows = claim_rows(seed_documents, "000")
    by_start = {start: labels for start, _, labels in rows}
    assert by_start[943] == by_start[958] == {"MOVEMENT"}
    assert by_start[1843] == {"CAMPAIGN", "CASUALTIES", "CONTROL"}


def test_overlap_is_by_at_least_one_character():
    text = "أولى. ثانية. ثالثة"
    claims = [{"start": 0, "end": 5, "label": "ATTACK"}, {"start": 4, "end": 7, "label": "CONTROL"}]
    assert claim_types_per_sentence(text, claims) == [
        (0, 5, frozenset({"ATTACK", "CONTROL"})), (6, 12, frozenset({"CONTROL"})), (13, 18, frozenset())]
