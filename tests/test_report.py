"""The HTML report opens in headless Chromium without console errors and shows the
leaderboard, the figures, and a trajectory with its rubric tree."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from warroom.harness import plan, runner
from warroom.harness.policies import PolicySpec
from warroom.harness.report import write_report
from warroom.scenarios import generate

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    ids = [s.id for s in generate(split="dev", n=4, seed=5)]
    spec = plan.make_spec([PolicySpec("oracle"), PolicySpec("random")], ids, [0, 1])
    runner.execute_run(runner.start(out, spec), workers=1, progress=False)
    return write_report(out)


def _chromium(url: str, profile) -> tuple[str, str]:
    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_report_loads_without_console_errors(report, tmp_path):
    dom, log = _chromium(report["html"].as_uri(), tmp_path / "profile")
    console = [ln for ln in log.splitlines() if "CONSOLE" in ln]
    assert console == [], console
    assert 'data-ready="1"' in dom  # the viewer script ran to the end
    board = dom[dom.index('id="leaderboard"'):]
    board = board[:board.index("</table>")]
    assert "oracle" in board and "random" in board and "100%" in board
    assert dom.count("data:image/png;base64,") >= 3  # heatmap, tier bars, scores
    assert re.search(r'id="ep-step"><div><b>#1 ', dom)  # the gzip traces were unpacked
    assert 'id="ep-tree"><ul><li><b>' in dom  # the rubric tree is drawn
    assert "pass@2" in dom


def test_report_is_self_contained(report):
    text = report["html"].read_text()
    assert not re.search(r"""(src|href)=["']https?://""", text)
    data = text[text.index('id="report-data">') + 17:]
    episodes = json.loads(data[:data.index("</script>")])["episodes"]
    assert len(episodes) == 16
    md = report["markdown"].read_text()
    assert "| oracle |" in md and "## Success by tier" in md
