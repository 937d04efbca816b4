"""Replay a recorded episode: its trace from the run directory, and the world rebuilt by
playing the recorded calls into a fresh episode (the simulator is deterministic, so the
rebuilt state hash must equal the recorded one; the page says whether it does)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...env.episode import Episode
from ...harness.tasks import scenario_of
from .charts import Chart
from .world_charts import world_charts, write_markers

CACHE_SIZE = 64


@dataclass
class Replay:
    """What the replay page needs beyond the record: steps, charts, and how faithful."""

    steps: list[dict[str, Any]]
    charts: list[Chart] = field(default_factory=list)
    verified: bool | None = None
    problem: str | None = None


def rebuild(record: dict[str, Any], steps: list[dict[str, Any]]) -> Replay:
    """Play ``steps`` into a fresh episode of the record's scenario and seed."""
    try:
        episode = Episode(scenario_of(record["scenario"]), max_steps=max(len(steps), 1) + 1)
        episode.reset(seed=int(record["seed"]))
        assert episode.world is not None
        start_t = episode.world.now
        for s in steps:
            episode.step({"name": s["tool"], "arguments": s.get("arguments") or {}})
    except Exception as exc:  # a scenario that no longer loads still shows its trace
        return Replay(steps, [], None, f"could not rebuild the world: {type(exc).__name__}: "
                                       f"{exc}")
    expected = record.get("state_hash")
    verified = None if not expected else episode.state_hash() == expected
    root = None
    for e in (record.get("result") or {}).get("expected") or []:
        root = e.get("component")
        break
    charts = world_charts(episode, start_t, write_markers(steps), root)
    problem = None if verified is not False else (
        "the rebuilt world's state hash differs from the recorded one (the simulator "
        "changed since this run); charts may not match what the agent saw")
    return Replay(steps, charts, verified, problem)


class ReplayCache:
    """Rebuilt replays by (run path, episode key, trace file stamp), least recently used
    out."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Replay] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], record: dict[str, Any],
            load_steps: Callable[[], list[dict[str, Any]]]) -> Replay:
        """The cached replay for ``key``, else one rebuilt from ``load_steps()``."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        replay = rebuild(record, load_steps())
        with self._lock:
            self._items[key] = replay
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return replay
