"""``warroom bench`` runs end to end and reports every figure (a quick smoke run)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from warroom.cli.main import app
from warroom.harness import bench


def test_bench_quick_json():
    res = CliRunner().invoke(app, ["bench", "--quick", "--json", "--skip-eval", "--no-ray"])
    assert res.exit_code == 0, res.output
    f = json.loads(res.stdout)
    assert f["reset"]["median_ms"] > 0 and f["reset"]["p99_ms"] >= f["reset"]["median_ms"]
    assert 0 < f["reset"]["repeat_median_ms"] < f["reset"]["median_ms"]  # a fork, no rebuild
    assert f["tool_call"]["calls_per_s"] > 0 and f["tool_call"]["n"] >= 60
    assert set(f["episodes_per_s"]) == {"random", "heuristic", "oracle"}
    assert f["episodes_per_s"]["heuristic"]["episodes_per_s"] > 0
    assert f["repeat_episodes_per_s"]["heuristic"]["episodes_per_s"] > 0
    assert f["grading"]["median_ms"] > 0 and f["grading"]["n"] == f["grading"]["episodes"] == 3
    assert f["memory"]["mb_per_episode"] > 0
    topologies = f["scale"]["topologies"]
    assert set(topologies) == {"shop", "startup"}
    assert topologies["shop"]["components"] > topologies["startup"]["components"]
    assert set(f["scale"]["call_mean_us_by_steps"]) == {"10", "200"}
    assert f["scaling"]["speedup_2_workers"] > 0
    assert f["targets"]["reset_median_ms"] == 2.0
    assert "servers" not in f and "default_eval" not in f and "peers" not in f
    text = bench.format_bench(f)
    assert "(target <= 2 ms)" in text and "(target >= 100 episodes/s)" in text


def test_peers_folder_without_a_known_peer_is_a_clean_error(tmp_path):
    (tmp_path / "some-checkout").mkdir()
    res = CliRunner().invoke(app, ["bench", "--quick", "--skip-eval", "--no-ray",
                                   "--peers", str(tmp_path)])
    assert res.exit_code == 2
    assert "no known peer environment" in res.output
    with pytest.raises(bench.PeerError, match="not a directory"):
        bench.find_peers(tmp_path / "missing")


def test_a_peer_with_an_adapter_is_timed(tmp_path):
    peer = tmp_path / "tiny-env"
    peer.mkdir()
    (peer / "tiny_env.py").write_text("def play(seed):\n    return 4 + seed % 2\n")
    (peer / bench.PEER_ADAPTER).write_text(
        "import tiny_env\nNAME = 'tiny'\n\ndef run_episode(seed):\n"
        "    return tiny_env.play(seed)\n")
    assert bench.find_peers(tmp_path) == {"tiny-env": peer}
    figures = bench.bench_peers(tmp_path, warroom_eps=2.0, seconds=0.05)
    assert set(figures) == {"tiny"}
    t = figures["tiny"]
    assert t["episodes"] >= 10 and 4.0 <= t["steps_per_s"] / t["episodes_per_s"] <= 5.0
    # both figures are rounded from the same raw rate, so they agree to the rounding
    assert t["warroom_ratio"] == pytest.approx(t["episodes_per_s"] / 2.0, abs=0.06)


def test_server_figures_print_beside_their_targets():
    f = {"target": {"calls_per_s": 1000.0, "p99_ms": 20.0, "clients": 32},
         "mcp_http": {"clients": 32, "saturation": {"calls_per_s": 1388.2},
                      "at_rate": {"calls_per_s": 998.0, "p99_ms": 107.5}},
         "openenv_ws": {"unavailable": "openenv not installed"}}
    lines = bench._format_servers(f)
    assert lines[0].split() == ["mcp_http", "32", "clients:", "1388", "calls/s", "(target",
                                ">=", "1000),", "p99", "107.5", "ms", "at", "998.0", "calls/s",
                                "(target", "<", "20", "ms)"]
    assert "openenv not installed" in lines[1] and len(lines) == 2
