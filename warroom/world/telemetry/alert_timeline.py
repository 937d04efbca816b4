"""The alerting rules' state over time: which alerts fired at each probe of a grid, and
the transitions between probes (firing, resolved), for an alert-history view."""

from __future__ import annotations

from typing import Any

from ..alerts import PROBE_S, _firing
from ..world import World


def firing_at(world: World, t: float) -> list[tuple[str, str, str]]:
    """(alert key, severity, summary) of every alert firing at ``t``."""
    return world.memo("alert_firing", t, lambda: [(k, s, m) for k, s, m, _ in _firing(world, t)])


def transitions(world: World, minutes: int, step_s: float = PROBE_S * 2.5
                ) -> list[dict[str, Any]]:
    """State changes of alerts over the last ``minutes``, oldest first."""
    top = (world.now // step_s) * step_s
    grid = [top - k * step_s for k in range(int(minutes * 60 // step_s), -1, -1)]
    grid = [t for t in grid if t >= 0] + ([world.now] if world.now > top else [])
    out: list[dict[str, Any]] = []
    before: dict[str, tuple[str, str]] = {}
    for i, t in enumerate(grid):
        now = {k: (s, m) for k, s, m in firing_at(world, t)}
        for key in sorted(set(now) - set(before)):
            out.append({"t": t, "alert": key, "state": "firing" if i else "firing (at start)",
                        "severity": now[key][0], "summary": now[key][1]})
        for key in sorted(set(before) - set(now)):
            out.append({"t": t, "alert": key, "state": "resolved",
                        "severity": before[key][0], "summary": before[key][1]})
        before = now
    return out
