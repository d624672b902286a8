"""`python -m serve bench --quick` on the tiny model: every engine runs and the report is whole.

No timing is asserted (speed is a benchmark, not a test); only the report's structure.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from serve.cli import app

ENGINES = {"pipeline", "fp32", "int8", "api-1", "api-8", "api-32"}


def test_quick_bench_reports_every_engine(tiny_model_dir, tmp_path):
    out_md, chart, report_path = tmp_path / "BENCHMARKS.md", tmp_path / "bench.png", tmp_path / "report.json"
    out_md.write_text("# Benchmarks\n\nhand-written notes\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\ntail\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "--quick", "--models", str(tiny_model_dir), "--engines", "pipeline,fp32,int8",
                                      "--out-md", str(out_md),
                                      "--chart", str(chart), "--json", str(report_path)])
    assert result.exit_code == 0, result.output

    report = json.loads(report_path.read_text(encoding="utf-8"))
    [model] = report["models"]
    assert model["errors"] == {}
    assert set(model["engines"]) == ENGINES
    for summary in model["engines"].values():
        assert summary["tok_s"] > 0 and summary["docs_s"] > 0
        assert summary["p50_s"] <= summary["p95_s"]
        assert summary["peak_rss_mb"] > 0
    assert set(model["ratios"]) == ENGINES - {"pipeline"}
    assert all(ratio > 0 for ratio in model["ratios"].values())
    assert set(model["ratios_to_fp32_batch"]) == {"api-1", "api-8", "api-32"}
    agreement = model["agreement_with_fp32"]["int8"]
    assert 0.0 <= agreement["agreement"] <= 1.0
    assert agreement["matched"] <= agreement["fp32_spans"]
    assert {row["metric"] for row in report["targets"]} and all("reached" in row for row in report["targets"])

    markdown = out_md.read_text(encoding="utf-8")
    assert markdown.startswith("# Benchmarks\n\nhand-written notes") and markdown.rstrip().endswith("tail")
    assert "old" not in markdown and "| pipeline |" in markdown and "| api-8 |" in markdown
    assert chart.read_bytes().startswith(b"\x89PNG")
