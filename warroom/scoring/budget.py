"""Error budget the agent's own actions burned, against a world where it did nothing.

The counterfactual world is the episode's world rebuilt at the incident page (the world is
deterministic, so this is exact) and run to the same instant with no agent action. At a
few evenly spaced instants we compare, endpoint by endpoint, failed requests per second in
the real world and in the counterfactual; only the excess counts (a fix that lowers errors
somewhere does not offset damage elsewhere). The result is the extra failed requests as a
share of all requests in the window.
"""

from __future__ import annotations

from typing import Any


def _errors(world: Any, t: float) -> tuple[dict[tuple[str, str], float], float]:
    snap = world.snapshot(t)
    errs = {(ep.method, ep.path): ep.error_rps for ep in snap.endpoints}
    return errs, sum(ep.rps for ep in snap.endpoints)


def extra_error_share(actual: Any, counterfactual: Any, t0: float, t1: float,
                      samples: int) -> float:
    """Share of requests in (t0, t1] that failed only because of the agent's actions."""
    if t1 <= t0 or samples < 1:
        return 0.0
    counterfactual.advance_to(t1)
    extra = total = 0.0
    for k in range(1, samples + 1):
        t = t0 + (t1 - t0) * k / samples
        got, rps = _errors(actual, t)
        base, _ = _errors(counterfactual, t)
        extra += sum(max(0.0, e - base.get(key, 0.0)) for key, e in got.items())
        total += rps
    return extra / total if total > 0 else 0.0
