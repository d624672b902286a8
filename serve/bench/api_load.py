"""The benchmark's API load: ``python -m serve api`` in a subprocess, N client threads posting.

Driven from the parent process of ``make bench`` (:mod:`serve.bench.run`): the server runs
with ``--device cpu`` on a free port; each level sends one text per request from N threads
and records latencies, answered tokens, the server's CPU time and its peak RSS.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from model.paths import REPO_ROOT


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak RSS of process ``pid`` (this one by default), from Linux's VmHWM. VmHWM first:
    Linux carries ``ru_maxrss`` over ``execve``, so a child would report its parent's peak
    when the parent had grown larger. None for another process that has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        if pid != "self":
            return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid == "self" else None  # KiB on Linux


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), all its threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def run_api(model_dir: Path, texts: list[str], tokens: list[int], article: str, clients: list[int],
            level_seconds: float, startup_timeout: float = 240) -> dict:
    """Serve ``model_dir`` in a subprocess and POST one text per request from N client threads.

    Each level sends ``max(len(texts), N)`` requests (texts cycled) and starts none after
    ``level_seconds``; throughput counts the tokens of the answered requests over the level's
    wall time. Peak RSS is the server process's VmHWM.
    """
    import httpx

    port = _free_port()
    url = f"http://127.0.0.1:{port}/predict"
    server = subprocess.Popen([sys.executable, "-m", "serve", "api", "--model-dir", str(model_dir),
                               "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
                              cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if server.poll() is not None:
                return {"error": (server.stderr.read().strip().splitlines() or ["server exited"])[-1:]}
            try:
                if httpx.post(url, json={"text": texts[0]}, timeout=60).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                return {"error": [f"server not answering after {startup_timeout:.0f} s"]}
            time.sleep(0.5)
        article_latencies = []
        for _ in range(3):
            start = time.perf_counter()
            httpx.post(url, json={"text": article}, timeout=300).raise_for_status()
            article_latencies.append(time.perf_counter() - start)
        levels = {}
        for n in clients:
            cpu_start = _cpu_seconds(server.pid)
            levels[n] = _load_level(url, texts, tokens, n, level_seconds)
            cpu_end = _cpu_seconds(server.pid)
            levels[n]["cpu_seconds"] = None if cpu_start is None else cpu_end - cpu_start
            levels[n]["peak_rss_mb"] = peak_rss_mb(server.pid)
        return {"levels": levels, "article_latencies": article_latencies, "peak_rss_mb": peak_rss_mb(server.pid)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _load_level(url: str, texts: list[str], tokens: list[int], clients: int, seconds: float) -> dict:
    import httpx

    total = max(len(texts), clients)
    lock, state = threading.Lock(), {"next": 0, "latencies": [], "tokens": 0, "failed": 0}
    stop_starting = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(timeout=600) as client:
            while True:
                with lock:
                    index = state["next"]
                    if index >= total or time.monotonic() > stop_starting:
                        return
                    state["next"] += 1
                start = time.perf_counter()
                ok = client.post(url, json={"text": texts[index % len(texts)]}).status_code == 200
                elapsed = time.perf_counter() - start
                with lock:
                    if ok:
                        state["latencies"].append(elapsed)
                        state["tokens"] += tokens[index % len(texts)]
                    else:
                        state["failed"] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return {"clients": clients, "seconds": wall, "requests": len(state["latencies"]), "failed": state["failed"],
            "tokens": state["tokens"], "latencies": state["latencies"]}
