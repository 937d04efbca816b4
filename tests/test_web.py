"""The web drill over HTTP (no browser): pages, 404s that list what exists, live play by
form posts, session isolation by cookie, uploaded scenario files, and the token gate."""

from __future__ import annotations

import html
import http.cookiejar
import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from warroom.servers.web.app import DEFAULT_SCENARIO, create_app
from warroom.servers.web.local import running


def make_runs(root: Path) -> Path:
    """Two small run dirs (the second a copy) under ``root``, and a team run ``crew``
    (written first, so it is the oldest: the leaderboard lists it last)."""
    subprocess.run([sys.executable, "-m", "warroom", "eval", "--team", "heuristic;oracle",
                    "--policies", "", "--tier", "easy", "--n", "2", "--out", str(root / "crew"),
                    "--workers", "1", "--no-progress"], check=True, capture_output=True,
                   text=True)
    first = root / "alpha"
    subprocess.run([sys.executable, "-m", "warroom", "eval", "--policies", "random,oracle",
                    "--tier", "easy", "--n", "2", "--out", str(first), "--workers", "1",
                    "--no-progress"], check=True, capture_output=True, text=True)
    shutil.copytree(first, root / "beta")
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def base(runs: Path):
    with running(create_app(runs, policy_delay_s=0.0)) as url:
        yield url


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects blindly."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def test_leaderboard_lists_every_run_with_intervals(base: str) -> None:
    status, page = Browser(base).get("/")
    assert status == 200
    assert "/runs/alpha" in page and "/runs/beta" in page
    board, by_family = page.split("id=\"by-family\"")
    assert board.count("<td class=\"l\">oracle</td>") == 2
    assert "[34%, 100%]" in board  # oracle 2/2 with its Wilson interval
    assert "<th>appdata</th>" in by_family
    status, page = Browser(base).get("/compare?a=alpha&b=beta")
    assert status == 200 and "+0 pts" in page


def test_run_and_replay_pages(base: str, runs: Path) -> None:
    records = [json.loads(x) for x in (runs / "alpha" / "episodes.jsonl").read_text().splitlines()]
    status, page = Browser(base).get("/runs/alpha")
    assert status == 200 and "/runs/alpha/episodes/3" in page
    trace = json.loads((runs / "alpha" / records[1]["trace"]).read_text())
    status, page = Browser(base).get("/runs/alpha/episodes/1?step=2")
    assert status == 200
    assert f"Step 2: <span class=\"tool\">{trace[1]['tool']}</span>" in page
    assert "replay verified" in page  # the rebuilt world has the recorded state hash
    assert page.count("<svg class='chart'") == 3
    assert "class='write'" in page  # the oracle wrote: markers on the charts
    assert all(f"<span class=\"tool\">{s['tool']}</span>" in page for s in trace)
    assert "id=\"rubric\"" in page and "diagnosis" in page


def _records(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "episodes.jsonl").read_text().splitlines()]


def test_team_eval_writes_a_run_directory_with_roles_and_chat(runs: Path) -> None:
    records = _records(runs / "crew")
    assert [r["policy"] for r in records] == ["team:heuristic"] * 2 + ["team:oracle"] * 2
    for r in records:
        order = r["team"]["order"]
        assert order == ["sre", "oversight", "developer", "commander"]
        trace = json.loads((runs / "crew" / r["trace"]).read_text())
        assert len(trace) == r["steps"] > 0
        assert [s["role"] for s in trace] == [order[i % 4] for i in range(len(trace))]
        said = [s for s in trace if s["tool"] == "say" and s["ok"]]
        assert [m["step"] for m in r["result"]["team"]["transcript"]] == \
            [s["step"] for s in said]
    assert any(r["result"]["team"]["transcript"] for r in records)


def test_team_eval_summary_keeps_its_shape_with_a_run_directory(tmp_path: Path) -> None:
    from warroom.harness.team import eval_teams

    ids = ["cache_crashloop/redis/easy/v8"]
    plain = eval_teams(ids, ["oracle"], ["random"])
    written = eval_teams(ids, ["oracle"], ["random"], out=tmp_path / "run")
    assert written.pop("run") == str(tmp_path / "run")
    assert written == plain
    policies = [r["policy"] for r in _records(tmp_path / "run")]
    assert policies == ["team:oracle", "random"]
    assert (tmp_path / "run" / "summary.json").is_file()


def test_team_run_on_leaderboard_and_run_page(base: str) -> None:
    status, page = Browser(base).get("/")
    assert status == 200 and "/runs/crew" in page
    board = page.split("id=\"by-family\"")[0]
    assert "<td class=\"l\">team:oracle</td>" in board
    assert "credit per role (team runs)" in board
    assert "<span class=\"credit\" data-role=\"sre\">sre 1.00</span>" in board
    assert board.count("<tr class=\"team\">") == 2
    status, page = Browser(base).get("/runs/crew")
    assert status == 200 and "id=\"team-credit\"" in page
    table = page.split("id=\"team-credit\"")[1].split("</table>")[0]
    assert all(f"<th>{r}</th>" in table for r in ("sre", "oversight", "developer", "commander"))
    assert "<td class=\"l\">team:heuristic</td>" in table and "(4 roles)" in page


def test_team_replay_shows_a_lane_per_role_and_the_chat(base: str, runs: Path) -> None:
    records = _records(runs / "crew")
    i = next(n for n, r in enumerate(records) if r["result"]["team"]["transcript"])
    trace = json.loads((runs / "crew" / records[i]["trace"]).read_text())
    first = records[i]["result"]["team"]["transcript"][0]
    k = first["step"]
    status, page = Browser(base).get(f"/runs/crew/episodes/{i}?step={k}")
    assert status == 200
    assert "replay verified" in page  # all roles' calls replayed into a fresh TeamEpisode
    assert page.count("<svg class='chart'") == 3
    heads = [page.count(f"class=\"l lane-head\" data-role=\"{r}\"")
             for r in ("sre", "oversight", "developer", "commander")]
    assert heads == [1, 1, 1, 1]
    assert f"Step {k}: <span class=\"tool\">say</span> <span class=\"role\" " \
           f"id=\"current-role\">by {first['from']}</span>" in page
    chat = page.split("id=\"chat\"")[1].split("</ol>")[0]
    assert html.escape(first["text"].splitlines()[0]) in chat
    assert f"?step={k}\" class=\"stepno\">#{k}</a>" in chat
    lanes = page.split("id=\"lanes\"")[1].split("</table>")[0]
    for s in trace:  # every step sits in its role's column, in turn order
        cell = lanes.split(f"id=\"step-{s['step']}\"")[0].rsplit("<td", 1)[1]
        assert f"data-role=\"{s['role']}\"" in cell
    assert lanes.index("id=\"step-1\"") < lanes.index("id=\"step-2\"") < \
        lanes.index("id=\"step-5\"")
    status, page = Browser(base).get(f"/runs/crew/episodes/{i}?step={k + 1}")
    assert f"Step {k + 1}: <span class=\"tool\">{trace[k]['tool']}</span>" in page
    assert f"by {trace[k]['role']}</span>" in page


def test_a_tampered_team_trace_is_not_verified(runs: Path, tmp_path: Path) -> None:
    crew = tmp_path / "crew"
    shutil.copytree(runs / "crew", crew)
    record = next(r for r in _records(crew) if r["result"]["team"]["transcript"])
    path = crew / record["trace"]
    trace = json.loads(path.read_text())
    said = next(s for s in trace if s["tool"] == "say" and s["ok"])
    said["arguments"]["message"] = "something else entirely"
    path.write_text(json.dumps(trace))
    i = _records(crew).index(record)
    with running(create_app(tmp_path)) as url:
        status, page = Browser(url).get(f"/runs/crew/episodes/{i}")
    assert status == 200 and "replay verified" not in page
    assert "state hash differs from the recorded one" in page


def test_unknown_run_and_episode_are_404_listing_what_exists(base: str) -> None:
    status, page = Browser(base).get("/runs/nope")
    assert status == 404 and "run &#39;nope&#39;" in page and "/runs/alpha" in page
    status, page = Browser(base).get("/runs/alpha/episodes/99")
    assert status == 404 and "episode 99" in page and "/runs/alpha/episodes/3" in page


def test_live_play_by_forms_is_isolated_per_session(base: str) -> None:
    one, two = Browser(base), Browser(base)
    for b in (one, two):
        status, _ = b.post("/live/start", {"scenario": DEFAULT_SCENARIO, "seed": "0"})
        assert status == 200
    status, page = one.post("/live/call", {"tool": "list_alerts"})
    assert status == 200 and "<span class=\"tool\">list_alerts</span>" in page
    _, other = two.get("/live")
    assert "<span class=\"tool\">list_alerts</span>" not in other
    assert "id=\"step-count\">0<" in other
    status, page = one.post("/live/call", {"tool": "list_pods", "page": "x"})
    assert status == 400 and "page: &#39;x&#39; is not a valid integer" in page
    status, page = one.post("/live/call", {
        "tool": "submit_report", "summary": "guess",
        "root_cause": json.dumps({"component": "checkout", "category": "database/connection_leak",
                                  "culprit": None})})
    assert status == 200 and "id=\"grade\"" in page and "id=\"score\"" in page


def _upload(browser: Browser, name: str, text: str) -> tuple[int, str]:
    boundary = "xyzBOUNDARY"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/x-yaml\r\n\r\n"
            f"{text}\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(browser.base + "/live/start", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with browser.opener.open(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_uploaded_scenario_file_starts_or_is_refused_with_its_problems(base: str) -> None:
    from warroom.scenarios.files import examples, load

    example = examples()[0]
    status, page = _upload(Browser(base), example.name, example.read_text())
    assert status == 200 and "Incident page" in page and load(example).id in page
    status, page = _upload(Browser(base), "bad.yaml", "title: broken\ntopology: nowhere\nfaults: [")
    assert status == 400 and "bad.yaml" in page and "id=\"message\"" in page


def test_token_gate(runs: Path) -> None:
    with running(create_app(runs, token="s3cret")) as url:
        assert Browser(url).get("/")[0] == 401
        assert Browser(url).get("/health")[0] == 200
        b = Browser(url)
        status, page = b.get("/?token=s3cret")  # sets the cookie, then redirects
        assert status == 200 and "/runs/alpha" in page
        assert b.get("/runs/alpha")[0] == 200
        req = urllib.request.Request(url + "/", headers={"Authorization": "Bearer s3cret"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200


def test_page_load_timing_reports_median_and_p99() -> None:
    from warroom.servers.web.bench import page_load_timing

    figures = page_load_timing(repeats=4, runs=2, steps=10)
    assert figures["leaderboard"]["runs"] == 2 and figures["leaderboard"]["n"] == 4
    assert figures["replay"]["steps"] == 10
    for page in ("leaderboard", "replay"):
        assert 0 < figures[page]["median_ms"] <= figures[page]["p99_ms"]


def test_llm_runs_show_tokens_and_cost(runs: Path, tmp_path: Path) -> None:
    llm = tmp_path / "llm-run"
    shutil.copytree(runs / "alpha", llm)
    lines = []
    for line in (llm / "episodes.jsonl").read_text().splitlines():
        rec = json.loads(line)
        rec["metrics"].update(tokens=1500, cost_usd=0.25)
        lines.append(json.dumps(rec))
    (llm / "episodes.jsonl").write_text("\n".join(lines) + "\n")
    with running(create_app(tmp_path)) as url:
        status, page = Browser(url).get("/")
    assert status == 200 and "<th>tokens/episode</th>" in page and "<th>cost (USD)</th>" in page
    assert "<td>1500</td>" in page and "<td>0.5000</td>" in page  # two episodes per policy


def test_live_hub_limits_open_incidents() -> None:
    from warroom.scenarios import get
    from warroom.servers.web.live import LiveError, LiveHub

    hub = LiveHub(max_sessions=1)
    scenario = get(DEFAULT_SCENARIO)
    first = hub.start("a", scenario, 0)
    again = hub.start("a", scenario, 1)  # the same session replaces its incident
    assert hub.get("a") is again and again is not first
    with pytest.raises(LiveError, match="1 live incidents are open"):
        hub.start("b", scenario, 0)
    assert hub.get("b") is None and hub.get(None) is None
