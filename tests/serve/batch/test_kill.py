"""A real ``kill -9`` of ``python -m serve score`` mid-run, then a rerun: every id exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from model.paths import REPO_ROOT as REPO
from serve.batch.engines import ScoreOptions
from serve.batch.logs import errors_path
from serve.batch.run import score
from tests.serve.batch.make_articles import write_articles


def test_sigkill_mid_run_then_rerun_scores_every_id_once(tmp_path, tiny_model_dir):
    ids = {path.stem for path in write_articles(tmp_path / "dump", 200, seed=3, max_paragraphs=3)}
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "serve", "score", str(tmp_path / "dump"), str(out),
               "--model", str(tiny_model_dir), "--device", "cpu", "--chunk-size", "2", "--threads", "1",
               "--no-progress"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while process.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.02)
    assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()!r}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    process.stderr.close()
    written = out.read_bytes().count(b"\n")
    assert 10 <= written < len(ids)

    summary = score(tmp_path / "dump", out, ScoreOptions(model_dir=tiny_model_dir, device="cpu", progress=False))

    scored = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(scored) == sorted(ids), "each input id exactly once"
    assert errors_path(out).read_text(encoding="utf-8") == ""
    assert summary.skipped == written and summary.documents == len(ids) - written
