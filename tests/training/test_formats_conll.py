"""CoNLL/IOB import and export: exact rebuilt offsets, IOB1 and IOB2, generated schemas, training."""

import json
from pathlib import Path

from model.paths import REPO_ROOT as REPO
from model.schema import Schema
from model.words import word_spans
from training.formats import export_annotations, import_annotations
from training.formats.common import ImportOptions, ReadOptions, read_annotations, write_jsonl
from training.validate import validate

SCHEMA = Schema.load()

# Two documents; the second has two adjacent GPEs, where IOB1 needs its B- tag.
IOB2 = """-DOCSTART- O

قصفت O
الطائرات B-MIL
الروسية I-MIL
مطار B-FAC
تدمر I-FAC
أمس B-DATE
. O

وقال O
مصدر O
خاص O
إن O
150 B-QUANTITY
عنصراً I-QUANTITY
وصلوا O
إلى O
البادية B-LOC
السورية I-LOC
. O

-DOCSTART- O

اجتماع O
بين O
سوريا B-GPE
والأردن B-GPE
في O
عمّان B-GPE
"""
# The same spans in IOB1: spans open with I-, B- only splits سوريا from والأردن.
IOB1 = "\n".join(line.replace("B-", "I-") if not line.startswith("والأردن") else line
                 for line in IOB2.split("\n"))
FIRST_TEXT = "قصفت الطائرات الروسية مطار تدمر أمس .\nوقال مصدر خاص إن 150 عنصراً وصلوا إلى البادية السورية ."


def write(tmp_path: Path, content: str, name: str = "corpus.conll") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def run_import(path: Path, scheme: str = "auto", layer: str | None = "entities", schema: Schema = SCHEMA, **options):
    return import_annotations("conll", path, ImportOptions(schema=schema, layer=layer, **options),
                              ReadOptions(scheme=scheme))


def spans_of(record: dict) -> list[tuple[int, int, str, str]]:
    return [(s["start"], s["end"], s["label"], s["text"]) for s in record["spans"]]


def test_documents_rebuilt_with_exact_offsets(tmp_path):
    result = run_import(write(tmp_path, IOB2))
    assert result.problems == [] and [r["id"] for r in result.records] == ["corpus-0001", "corpus-0002"]
    first, second = result.records
    assert first["text"] == FIRST_TEXT and second["text"] == "اجتماع بين سوريا والأردن في عمّان"
    assert spans_of(first)[:2] == [(5, 21, "MIL", "الطائرات الروسية"), (22, 31, "FAC", "مطار تدمر")]
    assert all(record["text"][s["start"]:s["end"]] == s["text"] for record in result.records for s in record["spans"])
    assert [s["text"] for s in second["spans"]] == ["سوريا", "والأردن", "عمّان"]
    assert result.schema.labels("entities") == ["MIL", "FAC", "DATE", "QUANTITY", "LOC", "GPE"]


def test_iob1_is_detected_and_reads_as_the_same_spans(tmp_path):
    iob1 = run_import(write(tmp_path, IOB1))
    iob2 = run_import(write(tmp_path, IOB2, "iob2.conll"))
    assert iob1.problems == [] and iob1.records[0]["meta"]["scheme"] == "iob1"
    assert [spans_of(r) for r in iob1.records] == [spans_of(r) for r in iob2.records]


def test_explicit_iob2_reports_a_span_opened_by_i(tmp_path):
    result = run_import(write(tmp_path, IOB1), scheme="iob2")
    assert [(p.line, p.reason.split(" (")[0]) for p in result.problems][:2] == [
        (4, "I-MIL of 'الطائرات' follows O"), (6, "I-FAC of 'مطار' follows I-MIL")]
    assert result.records == []


def test_a_problem_drops_only_its_sentence(tmp_path):
    content = ("سيطرت O\nقوات X-MIL\nالنظام\n\n"      # a bad tag and a line without a tag
               "في O\nمطار B-FAC\nتدمر، I-FAC\n\n"     # clean (the comma is left out of the span)
               "وقوات B-ARMY\nالنظام I-ARMY\n")          # a label the schema does not have
    result = run_import(write(tmp_path, content), layer=None)
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, "tag 'X-MIL' of 'قوات' is neither O nor B-LABEL/I-LABEL"),
        (3, "line has no tag column: 'النظام'"),
        (9, "label 'ARMY' is not in the schema"),
    ]
    [record] = result.records
    assert record["text"] == "في مطار تدمر،" and spans_of(record) == [(3, 12, "FAC", "مطار تدمر")]
    assert record["meta"] == {"imported_from": str(tmp_path / "corpus.conll"), "scheme": "iob2", "sentences": 1,
                              "sentences_dropped": 2}
    assert [(n.line, n.reason) for n in result.notes] == [
        (6, "punctuation glued to FAC span 'مطار تدمر،' left out of it: 'مطار تدمر'")]
    assert result.summary == [("conll: 3 sentence(s) in 1 document(s) read; 1 imported into 1 document(s), "
                              "2 dropped for the problems listed; 0 empty token(s) skipped, 1 span edge(s) of "
                              "glued punctuation left out")]


# ANERcorp as distributed: space-separated `token tag`, no -DOCSTART-, empty tokens (a line
# holding only a tag; a lone right-to-left mark), punctuation glued to tokens, its own labels.
ANERCORP_SENTENCES = [
    "وصل O\nوزير O\nالخارجية O\nالأمريكي O\nإلى O\nكابول B-LOC\nقادما O\nمن O\nلأفغانستان؛ B-LOC\n. O",
    "وقال O\n O\nجورج B-PERS\nبوش I-PERS\n، I-PERS\nإن O\nحلف B-ORG\nالناتو I-ORG\nباق O\n. O",
    "\u200f O\nوأعلنت O\n B-ORG\nالأمم I-ORG\nالمتحدة I-ORG\nعن O\nمؤتمر B-MISC\nبون I-MISC\n. O",
    "وذكرت O\n(رويترز) B-ORG\nأن O\nالقوات O\nدخلت O\nقندهار B-LOC\n. O",
]
ANER_MAP = {"PERS": "PER", "LOC": "GPE", "ORG": "ORG", "MISC": None}


def test_anercorp_quirks_import_every_sentence_that_can_be(tmp_path):
    # 4 x 6 = 24 sentences, one with a tag ANERcorp does not have: documents cut every 20.
    sentences = ANERCORP_SENTENCES * 6
    sentences[23] = sentences[23].replace("قندهار B-LOC", "قندهار B-CITY")
    path = write(tmp_path, "\n\n".join(sentences) + "\n", "ANERCorp")
    result = run_import(path, layer=None, label_map=ANER_MAP)
    assert [(p.line, p.reason) for p in result.problems] == [(238, "label 'CITY' is not in the schema")]
    assert [(r["id"], r["meta"]["sentences"]) for r in result.records] == [("ANERCorp-0001", 20), ("ANERCorp-0002", 3)]
    first = result.records[0]
    assert first["text"].split("\n")[:3] == [
        "وصل وزير الخارجية الأمريكي إلى كابول قادما من لأفغانستان؛ .",
        "وقال جورج بوش ، إن حلف الناتو باق .",
        "وأعلنت الأمم المتحدة عن مؤتمر بون ."]
    assert [(s["label"], s["text"]) for s in first["spans"][:6]] == [
        ("GPE", "كابول"), ("GPE", "لأفغانستان"), ("PER", "جورج بوش"), ("ORG", "حلف الناتو"),
        ("ORG", "الأمم المتحدة"), ("ORG", "رويترز")]
    assert all(r["text"][s["start"]:s["end"]] == s["text"] for r in result.records for s in r["spans"])
    notes = [(n.line, n.reason) for n in result.notes[:7]]
    assert notes == [
        (1, "no -DOCSTART- lines: documents cut every 20 sentences (--sentences-per-doc N to choose)"),
        (9, "punctuation glued to LOC span 'لأفغانستان؛' left out of it: 'لأفغانستان'"),
        (13, "empty token (tag O) skipped"),
        (14, "punctuation glued to PERS span 'جورج بوش ،' left out of it: 'جورج بوش'"),
        (23, "empty token '\\u200f' (tag O) skipped"),
        (25, "empty token (tag B-ORG) skipped"),
        (26, "I-ORG of 'الأمم' opens the span the skipped empty token opened (read as B-ORG)"),
    ]
    assert result.summary == [("conll: 24 sentence(s) in 2 document(s) read; 23 imported into 2 document(s), "
                              "1 dropped for the problems listed; 18 empty token(s) skipped, 18 span edge(s) of "
                              "glued punctuation left out")]
    records = tmp_path / "aner.jsonl"
    write_jsonl(result.records, records)
    assert validate([records], SCHEMA).ok


def test_a_file_without_blank_lines_is_cut_after_sentence_final_punctuation(tmp_path):
    path = write(tmp_path, "\n".join(ANERCORP_SENTENCES[:2]) + "\n", "flat.txt")
    result = run_import(path, layer=None, label_map=ANER_MAP)
    assert result.problems == [] and result.records[0]["meta"]["sentences"] == 2
    assert result.records[0]["text"] == "وصل وزير الخارجية الأمريكي إلى كابول قادما من لأفغانستان؛ .\nوقال جورج بوش ، إن حلف الناتو باق ."
    assert result.notes[0].reason == "no blank line between sentences: cut into 2 sentences after sentence-final punctuation"


def test_import_command_prints_the_counts(tmp_path):
    from typer.testing import CliRunner

    from training.cli import app

    label_map = tmp_path / "aner.yaml"
    label_map.write_text("PERS: PER\nLOC: GPE\nORG: ORG\nMISC: null\n", encoding="utf-8")
    sentences = ANERCORP_SENTENCES + [ANERCORP_SENTENCES[3].replace("B-LOC", "B-CITY")]
    path, out = write(tmp_path, "\n\n".join(sentences) + "\n", "ANERCorp"), tmp_path / "aner.jsonl"
    run = CliRunner().invoke(app, ["import", str(path), "--from", "conll", "--out", str(out),
                                   "--label-map", str(label_map)])
    assert run.exit_code == 1  # a sentence had a problem: reported, the rest written
    assert "conll: 5 sentence(s) in 1 document(s) read; 4 imported into 1 document(s), 1 dropped" in run.output
    assert "1 record(s), 7 span(s) written" in run.output
    assert read_annotations(out)[0]["meta"]["sentences"] == 4


def test_round_trip_conll_to_conll_is_exact(tmp_path):
    first = run_import(write(tmp_path, IOB1))
    records, schema_path = tmp_path / "first.jsonl", tmp_path / "schema.yaml"
    write_jsonl(first.records, records)
    first.schema.save(schema_path)
    assert validate([records], Schema.load(schema_path)).ok
    exported = tmp_path / "back.conll"
    assert export_annotations("conll", [records], exported, Schema.load(schema_path), "entities") == []
    assert exported.read_text(encoding="utf-8") == IOB2 + "\n"  # IOB1 in, IOB2 out
    again = run_import(exported)
    assert [(r["text"], r["spans"]) for r in again.records] == [(r["text"], r["spans"]) for r in first.records]


def test_seed_annotations_survive_conll_word_for_word(tmp_path, seed_documents):
    out = tmp_path / "seeds.conll"
    assert export_annotations("conll", [REPO / "annotations" / "seeds.jsonl"], out, SCHEMA, "entities") == []
    result = run_import(out, layer=None)
    assert result.problems == [] and len(result.records) == len(seed_documents)

    def words(text: str, span: dict) -> list[str]:
        inside = text[span["start"]:span["end"]]
        return [inside[s:e] for s, e in word_spans(inside)]

    for original, back in zip(seed_documents, result.records):
        expected = sorted((s["start"], s["label"], words(original["text"], s)) for s in original["spans"]
                          if SCHEMA.layer_of(s["label"]) == "entities")
        assert [(label, w) for _, label, w in expected] == [(s["label"], words(back["text"], s)) for s in back["spans"]]


def test_imported_conll_trains_predicts_and_evaluates(tmp_path):
    from model.predictor import Predictor
    from tests.conftest import tiny_config
    from training.evaluate import evaluate
    from training.train import train

    result = run_import(write(tmp_path, IOB1))
    annotations, schema_path = tmp_path / "conll.jsonl", tmp_path / "conll-schema.yaml"
    write_jsonl(result.records, annotations)
    result.schema.save(schema_path)
    assert validate([annotations], Schema.load(schema_path)).ok
    config = tiny_config(tmp_path / "models", annotations=[str(annotations)], schema=str(schema_path), epochs=2)
    model_dir = train(config)
    predictor = Predictor.load(model_dir, device="cpu")
    assert predictor.schema.layer_names == ["entities"]
    document = predictor.predict([read_annotations(annotations)[0]["text"]])[0]
    assert list(document.layers) == ["entities"]
    assert json.loads((model_dir / "training_config.json").read_text())["documents"] == 2
    metrics = evaluate(config, tmp_path / "eval", progress=False)
    assert list(metrics["rasd"]["layers"]) == ["entities"] and (tmp_path / "eval" / "eval.md").is_file()
