"""The lexicon: spelling folding, clitic-aware longest matching, BIO tags, and the file checks."""

import pytest

from model.lexicon import DEFAULT_LEXICON_PATH, Lexicon, LexiconMatch, check_lexicon, normalize
from model.schema import Schema
from model.words import word_spans

GOVERNORATES = ["دمشق", "ريف دمشق", "حلب", "حمص", "حماة", "اللاذقية", "طرطوس", "إدلب", "دير الزور",
                "الرقة", "الحسكة", "درعا", "السويداء", "القنيطرة"]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def words_of(text: str) -> list[str]:
    return [text[start:end] for start, end in word_spans(text)]


def found(lexicon: Lexicon, text: str, group: str) -> list[tuple[str, str, str]]:
    """(surface, label, canonical entry) of every match, surfaces joined by spaces."""
    words = words_of(text)
    return [(" ".join(words[m.start:m.end]), m.label, m.entry) for m in lexicon.match(words, group)]


@pytest.mark.parametrize(("word", "expected"), [
    ("إدلب", "ادلب"), ("الأسد", "الاسد"), ("آليات", "اليات"), ("ٱلرقة", "الرقه"),  # hamza and wasla
    ("حماة", "حماه"), ("بصرى", "بصري"),  # ة/ه, ى/ي
    ("حـــلب", "حلب"), ("دِمَشْقُ", "دمشق"), ("هجوماً", "هجوما"),  # tatweel, harakat, tanween
    ("اﻹعلامية", "الاعلاميه"),  # presentation-form lam-alef (NFKC)
    ("٢٠١٩", "2019"), ("۱۷", "17"),  # Arabic-Indic and Persian digits
    ("BMP", "bmp"), ("–", "-"), ("“", '"'), ("کیف", "كيف"),
    ("مسؤول", "مسؤول"), ("رئيس", "رئيس"),  # hamza on waw and ya is kept
])
def test_normalize(word, expected):
    assert normalize(word) == expected


CASES = [
    # proclitics on the first word: و ف ب ل ك, their combinations, ب/و + ال, لل = ل + ال
    ("دخلت القوات والرقة", "entities", [("والرقة", "GPE", "الرقة")]),
    ("اشتباكات بالرقة", "entities", [("بالرقة", "GPE", "الرقة")]),
    ("تعزيزات للرقة", "entities", [("للرقة", "GPE", "الرقة")]),
    ("فالرقة محاصرة", "entities", [("فالرقة", "GPE", "الرقة")]),
    ("وللرقة أهمية", "entities", [("وللرقة", "GPE", "الرقة")]),
    ("قصف بحلب وحلب لحلب كحلب فبحلب", "entities",
     [("بحلب", "GPE", "حلب"), ("وحلب", "GPE", "حلب"), ("لحلب", "GPE", "حلب"), ("كحلب", "GPE", "حلب"),
      ("فبحلب", "GPE", "حلب")]),
    ("وصلت إلى اللاذقية وللاذقية", "entities",
     [("اللاذقية", "GPE", "اللاذقية"), ("وللاذقية", "GPE", "اللاذقية")]),  # ل + اللاذقية
    ("وقوات النظام ولقوات النظام", "entities",
     [("وقوات النظام", "MIL", "قوات النظام"), ("ولقوات النظام", "MIL", "قوات النظام")]),
    ("رتل النظام التابع للنظام", "entities", [("النظام", "ORG", "النظام"), ("للنظام", "ORG", "النظام")]),
    ("لدعم الأسد وضابط للأسد", "entities", [("الأسد", "PER", "الأسد"), ("للأسد", "PER", "الأسد")]),
    # spelling variants fold together
    ("ادلب وإدلب وأدلب", "entities",
     [("ادلب", "GPE", "إدلب"), ("وإدلب", "GPE", "إدلب"), ("وأدلب", "GPE", "إدلب")]),
    ("الاسد", "entities", [("الاسد", "PER", "الأسد")]),
    ("حماه وحماة", "entities", [("حماه", "GPE", "حماة"), ("وحماة", "GPE", "حماة")]),
    ("بصري وبصرى الشام", "entities", [("بصري", "GPE", "بصرى الشام"), ("وبصرى الشام", "GPE", "بصرى الشام")]),
    ("حـــلب ودِمَشْقَ", "entities", [("حـــلب", "GPE", "حلب"), ("ودِمَشْقَ", "GPE", "دمشق")]),
    ("اقتحام مقر الفرقة ١٧", "entities", [("مقر الفرقة ١٧", "FAC", "الفرقة 17")]),
    ("وذكرت شبكة دير الزور ٢٤ أن", "sources", [("دير الزور ٢٤", "SRC_NAMED", "دير الزور 24")]),
    ("ديرالزور ودير الزور", "entities", [("ديرالزور", "GPE", "دير الزور"), ("ودير الزور", "GPE", "دير الزور")]),
    # words that begin with a clitic letter keep it when they are names themselves
    ("بيروت ولبنان وفرنسا وكفرنبل وبصرى", "entities",
     [("بيروت", "GPE", "بيروت"), ("ولبنان", "GPE", "لبنان"), ("وفرنسا", "GPE", "فرنسا"),
      ("وكفرنبل", "GPE", "كفرنبل"), ("وبصرى", "GPE", "بصرى الشام")]),
    ("وصل وفد بريطاني لبحث بيان وزير", "entities", []),
    ("بلدة فيها لجنة وكتيبة", "entities", []),
    # the article is part of a name: حمص is not الحمص, and أسد alone is not الأسد
    ("طبق الحمص", "entities", []),
    ("أسد", "entities", []),
    # longest match wins; shorter entries still match on their own
    ("أفاد المرصد السوري لحقوق الإنسان", "entities",
     [("المرصد السوري لحقوق الإنسان", "ORG", "المرصد السوري لحقوق الإنسان")]),
    ("وقال المرصد إن", "entities", [("المرصد", "ORG", "المرصد السوري لحقوق الإنسان")]),
    ("شن الطيران الحربي الروسي والطيران الحربي", "entities",
     [("الطيران الحربي الروسي", "MIL", "الطيران الروسي"), ("والطيران الحربي", "MIL", "الطيران الحربي")]),
    ("تعزيزات تصل مطار تدمر العسكري قرب تدمر", "entities",
     [("مطار تدمر العسكري", "FAC", "مطار تدمر العسكري"), ("تدمر", "GPE", "تدمر")]),
    ("قوات نظام الأسد", "entities", [("قوات نظام الأسد", "MIL", "قوات نظام الأسد")]),
    ("ريف دير الزور الشرقي", "entities", [("ريف دير الزور الشرقي", "LOC", "ريف دير الزور الشرقي")]),
    # multi-word entries with punctuation words inside; quoted names
    ("تأمين طريق تدمر – السخنة", "entities", [("طريق تدمر – السخنة", "LOC", "طريق تدمر – السخنة")]),
    ("على طريق تدمر-السخنة", "entities", [("طريق تدمر - السخنة", "LOC", "طريق تدمر – السخنة")]),
    ("مطار الـ T4", "entities", [("مطار الـ T4", "FAC", "مطار التيفور")]),
    ("تنظيم “داعش” وتنظيم داعش", "entities",
     [("داعش", "MIL", "داعش"), ("وتنظيم داعش", "MIL", "داعش")]),
    ("ونقلت وكالة “سبوتنيك” الروسية عن", "sources",
     [("وكالة “ سبوتنيك ” الروسية", "SRC_NAMED", "وكالة سبوتنيك الروسية")]),
    # sources: the article is written in the entry, clitics still attach
    ("وفقاً لمصادر ميدانية متطابقة", "sources",
     [("لمصادر ميدانية متطابقة", "SRC_ANON", "مصادر ميدانية متطابقة")]),
    ("وقالت المصادر المحلية", "sources", [("المصادر المحلية", "SRC_ANON", "مصادر محلية")]),
    # cues: the article is optional on every word
    ("الغارات وبالغارات وللغارات", "cues",
     [("الغارات", "AIRSTRIKE", "غارة"), ("وبالغارات", "AIRSTRIKE", "غارة"), ("وللغارات", "AIRSTRIKE", "غارة")]),
    ("القصف الجوي", "cues", [("القصف الجوي", "AIRSTRIKE", "قصف جوي")]),
    ("ووقف إطلاق النار وإطلاق سراح وإطلاق النار", "cues",
     [("ووقف إطلاق النار", "DIPLOMACY", "وقف إطلاق النار"), ("وإطلاق سراح", "DETENTION", "إطلاق سراح"),
      ("وإطلاق النار", "ATTACK", "إطلاق النار")]),
    ("وفقاً لـ مصادر ونقلاً عن", "cues",
     [("وفقاً لـ", "ATTRIBUTION", "وفقاً لـ"), ("ونقلاً عن", "ATTRIBUTION", "نقلاً عن")]),
    ("أدى إلى مقتل ١٥ عنصراً", "cues", [("مقتل", "CASUALTIES", "مقتل")]),
]


@pytest.mark.parametrize(("text", "group", "expected"), CASES)
def test_match(lexicon, text, group, expected):
    assert found(lexicon, text, group) == expected


def test_match_reports_word_indices(lexicon):
    words = words_of("وأكد مصدر خاص أن قوات النظام سيطرت على كفرنبل .")
    assert lexicon.match(words, "entities") == [LexiconMatch(4, 6, "entities", "MIL", "قوات النظام"),
                                                LexiconMatch(8, 9, "entities", "GPE", "كفرنبل")]


def test_word_tags(lexicon):
    words = words_of("أفاد المرصد السوري لحقوق الإنسان أن قوات النظام سيطرت على بلدة كفرنبل .")
    assert lexicon.word_tags(words, "entities") == [
        "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "B-MIL", "I-MIL", "O", "O", "O", "B-GPE", "O"]
    assert lexicon.word_tags(words, "cues") == ["B-ATTRIBUTION"] + ["O"] * 7 + ["B-CONTROL"] + ["O"] * 4
    assert lexicon.word_tags([], "sources") == []


def test_unknown_group_is_refused(lexicon):
    with pytest.raises(ValueError, match="claims"):
        lexicon.match(["حلب"], "claims")


def write(tmp_path, body: str):
    path = tmp_path / "lexicon.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_exact_word_beats_a_stripped_reading_of_the_same_length(tmp_path):
    lexicon = Lexicon.load(write(tmp_path, "version: 1\nentities:\n  GPE: [بصرى, صرى, لبنان, بنان]\n"))
    assert found(lexicon, "بصرى لبنان وبنان", "entities") == [
        ("بصرى", "GPE", "بصرى"), ("لبنان", "GPE", "لبنان"), ("وبنان", "GPE", "بنان")]
    assert lexicon.groups == {"entities": ["GPE"]}
    assert lexicon.match(["حلب"], "cues") == []  # a group the file leaves out matches nothing


def test_shipped_lexicon_is_clean_and_complete(lexicon):
    assert check_lexicon(DEFAULT_LEXICON_PATH, Schema.load()) == []
    assert list(lexicon.groups) == ["entities", "sources", "cues"]
    assert lexicon.groups["sources"] == ["SRC_NAMED", "SRC_ANON"]
    assert set(lexicon.groups["cues"]) == {"ATTRIBUTION", *Schema.load().labels("claims")}
    for governorate in GOVERNORATES:
        assert found(lexicon, governorate, "entities") == [(governorate, "GPE", governorate)]
    assert lexicon.entries("entities", "GPE") >= 150
    assert lexicon.entries("entities", "MIL") >= 60
    assert lexicon.entries("entities", "ORG") >= 60
    assert lexicon.entries("entities", "WEAPON") >= 40
    assert all(lexicon.entries("cues", label) >= 10 for label in lexicon.groups["cues"])
    assert lexicon.entries() == sum(lexicon.entries(group) for group in lexicon.groups)


SCHEMA_PROBLEMS = [
    ("entities:\n  CITY: [حلب]\n", "entities.CITY: unknown label"),
    ("sources:\n  GPE: [مصدر خاص]\n", "sources.GPE: unknown label"),  # an entities label
    ("cues:\n  BOMBING: [غارة]\n", "cues.BOMBING: unknown label"),
    ("entities:\n  GPE: [حلب]\n  LOC: [حلب]\n", "'حلب' is listed under GPE and LOC"),
    ("entities:\n  GPE: [حماة]\n  LOC: [[سهل, حماه]]\n", "'حماه' is listed under GPE and LOC"),  # after folding
    ("entities:\n  GPE: [حلب, [حلب الشهباء, حلب]]\n", "'حلب' is listed twice under GPE"),
    ("entities:\n  GPE: ['']\n", "entities.GPE[0]: empty entry"),
    ("entities:\n  GPE: [[حلب, '  ']]\n", "entities.GPE[0]: empty entry"),
    ("entities:\n  GPE: [[]]\n", "entities.GPE[0]: an entry is a string or a non-empty list"),
    ("entities:\n  GPE: [24]\n", "entities.GPE[0]: an entry is a string or a non-empty list"),
    ("entities:\n  GPE: [{حلب: 1}]\n", "entities.GPE[0]: an entry is a string or a non-empty list"),
    ("entities:\n  GPE: حلب\n", "entities.GPE must be a list of entries"),
    ("entities: [حلب]\n", "entities must map labels to lists of entries"),
    ("gazetteer:\n  GPE: [حلب]\n", "unknown top-level key 'gazetteer'"),
]


@pytest.mark.parametrize(("body", "problem"), SCHEMA_PROBLEMS)
def test_check_lexicon_finds_each_problem(tmp_path, body, problem):
    problems = check_lexicon(write(tmp_path, "version: 1\n" + body), Schema.load())
    assert len(problems) == 1 and problem in problems[0], problems
    assert problems[0].startswith(str(tmp_path / "lexicon.yaml"))


@pytest.mark.parametrize(("body", "problem"), [
    ("- حلب\n", "expected a mapping"),
    ("version: 2\nentities:\n  GPE: [حلب]\n", "version must be 1"),
    ("version: 1\nentities: [unclosed\n", "cannot read lexicon"),
])
def test_malformed_files_are_refused_by_load_and_reported_by_check(tmp_path, body, problem):
    path = write(tmp_path, body)
    assert any(problem in line for line in check_lexicon(path, Schema.load()))
    with pytest.raises(ValueError, match=problem) as error:
        Lexicon.load(path)
    assert str(path) in str(error.value)


def test_missing_file(tmp_path):
    assert "cannot read lexicon" in check_lexicon(tmp_path / "none.yaml", Schema.load())[0]
