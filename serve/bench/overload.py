"""Overload test of the API: N clients posting long Arabic articles for a fixed time.

    python -m serve.bench.overload --model models/current [--clients 50] [--seconds 60]
        [--words 600] [--max-expected-wait 10] [--corpus FILE.jsonl.gz] [--json report.json]

Starts ``python -m serve api`` on 127.0.0.1 (a free port, CPU) with the given expected-wait
limit, then runs ``clients`` threads for ``seconds``: each posts one ``words``-word article at
a time and, on 503, waits the Retry-After seconds before its next request. Articles are cut
from ``--corpus`` (a JSONL with a ``text`` field, gz ok) when given, else from the seed
articles, rotated so the clients do not all send the same text. Prints, and writes with
``--json``: requests sent and answered by status, 200 latencies, 503s with and without
Retry-After, answers slower than the limit, requests lost (no answer: a timeout or a closed
connection), and the server's queue-wait histogram from /metrics. Exits 1 on any 5xx other
than 503, any lost request, or any 503 without Retry-After.

A tool, not a test: it needs a trained model dir and a minute of CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from model.inputs import Fields, read_records
from model.paths import REPO_ROOT, SEEDS_DIR
from serve.bench.api_load import _free_port


def articles(words: int, count: int, corpus: Path | None = None) -> list[str]:
    """``count`` texts of exactly ``words`` words: consecutive articles joined, then cut."""
    source = corpus if corpus is not None else SEEDS_DIR
    texts = [record.text for record in read_records(source, Fields(id=None)) if not record.error and record.text]
    if not texts:
        raise SystemExit(f"no texts in {source}")
    stream = [word for text in texts for word in text.split()]
    while len(stream) < words * 2:
        stream += stream
    step = max(1, (len(stream) - words) // count)
    return [" ".join(stream[start:start + words]) for start in range(0, step * count, step)]


def _start_server(model: Path, port: int, limit: float, timeout: float = 300) -> subprocess.Popen:
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "serve", "api", "--model-dir", str(model), "--host", "127.0.0.1",
                               "--port", str(port), "--device", "cpu", "--max-expected-wait", str(limit),
                               "--log-level", "warning"], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the server did not get ready in {timeout:.0f} s")


def _client(url: str, texts: list[str], offset: int, stop: float, out: list[dict], lock: threading.Lock) -> None:
    import httpx

    index = offset
    with httpx.Client(timeout=120) as client:
        while time.monotonic() < stop:
            text = texts[index % len(texts)]
            index += 1
            started = time.perf_counter()
            try:
                response = client.post(url, json={"text": text})
                row = {"status": response.status_code, "seconds": time.perf_counter() - started,
                       "retry_after": response.headers.get("Retry-After")}
            except httpx.HTTPError as error:
                row = {"status": None, "seconds": time.perf_counter() - started, "error": type(error).__name__}
            with lock:
                out.append(row)
            if row["status"] == 503 and row["retry_after"]:
                time.sleep(max(0.0, min(float(row["retry_after"]), stop - time.monotonic())))


def _queue_wait(metrics: str) -> dict:
    """The rasd_queue_wait_seconds histogram from a /metrics body: count, sum, cumulative buckets."""
    buckets, values = {}, {}
    for line in metrics.splitlines():
        if line.startswith("rasd_queue_wait_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[bound] = float(line.split()[-1])
        elif line.startswith(("rasd_queue_wait_seconds_count", "rasd_queue_wait_seconds_sum")):
            values[line.split()[0].rsplit("_", 1)[1]] = float(line.split()[-1])
    return {"count": values.get("count"), "sum": values.get("sum"), "buckets": buckets}


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(model: Path, clients: int, seconds: float, words: int, limit: float, corpus: Path | None) -> dict:
    import httpx

    texts = articles(words, max(clients * 4, 64), corpus)
    port = _free_port()
    server = _start_server(model, port, limit)
    url = f"http://127.0.0.1:{port}/predict"
    try:
        httpx.post(url, json={"text": texts[0]}, timeout=300).raise_for_status()  # warm-up, times the model
        rows, lock = [], threading.Lock()
        stop = time.monotonic() + seconds
        threads = [threading.Thread(target=_client, args=(url, texts, i * 4, stop, rows, lock)) for i in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        queue = _queue_wait(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    ok = [row["seconds"] for row in rows if row["status"] == 200]
    refused = [row for row in rows if row["status"] == 503]
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[str(row["status"])] = statuses.get(str(row["status"]), 0) + 1
    return {
        "clients": clients, "seconds": round(wall, 1), "words": words, "limit_seconds": limit,
        "corpus": str(corpus) if corpus else "seeds", "sent": len(rows), "statuses": statuses,
        "answered": sum(row["status"] is not None for row in rows),
        "lost": sum(row["status"] is None for row in rows),
        "server_errors": sum(row["status"] is not None and row["status"] >= 500 and row["status"] != 503
                             for row in rows),
        "refused_503": len(refused), "refused_without_retry_after": sum(not row["retry_after"] for row in refused),
        "retry_after_seconds": sorted({int(row["retry_after"]) for row in refused if row["retry_after"]}),
        "ok_latency": {"p50": _quantile(ok, 0.5), "p90": _quantile(ok, 0.9), "p99": _quantile(ok, 0.99),
                       "max": max(ok) if ok else None, "mean": statistics.fmean(ok) if ok else None},
        "ok_over_limit": sum(latency > limit for latency in ok),
        "ok_per_second": round(len(ok) / wall, 2) if wall else None,
        "queue_wait": queue,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "current")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--max-expected-wait", type=float, default=10)
    parser.add_argument("--corpus", type=Path, default=None, help="JSONL (gz ok) with a text field; default: the seeds")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    report = run(args.model, args.clients, args.seconds, args.words, args.max_expected_wait, args.corpus)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    failed = report["server_errors"] or report["lost"] or report["refused_without_retry_after"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
