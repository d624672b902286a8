"""The benchmark's engines, each run in a child process of its own so its peak RSS is its own.

``python -m serve.bench.engines SPEC.json RESULT.json`` loads one engine on one model dir,
runs the texts of the spec as one batch (throughput, best of ``batch_repeats`` passes) and
one text per call (latency), and writes wall and CPU timings, its peak RSS and (for rasd
engines) the predicted spans. The ``onnx-int8`` peak includes the export and quantization.

Engines:
- ``pipeline``: ``transformers.pipeline("token-classification", aggregation_strategy="first",
  stride=...)`` over a ``BertForTokenClassification`` holding the tagger's encoder weights
  and its ``entities`` head. The rasd tagger carries two more heads (claims, sources): two
  ``hidden × tags`` Linear layers, well under 0.1 % of a BERT-base forward pass.
- ``fp32`` / ``int8``: :meth:`model.predictor.Predictor.predict` (``quantize=None|"int8"``).
- ``onnx-int8``: the same tagger exported to ONNX and quantized with ONNX Runtime's
  ``quantize_dynamic``, run on the windows rasd builds (kept for the record of why the
  int8 path uses torch; needs ``onnxruntime`` and ``onnx``).

The served API is measured from the parent (:func:`serve.bench.api_load.run_api`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from serve.bench.api_load import peak_rss_mb

STRIDE = 128  # pipeline overlap in tokens, ≈ rasd's window overlap (a quarter of 510)


def hf_token_classifier(tagger, layer: str = "entities"):
    """A transformers token-classification model with ``tagger``'s encoder and ``layer`` head."""
    from transformers import AutoModelForTokenClassification

    config = tagger.encoder.config.__class__.from_dict(tagger.encoder.config.to_dict())
    tags = tagger.layer_tags[layer]
    config.num_labels = len(tags)
    config.id2label = dict(enumerate(tags))
    config.label2id = {tag: index for index, tag in enumerate(tags)}
    model = AutoModelForTokenClassification.from_config(config)
    # Token classification never uses the pooler, so the HF model is built without one.
    encoder_state = {name: value for name, value in tagger.encoder.state_dict().items() if not name.startswith("pooler.")}
    model.base_model.load_state_dict(encoder_state)
    model.classifier.load_state_dict(tagger.heads[layer].state_dict())
    return model.eval()


def _timed(call, texts: list[str], repeats: int) -> tuple[float, float, list[float], list]:
    """(best seconds for all texts in one call, CPU seconds of that pass, seconds per text
    called alone, batch outputs).

    The batch pass is repeated and the fastest kept: on a shared machine a neighbour's burst
    only ever slows a pass down.
    """
    batch_seconds, cpu_seconds, outputs = float("inf"), None, None
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        outputs = call(texts)
        if time.perf_counter() - start < batch_seconds:
            batch_seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    latencies = []
    for text in texts:
        start = time.perf_counter()
        call([text])
        latencies.append(time.perf_counter() - start)
    return batch_seconds, cpu_seconds, latencies, outputs


def _pipeline_call(model_dir: Path):
    from transformers import AutoTokenizer, pipeline

    from model.network import MultiLayerTagger

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tagger = MultiLayerTagger.load(model_dir)
    pipe = pipeline("token-classification", model=hf_token_classifier(tagger), tokenizer=tokenizer,
                    aggregation_strategy="first", stride=STRIDE, device=-1)
    return lambda texts: pipe(texts), None


def _rasd_call(model_dir: Path, quantize: str | None):
    from model.predictor import Predictor

    predictor = Predictor.load(model_dir, device="cpu", quantize=quantize)
    return predictor.predict, predictor


def _onnx_call(model_dir: Path, workdir: Path):
    from model.predictor import Predictor

    predictor = Predictor.load(model_dir, device="cpu")
    session = export_onnx_int8(predictor.model, workdir)
    layers = list(predictor.model.layer_tags)

    class OnnxModel(torch.nn.Module):
        """Stands in for the tagger inside the Predictor: same inputs, same output keys."""

        layer_tags = predictor.model.layer_tags

        def forward(self, input_ids, attention_mask):
            outputs = session.run(None, {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()})
            return {f"logits_{layer}": torch.from_numpy(value) for layer, value in zip(layers, outputs)}

    predictor.model = OnnxModel()
    return predictor.predict, predictor


def export_onnx_int8(tagger, workdir: Path):
    """Export ``tagger`` to ONNX (dynamic batch and length), quantize it dynamically to int8,
    and open an ONNX Runtime CPU session on it."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    layers = list(tagger.layer_tags)

    class Logits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tagger = tagger

        def forward(self, input_ids, attention_mask):
            output = self.tagger(input_ids=input_ids, attention_mask=attention_mask)
            return tuple(output[f"logits_{layer}"] for layer in layers)

    fp32_path, int8_path = workdir / "tagger.onnx", workdir / "tagger.int8.onnx"
    example = torch.ones((2, 16), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"}}
    torch.onnx.export(Logits().eval(), (example, example), str(fp32_path), input_names=list(axes),
                      output_names=layers, dynamic_axes={**axes, **{layer: {0: "batch", 1: "length"} for layer in layers}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    return onnxruntime.InferenceSession(str(int8_path), options, providers=["CPUExecutionProvider"])


def run_engine(spec: dict) -> dict:
    """Load ``spec["engine"]`` on ``spec["model_dir"]`` and time it on ``spec["texts"]``."""
    model_dir, engine, texts = Path(spec["model_dir"]), spec["engine"], spec["texts"]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rasd-bench-") as scratch:
        if engine == "pipeline":
            call, predictor = _pipeline_call(model_dir)
        elif engine in ("fp32", "int8"):
            call, predictor = _rasd_call(model_dir, "int8" if engine == "int8" else None)
        elif engine == "onnx-int8":
            call, predictor = _onnx_call(model_dir, Path(scratch))
        else:
            raise ValueError(f"unknown engine {engine!r}")
        load_seconds = time.perf_counter() - start
        with torch.inference_mode():
            call(texts[:1])  # first call pays one-off allocations and lazy initialisation
            batch_seconds, cpu_seconds, latencies, outputs = _timed(call, texts, spec.get("batch_repeats", 2))
            article = []
            for _ in range(spec.get("article_repeats", 3)):
                start = time.perf_counter()
                call([spec["article"]])
                article.append(time.perf_counter() - start)
    result = {"engine": engine, "load_seconds": load_seconds, "batch_seconds": batch_seconds, "cpu_seconds": cpu_seconds,
              "latencies": latencies, "article_latencies": article, "peak_rss_mb": peak_rss_mb(),
              "threads": torch.get_num_threads()}
    if predictor is not None:
        result["spans"] = [sorted([layer, span.start, span.end, span.label]
                                  for layer, spans in document.layers.items() for span in spans)
                           for document in outputs]
    return result


def main(argv: list[str]) -> None:
    spec_path, result_path = map(Path, argv)
    result = run_engine(json.loads(spec_path.read_text(encoding="utf-8")))
    result_path.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
