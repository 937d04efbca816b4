"""Replay a recorded episode: its trace from the run directory, and the world rebuilt by
playing the recorded calls into a fresh episode (the simulator is deterministic, so the
rebuilt state hash must equal the recorded one; the page says whether it does).

A team episode (its record has ``team``, its steps a ``role``) is rebuilt as a fresh
``TeamEpisode`` with the recorded roles and turn order, every role's calls in turn, and
compared on the team state hash (world, turn and chat); its steps are also laid out in
``lanes``, one column per role and one row per round."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...env.episode import Episode
from ...env.roles import get_role
from ...env.team import TeamEpisode
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
    lanes: Lanes | None = None


@dataclass
class Lanes:
    """A team episode's steps by role (columns, in turn order) and round (rows)."""

    roles: list[str]
    titles: list[str]
    rounds: list[list[dict[str, Any] | None]]


def lanes_of(roles: list[str], steps: list[dict[str, Any]]) -> Lanes:
    """Each step in its role's column and its round's row (a role's k-th turn is round k)."""
    rounds: list[list[dict[str, Any] | None]] = []
    turns = dict.fromkeys(roles, 0)
    for s in steps:
        role = s.get("role")
        if role not in turns:
            continue
        if turns[role] == len(rounds):
            rounds.append([None] * len(roles))
        rounds[turns[role]][roles.index(role)] = s
        turns[role] += 1
    titles = []
    for r in roles:
        try:
            titles.append(get_role(r).title)
        except (KeyError, ValueError):
            titles.append(r)
    return Lanes(list(roles), titles, rounds)


def is_team(record: dict[str, Any]) -> bool:
    return isinstance(record.get("team"), dict)


def _replay_calls(record: dict[str, Any], steps: list[dict[str, Any]]
                  ) -> tuple[Episode, str, float]:
    """(the rebuilt single-agent episode, its state hash, the page's simulated time)."""
    scenario = scenario_of(record["scenario"])
    if not is_team(record):
        episode = Episode(scenario, max_steps=max(len(steps), 1) + 1)
        episode.reset(seed=int(record["seed"]))
        assert episode.world is not None
        start_t = episode.world.now
        for s in steps:
            episode.step({"name": s["tool"], "arguments": s.get("arguments") or {}})
        return episode, episode.state_hash(), start_t
    team = record["team"]
    crew = TeamEpisode(scenario, roles=team.get("roles"), order=team.get("order"))
    crew.reset(seed=int(record["seed"]))
    assert crew.world is not None
    start_t = crew.world.now
    for s in steps:
        if s.get("role") not in (None, crew.current_role):
            raise ValueError(f"step {s['step']} was {s['role']}'s, but the turn is "
                             f"{crew.current_role}'s")
        crew.step({"name": s["tool"], "arguments": s.get("arguments") or {}})
    return crew.inner, crew.state_hash(), start_t


def rebuild(record: dict[str, Any], steps: list[dict[str, Any]]) -> Replay:
    """Play ``steps`` into a fresh episode of the record's scenario and seed."""
    lanes = lanes_of(list(record["team"].get("order") or record["team"].get("roles") or []),
                     steps) if is_team(record) else None
    try:
        episode, state_hash, start_t = _replay_calls(record, steps)
    except Exception as exc:  # a scenario that no longer loads still shows its trace
        return Replay(steps, [], None, f"could not rebuild the world: {type(exc).__name__}: "
                                       f"{exc}", lanes)
    expected = record.get("state_hash")
    verified = None if not expected else state_hash == expected
    root = None
    for e in (record.get("result") or {}).get("expected") or []:
        root = e.get("component")
        break
    charts = world_charts(episode, start_t, write_markers(steps), root)
    problem = None if verified is not False else (
        "the rebuilt world's state hash differs from the recorded one (the simulator "
        "changed since this run); charts may not match what the agent saw")
    return Replay(steps, charts, verified, problem, lanes)


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
