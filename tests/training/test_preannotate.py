"""Pre-annotation: Label Studio tasks and doccano lines in each tool's documented format, ranked by doubt.

Label Studio's task format (labelstud.io "Import pre-annotated data"): a JSON list of tasks,
``data`` holding the object tag's value, ``predictions[]`` with ``model_version``, ``score``
and ``result[]`` regions ``{id, from_name, to_name, type: "labels", value: {start, end, text,
labels}}`` whose from_name/to_name/labels exist in the labeling config. When label-studio-sdk
is importable its ``LabelInterface`` checks the same; it is not a dependency of rasd.
"""

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from model.document import ClaimSentence, Document, Span
from model.paths import REPO_ROOT as REPO
from model.predictor import WordScores
from model.schema import Schema
from model.sentences import claim_types_per_sentence
from training.formats import import_annotations
from training.formats.common import ImportOptions
from training.preannotate import claim_regions, preannotate, sentence_doubt, suggest, uncertainty

SHORT = "قصفت الطائرات الروسية مطار تدمر أمس، وقال مصدر خاص إن 150 عنصراً وصلوا."


def test_uncertainty_is_the_mean_over_layers_of_each_layers_mean_doubt():
    scores = WordScores(tags={"entities": [0, 0], "sources": [0, 0]},
                        probs={"entities": [0.9, 0.5], "sources": [1.0, 0.6]},
                        sentences=[(0, 5), (6, 9)], sentence_probs=[[0.5, 0.0], [1.0, 0.75]])
    words = ((0.1 + 0.5) / 2, (0.0 + 0.4) / 2)
    sentences = (1.0 + 0.0 + 0.0 + 0.5) / 4  # 1 - |2p - 1| with the default threshold 0.5
    assert uncertainty(scores) == pytest.approx((sum(words) + sentences) / 3)
    empty = WordScores(tags={"entities": []}, probs={"entities": []}, sentences=[], sentence_probs=[])
    assert uncertainty(empty) == 0.0


@pytest.mark.parametrize("probability,threshold,doubt", [
    (0.5, 0.5, 1.0), (0.0, 0.5, 0.0), (1.0, 0.5, 0.0), (0.75, 0.5, 0.5), (0.25, 0.5, 0.5),
    (0.2, 0.2, 1.0), (0.1, 0.2, 0.5), (0.6, 0.2, 0.5), (1.0, 0.2, 0.0), (0.0, 0.2, 0.0),
])
def test_sentence_doubt_is_one_on_the_threshold_and_zero_at_certainty(probability, threshold, doubt):
    assert sentence_doubt(probability, threshold) == pytest.approx(doubt)


def test_claim_regions_one_per_sentence_and_type_in_whole_words():
    text = "- قصف ومقتل 5 عناصر. «كلام»"
    claim = ClaimSentence(0, 20, text[:20], {"CASUALTIES": 0.9, "AIRSTRIKE": 0.7})
    quote = ClaimSentence(21, 27, text[21:27], {"ATTACK": 0.6})
    regions = claim_regions(text, [claim, quote])
    assert [(r["text"], r["label"], r["score"]) for r in regions] == [
        ("قصف ومقتل 5 عناصر", "CASUALTIES", 0.9), ("قصف ومقتل 5 عناصر", "AIRSTRIKE", 0.7), ("كلام", "ATTACK", 0.6)]
    assert all(text[r["start"]:r["end"]] == r["text"] for r in regions)


@pytest.fixture
def inputs(tmp_path, seed_documents) -> Path:
    folder = tmp_path / "dump"
    folder.mkdir()
    for document in seed_documents[:2]:
        (folder / f"{document['id']}.txt").write_text(document["text"], encoding="utf-8")
    (folder / "short.txt").write_text(SHORT, encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    return folder


def check_labelstudio(tasks: list, config: str, schema, texts: dict[str, str]) -> None:
    root = ElementTree.fromstring(config)
    controls = {node.get("name"): {label.get("value") for label in node.iter("Label")} for node in root.iter("Labels")}
    assert controls == {layer: set(schema.labels(layer)) for layer in schema.layer_names}
    assert {node.get("toName") for node in root.iter("Labels")} == {"text"}
    assert [(node.get("name"), node.get("value")) for node in root.iter("Text")] == [("text", "$text")]
    for task in tasks:
        text = task["data"]["text"]
        assert text == texts[task["data"]["id"]] and 0.0 <= task["data"]["uncertainty"] <= 1.0
        (prediction,) = task["predictions"]
        assert isinstance(prediction["model_version"], str) and 0.0 <= prediction["score"] <= 1.0
        assert prediction["score"] == pytest.approx(1.0 - task["data"]["uncertainty"])
        ids = [region["id"] for region in prediction["result"]]
        assert len(set(ids)) == len(ids)
        for region in prediction["result"]:
            assert (region["to_name"], region["type"]) == ("text", "labels")
            value = region["value"]
            assert text[value["start"]:value["end"]] == value["text"]
            assert len(value["labels"]) == 1 and value["labels"][0] in controls[region["from_name"]]
            assert 0.0 <= region["score"] <= 1.0


def test_labelstudio_tasks_and_config(tmp_path, inputs, tiny_predictor):
    out = tmp_path / "tasks.json"
    summary = preannotate(inputs, out, "labelstudio", tiny_predictor)
    assert [(p.path, p.reason) for p in summary.problems] == [("empty.txt", "empty text: no task written")]
    tasks = json.loads(out.read_text(encoding="utf-8"))
    texts = {path.stem: path.read_text(encoding="utf-8") for path in inputs.glob("*.txt") if path.stem != "empty"}
    assert summary.written == len(tasks) == 3 and summary.config == tmp_path / "tasks.config.xml"
    assert sum(len(task["predictions"][0]["result"]) for task in tasks) > 0
    config = summary.config.read_text(encoding="utf-8")
    check_labelstudio(tasks, config, tiny_predictor.schema, texts)
    try:
        from label_studio_sdk.label_interface import LabelInterface
    except ImportError:
        return
    interface = LabelInterface(config)
    assert all(interface.validate_prediction(task["predictions"][0], return_errors=True) == [] for task in tasks)


def test_doccano_lines_import_back_cleanly(tmp_path, inputs, tiny_predictor):
    out = tmp_path / "tasks.jsonl"
    preannotate(inputs, out, "doccano", tiny_predictor)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == sorted(path.stem for path in inputs.glob("*.txt") if path.stem != "empty")
    for line in lines:
        assert isinstance(line["text"], str) and isinstance(line["uncertainty"], float)
        assert all(isinstance(s, int) and isinstance(e, int) and isinstance(label, str) for s, e, label in line["label"])
    back = import_annotations("doccano", out, ImportOptions(schema=tiny_predictor.schema))
    assert back.problems == [] and len(back.records) == 3


def test_rank_uncertainty_puts_the_most_doubtful_first(tmp_path, inputs, tiny_predictor, seed_documents):
    jsonl = tmp_path / "dump.jsonl"
    texts = {"short": SHORT, "tiny": "قصف.", **{doc["id"]: doc["text"] for doc in seed_documents[:2]}}
    jsonl.write_text("".join(json.dumps({"id": key, "text": value}, ensure_ascii=False) + "\n"
                             for key, value in texts.items()), encoding="utf-8")
    doubts = {item.id: item.uncertainty for item in suggest(tiny_predictor, list(texts), list(texts.values()))}
    out = tmp_path / "ranked.json"
    preannotate(jsonl, out, "labelstudio", tiny_predictor, rank="uncertainty", limit=2)
    ranked = [task["data"]["id"] for task in json.loads(out.read_text(encoding="utf-8"))]
    assert ranked == sorted(doubts, key=lambda key: -doubts[key])[:2]


def test_preannotate_command(tmp_path, inputs, tiny_model_dir):
    out = tmp_path / "tasks.json"
    run = subprocess.run([sys.executable, "-m", "training", "preannotate", str(inputs), str(out), "--format",
                          "labelstudio", "--model-dir", str(tiny_model_dir), "--rank", "uncertainty", "--limit", "1",
                          "--device", "cpu"], cwd=REPO, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "empty.txt:1: empty text: no task written" in run.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 1 and (tmp_path / "tasks.config.xml").is_file()


class StubPredictor:
    """Fixed predictions for SHORT: two entities, a source, and its one sentence with two claim types."""

    def __init__(self):
        self.info = {"version": "stub-1"}
        self.schema = Schema.load()
        self.thresholds = [0.5] * len(self.schema.labels("claims"))

    def predict_with_scores(self, texts):
        results = []
        for text in texts:
            end = len(text)
            claim = ClaimSentence(0, end, text, {"MOVEMENT": 0.9, "AIRSTRIKE": 0.55})
            layers = {"entities": [self.span(text, "مطار تدمر", "FAC"), self.span(text, "150 عنصراً", "QUANTITY")],
                      "claims": [claim], "sources": [self.span(text, "مصدر خاص", "SRC_ANON")]}
            labels = self.schema.labels("claims")
            probs = [[{"MOVEMENT": 0.9, "AIRSTRIKE": 0.55}.get(label, 0.01) for label in labels]]
            scores = WordScores({"entities": [0], "sources": [0]}, {"entities": [0.9], "sources": [0.7]},
                                [(0, end)], probs)
            results.append((Document(text, layers), scores))
        return results

    @staticmethod
    def span(text: str, phrase: str, label: str) -> Span:
        start = text.index(phrase)
        return Span(start, start + len(phrase), label, phrase, 0.8)


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
def test_claim_sentences_become_one_region_per_type_and_import_back(tmp_path, fmt):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "s", "text": SHORT}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / ("tasks.json" if fmt == "labelstudio" else "tasks.jsonl")
    predictor = StubPredictor()
    preannotate(source, out, fmt, predictor)
    sentence = SHORT.rstrip(".")  # the region leaves the final full stop out: whole words
    if fmt == "labelstudio":
        (task,) = json.loads(out.read_text(encoding="utf-8"))
        claims = [region for region in task["predictions"][0]["result"] if region["from_name"] == "claims"]
        assert [(r["value"]["text"], r["value"]["labels"], r["score"]) for r in claims] == [
            (sentence, ["MOVEMENT"], 0.9), (sentence, ["AIRSTRIKE"], 0.55)]
        export = [{**task, "annotations": [{"id": 1, "result": task["predictions"][0]["result"]}]}]
        out.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")  # accepted as it is
    else:
        (line,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [label for start, end, label in line["label"] if SHORT[start:end] == sentence] == ["MOVEMENT", "AIRSTRIKE"]
    back = import_annotations(fmt, out, ImportOptions(schema=predictor.schema))
    assert back.problems == []
    claims = [span for span in back.records[0]["spans"] if span["label"] in predictor.schema.labels("claims")]
    assert [labels for _, _, labels in claim_types_per_sentence(SHORT, claims)] == [{"MOVEMENT", "AIRSTRIKE"}]
    doubt = back.records[0]["meta"]["doccano"]["uncertainty"] if fmt == "doccano" else task["data"]["uncertainty"]
    sentence_doubts = [sentence_doubt(p) for p in predictor.predict_with_scores([SHORT])[0][1].sentence_probs[0]]
    assert doubt == pytest.approx((0.1 + 0.3 + sum(sentence_doubts) / len(sentence_doubts)) / 3, abs=1e-6)
