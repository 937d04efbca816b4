"""Property-based fuzzing: 10,000+ random tool calls, valid-looking and garbage alike,
never raise out of ``Episode.step`` and always return an observation."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warroom
from warroom.tools.registry import REGISTRY, load_all

load_all()
SID = "rogue_autoscaler/catalog/medium/v1"
NAMES = sorted(REGISTRY)
PARAMS = sorted({p.name for s in REGISTRY.values() for p in s.params} | {"page"})
COMPONENTS = ["checkout", "catalog", "postgres-primary", "redis", "edge-lb", "order-events",
              "autoscaler", "nope", ""]

values = st.one_of(
    st.sampled_from(COMPONENTS), st.text(max_size=12), st.integers(-5, 10_000),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                         max_size=2))
arguments = st.one_of(
    st.dictionaries(st.sampled_from(PARAMS), values, max_size=4),
    st.text(max_size=20), st.integers(), st.none())
calls = st.one_of(
    st.builds(lambda n, a: {"name": n, "arguments": a},
              st.sampled_from([*NAMES, "", "reset", "step", "bogus"]), arguments),
    st.builds(lambda n: {"name": n}, st.sampled_from(NAMES)),
    st.integers(), st.text(max_size=5), st.none())

EPISODE = warroom.make(SID, max_steps=10_000)
EPISODE.reset(seed=0)
COUNT = {"calls": 0}


@settings(max_examples=110, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(calls, min_size=95, max_size=95))
def test_random_calls_never_raise(batch: list[object]) -> None:
    for call in batch:
        if EPISODE.done:
            EPISODE.reset(seed=COUNT["calls"])
        res = EPISODE.step(call)  # type: ignore[arg-type]
        COUNT["calls"] += 1
        assert isinstance(res.observation.text, str) and res.observation.text
        assert res.observation.ok or res.observation.error
        assert res.info["invalid"] is (not res.observation.ok)


def test_fuzz_volume() -> None:
    if COUNT["calls"] == 0:  # collected alone, or scheduled before the fuzz test: fuzz now
        test_random_calls_never_raise()
    assert COUNT["calls"] >= 10_000, COUNT
