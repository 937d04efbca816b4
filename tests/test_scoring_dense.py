"""Dense rewards are potential-based: they sum to the final score, repeats earn nothing, and
grading is deterministic (also across processes with different PYTHONHASHSEED)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

import warroom
from warroom import ToolCall
from warroom.scoring.gaming import STRATEGIES
from warroom.scoring.gaming import play as play_cheap

from .scoring_support import EASY_MEM as EASY
from .scoring_support import LEAK, ROGUE, oracle_plan, play


def rewards(ep: warroom.Episode) -> list[float]:
    return [s.reward for s in ep.trace]


@pytest.mark.parametrize("sid", [LEAK, ROGUE])
def test_oracle_rewards_sum_to_score(sid: str) -> None:
    ep = play(sid, oracle=True)
    assert ep.result is not None
    assert sum(rewards(ep)) == pytest.approx(ep.result["score"], abs=1e-9)
    assert all(r >= -1e-12 for r in rewards(ep))  # the oracle never loses ground


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_cheap_strategy_rewards_sum_to_score(name: str) -> None:
    cheap = STRATEGIES[name]
    ep = warroom.make(EASY, max_steps=cheap.max_steps)
    result = play_cheap(ep, cheap)
    assert sum(rewards(ep)) == pytest.approx(result["score"], abs=1e-9)


def test_discounted_rewards_telescope() -> None:
    ep = play(LEAK, oracle=True, reward_config="discounted")
    assert ep.result is not None and ep.result["reward_config"] == "discounted/v1"
    gamma, rs = 0.99, rewards(ep)
    total = sum(gamma ** t * r for t, r in enumerate(rs))
    assert total == pytest.approx(gamma ** len(rs) * ep.result["score"], abs=1e-9)


def test_repeats_earn_nothing() -> None:
    plan = oracle_plan(LEAK)
    read = plan[0]
    again = [read] * 5 + [ToolCall("post_update", {"status": "investigating",
                                                   "message": "looking"})] * 3
    ep = play(LEAK, [read, *again], seed=None)
    rs = rewards(ep)
    assert rs[0] > 0  # the first look at the deploy list shows the culprit release
    assert rs[1:6] == [0.0] * 5
    assert rs[6] > 0 and rs[7:9] == [0.0, 0.0]


def test_repeated_fix_and_flag_earn_nothing_more() -> None:
    plan = oracle_plan(ROGUE)
    pause = next(c for c in plan if c.name == "pause_agent")
    ep = play(ROGUE, [plan[0], pause, pause, ToolCall("flag_rogue_agent", {
        "agent": "autoscaler", "reason": "again"})])
    rs = rewards(ep)
    assert rs[1] > 0 and rs[2] == 0.0 and rs[3] <= 1e-12


def test_info_carries_the_rubric_delta() -> None:
    plan = oracle_plan(LEAK)
    ep = warroom.make(LEAK)
    ep.reset()
    info = ep.step(plan[0]).info
    assert info["rubric_delta"]["evidence"] == pytest.approx(1 / 3)
    assert info["potential"] > 0 and not info["invalid"]
    last = None
    for call in plan[1:]:
        last = ep.step(call)
    assert last is not None and last.done and last.info["result"]["score"] == 1.0


def test_unsafe_action_after_progress_costs() -> None:
    look = oracle_plan(ROGUE)[0]
    ep = play(ROGUE, [look, ToolCall("flag_rogue_agent", {"agent": "deploy-bot",
                                                          "reason": "?"})])
    assert rewards(ep)[0] > 0 and rewards(ep)[1] < 0


def _digest(result: dict) -> str:
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()


SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[2])
from tests.scoring_support import play
ep = play(sys.argv[1], oracle=True)
r = ep.result
print(hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest())
print(json.dumps([s.reward for s in ep.trace]))
"""


def test_grading_is_deterministic() -> None:
    a, b = play(ROGUE, oracle=True), play(ROGUE, oracle=True)
    assert a.result is not None and b.result is not None
    assert _digest(a.result) == _digest(b.result) and rewards(a) == rewards(b)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = set()
    for hashseed in ("1", "2024"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        out = subprocess.run([sys.executable, "-c", SCRIPT, ROGUE, root], env=env,
                             capture_output=True, text=True, check=True).stdout
        outs.add(out)
    assert len(outs) == 1
    digest, rs = outs.pop().splitlines()
    assert digest == _digest(a.result) and json.loads(rs) == rewards(a)
