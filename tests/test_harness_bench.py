"""``warroom bench`` runs end to end and reports every figure (a quick smoke run)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from warroom.cli.main import app


def test_bench_quick_json():
    res = CliRunner().invoke(app, ["bench", "--quick", "--json", "--skip-eval", "--no-ray"])
    assert res.exit_code == 0, res.output
    f = json.loads(res.stdout)
    assert f["reset"]["median_ms"] > 0 and f["reset"]["p99_ms"] >= f["reset"]["median_ms"]
    assert f["tool_call"]["calls_per_s"] > 0 and f["tool_call"]["n"] >= 60
    assert set(f["episodes_per_s"]) == {"random", "heuristic", "oracle"}
    assert f["memory"]["mb_per_episode"] > 0
    assert f["scaling"]["speedup_2_workers"] > 0
    assert "servers" not in f and "default_eval" not in f
