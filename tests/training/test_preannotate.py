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

from model.paths import REPO_ROOT as REPO
from model.predictor import WordScores
from training.formats import import_annotations
from training.formats.common import ImportOptions
from training.preannotate import preannotate, suggest, uncertainty

SHORT = "قصفت الطائرات الروسية مطار تدمر أمس، وقال مصدر خاص إن 150 عنصراً وصلوا."


def test_uncertainty_is_mean_least_confidence_over_layers_and_words():
    scores = WordScores(tags={"entities": [0, 0], "claims": [0, 0]},
                        probs={"entities": [0.9, 0.5], "claims": [1.0, 0.6]})
    assert uncertainty(scores) == pytest.approx((0.1 + 0.5 + 0.0 + 0.4) / 4)
    assert uncertainty(WordScores(tags={"entities": []}, probs={"entities": []})) == 0.0


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
