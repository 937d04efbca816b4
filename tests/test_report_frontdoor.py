"""What a reader of the eval output needs: per-policy progress, column meanings in the
report, n/a instead of '-' or lost points, the reward config as the CLI names it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from warroom.harness import plan, runner
from warroom.harness.policies import PolicySpec
from warroom.harness.progress import RunProgress
from warroom.harness.report import COLUMN_HELP, LEADER_COLS, write_report
from warroom.harness.tasks import Task


def _record(policy: str, success: bool, error: str | None = None) -> dict[str, object]:
    return {"policy": policy, "metrics": {"success": success}, "error": error}


def test_progress_keeps_one_success_rate_per_policy() -> None:
    tasks = [Task(PolicySpec(p), f"s{i}", 0) for i in range(4) for p in ("oracle", "random")]
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    bar = RunProgress(tasks, [_record("oracle", True)], console=console)
    with bar:
        for rec in (_record("random", False), _record("oracle", True),
                    _record("random", False, "boom")):
            bar.advance(rec)
    assert bar.done == 4
    assert bar.counts["oracle"].stats() == "success 100%"
    assert bar.counts["random"].stats() == "success   0%  errors 1"
    text = out.getvalue()
    assert "oracle" in text and "random" in text and "2/4" in text
    assert RunProgress(tasks, enabled=False).counts["random"].total == 4


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("report") / "run"
    ids = plan.select("test", ["easy"], ["cache"], 2)
    spec = plan.make_spec([PolicySpec("oracle"), PolicySpec("random")], ids, [0])
    runner.execute_run(runner.start(out, spec), workers=1, progress=False)
    paths = write_report(out)
    return {k: p.read_text("utf-8") for k, p in paths.items()}


def test_report_explains_every_leaderboard_column(report: dict[str, str]) -> None:
    page = report["html"]
    for key, label in LEADER_COLS:
        if key in ("mean_tokens", "total_cost_usd"):
            continue  # only when a language model ran
        assert f"<th title='{COLUMN_HELP[key]}'>{label}</th>" in page.replace("&#x27;", "'")
        assert f"<dt>{label}</dt>" in page
    assert "What the columns mean" in page


def test_report_says_why_a_rate_is_empty(report: dict[str, str]) -> None:
    page = report["html"]
    # no rogue fleet agent in cache scenarios: n/a with its reason, not '-'
    assert "<span class='na' title='no episode had a rogue fleet agent'>n/a</span>" in page


def test_report_names_the_reward_config_as_the_cli_does(report: dict[str, str]) -> None:
    assert "reward config standard/v1" in report["html"]
    assert "reward config default" not in report["html"]
    assert "reward config standard/v1" in report["markdown"]


@pytest.mark.browser
def test_report_draws_rubric_nodes_that_do_not_apply_as_na(report: dict[str, str],
                                                            tmp_path: Path) -> None:
    from tests.test_report import _chromium

    page = tmp_path / "report.html"
    page.write_text(report["html"], encoding="utf-8")
    dom, _ = _chromium(page.as_uri(), tmp_path / "profile")
    tree = dom.split('id="ep-tree"', 1)[1].split("</ul></div>", 1)[0]
    assert ('<li class="na"><b>oversight</b> <span class="note">n/a — does not apply'
            in tree), tree[:3000]
    assert "oversight</b><span class=\"bar\">" not in tree  # no score bar, no lost points
    assert re.search(r"<b>diagnosis</b>.*?weight \d+%", tree)  # share of a weighted mean
