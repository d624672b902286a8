"""``make bench``: rasd against the transformers pipeline, on the same models and the same texts.

One run measures, per model: the Hugging Face token-classification pipeline, rasd batch
scoring in fp32 and int8 (each engine in a child process of its own, see
:mod:`serve.bench.engines`), and the served API (``python -m serve api`` in a subprocess)
under 1, 8 and 32 concurrent clients. It reports tokens/s, documents/s, p50/p95 latency and
peak RSS, the span agreement of int8 (and ONNX Runtime int8) with fp32, the ratios to the pipeline and the targets;
:mod:`serve.bench.report` writes BENCHMARKS.md (only between its markers, so the hand-written
analysis stays) and a PNG chart.

Models: ``bert-base`` is an encoder of CAMeLBERT's shape (BERT-base, 30k vocabulary) with
random weights and a tokenizer trained on the seeds, built here (throughput does not depend
on weight values); any other name is a model dir, by default ``models/current``.
Texts: the seeds, headlines and 1,500-word documents recombined from seed sentences, and a
400-word article for the single-article latency. Tokens are the model tokenizer's subwords
of each text without special tokens, the same count for every engine.

Timings are wall-clock on a machine that may be shared: the load average before and after
is recorded with the results. Nothing here asserts a timing.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from model.modeldir import ModelDir
from model.paths import REPO_ROOT, SEEDS_DIR
from serve.bench import BATCH_ENGINES, DEFAULT_CLIENTS, SYNTHETIC
from serve.bench.api_load import run_api

TARGETS = {"fp32_vs_pipeline": 1.15, "int8_vs_pipeline": 1.8, "api8_vs_batch": 0.8,
           "article_p50_s": 0.8, "server_rss_mb": 1536}


# -- texts ---------------------------------------------------------------------------------------

def bench_texts(quick: bool = False, seed: int = 0) -> tuple[list[dict], str]:
    """(documents ``{"kind", "text"}``, the 400-word article). Deterministic for a given seed."""
    from model.sentences import sentence_spans

    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS_DIR.glob("*.txt"))]
    sentences = [text[s:e].strip() for text in seeds for s, e in sentence_spans(text)]
    sentences = [sentence for sentence in sentences if len(sentence.split()) >= 4]
    rng = random.Random(seed)

    def compose(words: int) -> str:
        picked: list[str] = []
        while sum(len(s.split()) for s in picked) < words:
            picked.append(rng.choice(sentences))
        # Paragraph breaks every few sentences, as in scraped articles.
        text = "".join(s + ("\n" if i % 4 == 3 else " ") for i, s in enumerate(picked))
        return " ".join(text.split(" ")[:words]).strip()

    headlines = [" ".join(rng.choice(sentences).split()[: rng.randint(6, 14)]) for _ in range(4 if quick else 16)]
    documents = [{"kind": "seed", "text": text} for text in (seeds[:2] if quick else seeds)]
    documents += [{"kind": "headline", "text": text} for text in headlines]
    documents += [{"kind": "long", "text": compose(600 if quick else 1500)} for _ in range(1 if quick else 2)]
    return documents, compose(400)


# -- models --------------------------------------------------------------------------------------

def build_bert_base_shape(directory: Path) -> Path:
    """A rasd model dir with CAMeLBERT's shape (12 × 768, 30k vocabulary) and random weights."""
    import torch
    from transformers import BertConfig, BertModel

    from model.compact import train_tokenizer
    from model.lexicon import Lexicon
    from model.network import MultiLayerTagger, architecture_for
    from model.schema import Schema
    from model.word_features import WordFeaturizer

    torch.manual_seed(0)
    schema = Schema.load()
    tokenizer = train_tokenizer([p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))],
                                vocab_size=30000)
    encoder = BertModel(BertConfig(vocab_size=30000), add_pooling_layer=False)
    info = {"name": "bert-base shape, random weights", "base": {"used": "synthetic"}}
    lexicon = Lexicon.load()
    tagger = MultiLayerTagger(encoder, architecture_for(schema, WordFeaturizer(lexicon).spec))
    ModelDir(directory).write_loadable(tagger, tokenizer, schema, info, lexicon.path)
    return directory


def token_counts(model_dir: Path, texts: list[str]) -> list[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


# -- batch engines in child processes ------------------------------------------------------------

def run_child(engine: str, model_dir: Path, texts: list[str], article: str, workdir: Path,
              batch_repeats: int = 2, timeout: float = 900) -> dict:
    """Run one engine in ``python -m serve.bench.engines``; an error is reported, not raised."""
    spec, result = workdir / f"{engine}.spec.json", workdir / f"{engine}.result.json"
    spec.write_text(json.dumps({"engine": engine, "model_dir": str(model_dir), "texts": texts, "article": article,
                                "batch_repeats": batch_repeats}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "serve.bench.engines", str(spec), str(result)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        return {"engine": engine, "error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    return json.loads(result.read_text(encoding="utf-8"))


# -- the run -------------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(seconds: float, tokens: int, docs: int, latencies: list[float], article: list[float],
             rss: float | None, cpu_seconds: float | None) -> dict:
    # Tokens per CPU-second is what the run would approach on an idle machine with one core;
    # wall-clock tokens/s falls whenever neighbours take the CPU, this much less.
    return {"tok_s": tokens / seconds, "docs_s": docs / seconds, "seconds": seconds,
            "tok_per_cpu_s": tokens / cpu_seconds if cpu_seconds else None,
            "p50_s": _percentile(latencies, 0.5), "p95_s": _percentile(latencies, 0.95),
            "article_p50_s": statistics.median(article) if article else None, "peak_rss_mb": rss}


def agreement(reference: list[list], candidate: list[list]) -> dict:
    """Fraction of ``reference`` spans (layer, start, end, label) that ``candidate`` reproduces exactly."""
    matched = sum(len({tuple(s) for s in ref} & {tuple(s) for s in cand}) for ref, cand in zip(reference, candidate))
    total, produced = sum(map(len, reference)), sum(map(len, candidate))
    return {"agreement": matched / total if total else 1.0, "fp32_spans": total, "spans": produced,
            "matched": matched}


def bench_model(name: str, model_dir: Path, documents: list[dict], article: str, engines: list[str],
                clients: list[int], level_seconds: float, workdir: Path, log=print) -> dict:
    """Every engine on one model; returns its summaries, ratios, and each quantized engine's
    span agreement with fp32."""
    texts = [doc["text"] for doc in documents]
    tokens = token_counts(model_dir, texts)
    article_tokens = token_counts(model_dir, [article])[0]
    result = {"name": name, "model_dir": str(model_dir), "docs": len(texts), "tokens": sum(tokens),
              "words": sum(len(t.split()) for t in texts), "article_tokens": article_tokens, "engines": {},
              "errors": {}}
    raw = {}
    for engine in engines:
        log(f"[bench] {name}: {engine} …")
        out = run_child(engine, model_dir, texts, article, workdir)
        if "error" in out:
            result["errors"][engine] = out["error"]
            continue
        raw[engine] = out
        result["engines"][engine] = _summary(out["batch_seconds"], sum(tokens), len(texts), out["latencies"],
                                             out["article_latencies"], out["peak_rss_mb"], out["cpu_seconds"])
    if clients:
        log(f"[bench] {name}: api with {clients} concurrent clients …")
        api = run_api(model_dir, texts, tokens, article, clients, level_seconds)
        if "error" in api:
            result["errors"]["api"] = api["error"]
        for n, level in api.get("levels", {}).items():
            # The article is timed once, alone, before the levels: it belongs to the 1-client row.
            article_latencies = api["article_latencies"] if n == min(clients) else []
            result["engines"][f"api-{n}"] = {
                **_summary(level["seconds"], level["tokens"], level["requests"], level["latencies"],
                           article_latencies, level["peak_rss_mb"], level["cpu_seconds"]), "failed": level["failed"]}
    result["agreement_with_fp32"] = {engine: agreement(raw["fp32"]["spans"], out["spans"]) for engine, out in raw.items()
                                     if engine not in ("fp32", "pipeline") and "fp32" in raw}
    base = result["engines"].get("pipeline")
    result["ratios"] = {engine: summary["tok_s"] / base["tok_s"] for engine, summary in result["engines"].items()
                        if base and engine != "pipeline"}
    batch = result["engines"].get("fp32")
    if batch:
        result["ratios_to_fp32_batch"] = {engine: summary["tok_s"] / batch["tok_s"]
                                          for engine, summary in result["engines"].items() if engine.startswith("api-")}
    return result


def machine_info() -> dict:
    import torch
    import transformers

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "transformers": transformers.__version__, "platform": platform.platform(),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def run_bench(models: list[str], quick: bool = False, engines: list[str] | None = None,
              clients: list[int] | None = None, level_seconds: float | None = None, log=print) -> dict:
    """Benchmark every model in ``models`` (``bert-base`` or model dirs); returns the report dict."""
    documents, article = bench_texts(quick)
    engines = list(engines or BATCH_ENGINES)
    clients = list(DEFAULT_CLIENTS) if clients is None else clients
    level_seconds = level_seconds or (20 if quick else 90)
    stall_start, wall_start = _cpu_stall_us(), time.monotonic()
    report = {"machine": machine_info(), "quick": quick, "load_before": os.getloadavg(), "models": [],
              "texts": {kind: sum(doc["kind"] == kind for doc in documents) for kind in ("seed", "headline", "long")}}
    with tempfile.TemporaryDirectory(prefix="rasd-bench-") as scratch:
        workdir = Path(scratch)
        for name in models:
            if name == SYNTHETIC:
                log("[bench] building the bert-base-shape model (random weights) …")
                model_dir = build_bert_base_shape(workdir / "bert-base")
            else:
                model_dir = ModelDir(name).check().path
            report["models"].append(bench_model(name, model_dir, documents, article, engines, clients,
                                                level_seconds, workdir, log))
    report["load_after"] = os.getloadavg()
    stall_end = _cpu_stall_us()
    report["cpu_waiting"] = (None if stall_start is None or stall_end is None
                             else (stall_end - stall_start) / 1e6 / (time.monotonic() - wall_start))
    report["targets"] = targets(report)
    return report


def _cpu_stall_us() -> int | None:
    """Microseconds so far during which some runnable task waited for a CPU (Linux PSI)."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(some.rsplit("total=", 1)[1])


def targets(report: dict) -> list[dict]:
    """The issue's targets, judged on the BERT-base-shape model when benchmarked, else the first."""
    chosen = next((m for m in report["models"] if m["name"] == SYNTHETIC), report["models"][0] if report["models"] else None)
    if chosen is None:
        return []
    engines, ratios = chosen["engines"], chosen["ratios"]
    rows = [("fp32 batch tok/s ÷ pipeline", ratios.get("fp32"), TARGETS["fp32_vs_pipeline"], True),
            ("int8 batch tok/s ÷ pipeline", ratios.get("int8"), TARGETS["int8_vs_pipeline"], True),
            ("/predict at 8 clients ÷ fp32 batch", chosen.get("ratios_to_fp32_batch", {}).get("api-8"),
             TARGETS["api8_vs_batch"], True),
            ("p50 s, one 400-word article, fp32", (engines.get("fp32") or {}).get("article_p50_s"),
             TARGETS["article_p50_s"], False),
            ("server peak RSS MB, fp32", (engines.get("api-8") or {}).get("peak_rss_mb"), TARGETS["server_rss_mb"], False)]
    return [{"model": chosen["name"], "metric": metric, "value": value, "target": target,
             "higher_is_better": higher, "reached": None if value is None else (value >= target if higher else value <= target)}
            for metric, value, target, higher in rows]
