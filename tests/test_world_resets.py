"""Resets fork a per-(scenario, seed) base world: same results as a fresh build, base intact."""

from __future__ import annotations

import warroom
from warroom.harness.policies import PolicySpec
from warroom.harness.tasks import Task, execute
from warroom.scenarios import get
from warroom.scenarios.setup import _build
from warroom.types import ToolCall
from warroom.world import world as world_mod
from warroom.world.resets import RESETS, ResetCache

SID = "memory_leak/orders/hard/v2"


def test_a_forked_reset_equals_a_fresh_build():
    ep = warroom.make(SID)
    ep.reset(seed=3)
    ep.reset(seed=3)  # the second reset is a fork of the cached base
    fresh, _ = _build(get(SID), 3)
    assert ep.world is not None
    assert ep.world.state_hash() == fresh.state_hash()
    assert ep.world.snapshot().components["orders"].rps == fresh.snapshot().components[
        "orders"].rps


def test_an_episode_played_twice_is_identical_and_leaves_the_base_alone():
    first, trace1 = execute(Task(PolicySpec("oracle"), SID, 5))
    second, trace2 = execute(Task(PolicySpec("oracle"), SID, 5))
    assert first["state_hash"] == second["state_hash"]
    assert trace1 == trace2
    assert first["result"] == second["result"]


def test_forks_share_the_solved_past(monkeypatch):
    RESETS.clear()
    solves = []
    real = world_mod.solve
    monkeypatch.setattr(world_mod, "solve", lambda w, t: solves.append(t) or real(w, t))
    call = ToolCall("query_metrics", {"service": "orders", "metric": "error_rate",
                                      "minutes": 30})
    ep = warroom.make(SID)
    ep.reset(seed=1)
    built = len(solves)
    ep.step(call)
    first = len(solves) - built
    ep.reset(seed=1)
    before = len(solves)
    ep.step(call)
    assert built > 5 and first > 5
    assert len(solves) - before < first  # the history the first episode solved is reused


def test_cache_keeps_at_most_its_size():
    cache = ResetCache(size=2)
    for k in range(4):
        _, extra = cache.fork_or_build(k, lambda k=k: (_build(get(SID), k)[0], k))
        assert extra == k
    assert len(cache._bases) == 2 and cache.misses == 4
    cache.fork_or_build(3, lambda: (_build(get(SID), 3)[0], 3))
    assert cache.hits == 1
