"""The web drill in headless Chromium (Debian's, driven by Playwright): leaderboard,
replay stepping, a live incident played through the generated forms up to the grade, a
watched policy over server-sent events, and two browser sessions kept apart.

Screenshots go to the test's temporary folder, or to ``$WARROOM_WEB_SCREENSHOTS`` (the
README's images come from ``WARROOM_WEB_SCREENSHOTS=docs/web pytest tests/test_web_browser.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from warroom.servers.web.app import DEFAULT_SCENARIO, create_app
from warroom.servers.web.local import running

from .test_web import make_runs

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("WARROOM_WEB_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):
    runs = make_runs(tmp_path_factory.mktemp("runs"))
    with running(create_app(runs, policy_delay_s=1.0)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, chromium_sandbox=False,
                              args=["--no-sandbox"])
        yield b
        b.close()


def _page(browser: Browser) -> Page:
    """A page in its own browser context (its own cookies: a separate session)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    return ctx.new_page()


def test_leaderboard_and_compare(browser: Browser, base: str, shots: Path) -> None:
    page = _page(browser)
    page.goto(base + "/")
    rows = page.locator("#leaderboard tbody tr")
    expect(rows).to_have_count(6)  # two runs x two policies, a team run with two teams
    expect(page.locator("#leaderboard tr.team")).to_have_count(2)
    expect(page.locator("#leaderboard")).to_contain_text("oracle")
    page.screenshot(path=str(shots / "leaderboard.png"), full_page=True)
    page.click("#compare-form button")
    expect(page.locator("#compare")).to_contain_text("+0 pts")


def test_replay_steps_through_an_episode(browser: Browser, base: str, shots: Path) -> None:
    page = _page(browser)
    page.goto(base + "/")
    page.locator("#leaderboard a", has_text="alpha").first.click()
    page.click("#episodes a[href$='/episodes/1']")
    expect(page.locator("#step-pos")).to_contain_text("step 1 of", timeout=60_000)
    first_tool = page.locator("#current-step .tool").inner_text()
    page.click("#step-next")
    expect(page.locator("#step-pos")).to_contain_text("step 2 of")
    assert page.url.endswith("step=2")  # shareable link to the step
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step-pos")).to_contain_text("step 3 of")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step-pos")).to_contain_text("step 2 of")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step-pos")).to_contain_text("step 1 of")
    assert page.locator("#current-step .tool").inner_text() == first_tool
    expect(page.locator("#charts svg.chart")).to_have_count(3)
    expect(page.locator("#rubric")).to_contain_text("diagnosis")
    expect(page.locator("#outcome")).to_contain_text("replay verified")
    page.goto(base + page.url.split(base, 1)[1].split("?")[0] + "?step=4")
    page.screenshot(path=str(shots / "replay.png"), full_page=True)
    page.goto(base + "/runs/alpha/episodes/42")
    expect(page.locator("#missing")).to_contain_text("episode 42")
    expect(page.locator("#available li")).to_have_count(4)


def test_team_replay_has_a_lane_per_role_and_the_chat(browser: Browser, base: str,
                                                      shots: Path) -> None:
    page = _page(browser)
    page.goto(base + "/")
    page.locator("#leaderboard a", has_text="crew").first.click()
    expect(page.locator("#team-credit tbody tr")).to_have_count(2)
    page.click("#episodes a[href$='/episodes/0']")
    expect(page.locator("#step-pos")).to_contain_text("step 1 of", timeout=60_000)
    heads = page.locator("#lanes th.lane-head")
    expect(heads).to_have_count(4)
    assert [h.get_attribute("data-role") for h in heads.all()] == [
        "sre", "oversight", "developer", "commander"]
    expect(heads.nth(3)).to_contain_text("Incident commander")
    expect(page.locator("#outcome")).to_contain_text("replay verified")
    expect(page.locator("#charts svg.chart")).to_have_count(3)
    expect(page.locator("#current-role")).to_have_text("by sre")
    expect(page.locator("#lanes td[data-role=sre] .lanestep.current")).to_have_count(1)
    page.click("#step-next")
    expect(page.locator("#current-role")).to_have_text("by oversight")
    assert page.url.endswith("step=2")
    expect(page.locator("#lanes td[data-role=oversight] .lanestep.current")).to_have_count(1)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#current-role")).to_have_text("by developer")
    messages = page.locator("#chat li")
    assert messages.count() >= 1
    first = messages.first
    first.locator("a.stepno").click()  # a chat line links to its step
    expect(page.locator("#current-step .tool")).to_have_text("say")
    expect(page.locator("#chat li.current")).to_have_count(1)
    chat = page.locator("#communication").bounding_box()
    assert chat is not None
    page.screenshot(path=str(shots / "team.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": chat["y"] + chat["height"]})


def _start(page: Page, base: str, policy: str = "") -> None:
    page.goto(base + "/live")
    page.fill("#start-form input[name=scenario]", DEFAULT_SCENARIO)
    page.select_option("#start-form select[name=policy]", policy)
    page.click("#start")
    expect(page.locator("#live")).to_be_visible()


def test_live_incident_by_forms_isolated_sessions(browser: Browser, base: str,
                                                  shots: Path) -> None:
    me, other = _page(browser), _page(browser)
    _start(me, base)
    _start(other, base)
    me.click("form[data-tool=list_alerts] button")
    expect(me.locator("#steps li")).to_have_count(1)
    form = me.locator("form[data-tool=list_pods]")
    form.locator("input[name=service]").fill("checkout")
    form.locator("button").click()
    expect(me.locator("#steps li")).to_have_count(2)
    expect(me.locator("#steps li").last).to_contain_text("list_pods")
    form = me.locator("form[data-tool=search_logs]")
    form.locator("input[name=service]").fill("checkout")
    form.locator("button").click()
    expect(me.locator("#step-count")).to_have_text("3")
    other.reload()
    expect(other.locator("#step-count")).to_have_text("0")  # the other session saw nothing
    expect(other.locator("#steps li")).to_have_count(0)
    me.evaluate("window.scrollTo(0, 0)")
    me.screenshot(path=str(shots / "live.png"), full_page=False)
    report = me.locator("form[data-tool=submit_report]")
    report.locator("textarea[name=root_cause]").fill(json.dumps(
        {"component": "checkout", "category": "database/connection_leak", "culprit": None}))
    report.locator("input[name=summary]").fill("checkout leaks database connections")
    report.locator("button").click()
    expect(me.locator("#grade")).to_contain_text("score")
    expect(me.locator("#grade #rubric")).to_contain_text("diagnosis")
    me.locator("#grade").screenshot(path=str(shots / "grade.png"))
    other.reload()
    expect(other.locator("#grade")).to_have_count(0)


def test_watch_a_policy_live(browser: Browser, base: str, shots: Path) -> None:
    page = _page(browser)
    _start(page, base, "oracle")
    expect(page.locator("#live")).to_have_attribute("data-done", "no")
    page.wait_for_function("window.warroomPushed >= 2")  # steps arrived by server push
    expect(page.locator("#grade")).to_contain_text("success", timeout=60_000)
    expect(page.locator("#score")).to_have_text("1.00")
    assert page.locator("#steps li").count() >= 3
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "watch.png"), full_page=False)
