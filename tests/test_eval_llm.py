"""`warroom eval` with the llm policy against a local chat-completions server: the run
finishes, tokens and cost reach the episode records, the summary and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from warroom.cli.main import app

from .fake_openai_server import FakeOpenAIServer


def script(request: dict[str, Any], index: int) -> dict[str, Any]:
    """Look at the alerts, then report (a wrong guess: the run only has to complete)."""
    if not any(m.get("role") == "tool" for m in request["messages"]):
        return {"tool_call": ("list_alerts", {}), "usage": (900, 20)}
    return {"tool_call": ("submit_report", {"root_cause": {
        "component": "edge-lb", "category": "compute/memory_leak", "culprit": None},
        "summary": "guess"}), "usage": (1200, 40)}


def test_eval_llm_records_tokens_and_cost(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with FakeOpenAIServer(script) as srv:
        res = CliRunner().invoke(app, [
            "eval", "--policies", "llm", "--model", "fake-model", "--base-url", srv.url,
            "--price-in", "1.0", "--price-out", "2.0", "--tier", "easy", "--n", "2",
            "--workers", "1", "--out", str(out), "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        text = json.dumps(row)
        assert '"tokens"' in text and "2160" in text  # 900 + 20 + 1200 + 40
        assert "cost_usd" in text
    assert "tokens/episode" in (out / "report.html").read_text()
    summary = (out / "summary.md").read_text()
    assert "model=fake-model" in summary and "| 2160 |" in summary
    assert "0.0044" in summary  # 2 episodes x (2100 in x $1 + 60 out x $2) per 1M tokens
    assert '"mean_tokens": 2160.0' in res.output


def test_eval_llm_unreachable_endpoint_fails_before_the_batch(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "--policies", "llm", "--model", "m", "--base-url",
                                   "http://127.0.0.1:9/v1", "--n", "1",
                                   "--out", str(tmp_path / "r"), "--no-progress"])
    assert res.exit_code != 0
    assert "cannot" in res.output.lower() or "connect" in res.output.lower()
    assert not (tmp_path / "r" / "episodes.jsonl").exists()


def test_a_model_that_stops_answering_is_reported_per_policy(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with FakeOpenAIServer(lambda request, i: {"status": 401, "error": "key revoked"}) as srv:
        res = CliRunner().invoke(app, [
            "eval", "--policies", "llm,oracle", "--model", "fake-model", "--base-url",
            srv.url, "--tier", "easy", "--n", "2", "--workers", "1", "--out", str(out),
            "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "ERRORS in 2 of 2 episodes" in res.output
    summary = json.loads((out / "summary.json").read_text())
    status = {e["policy"]: e["status"] for e in summary["leaderboard"]}
    assert status["oracle"] == "ok"
    llm = next(v for k, v in status.items() if k.startswith("llm"))
    assert llm.startswith("ERRORS in 2 of 2") and "401" in llm
    assert "ERRORS in 2 of 2" in (out / "report.html").read_text()
    assert "ERRORS in 2 of 2" in (out / "summary.md").read_text()
