"""Live incidents, one per browser session: played by hand through forms, or by a built-in
policy in a background thread while the browser watches (server-sent events).

A browser session is an unguessable cookie value; a session reaches only its own incident,
so concurrent browsers never see each other's. Sessions idle past ``idle_timeout_s`` are
forgotten and at most ``max_sessions`` are open at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ...agents.base import make_policy
from ...env.episode import Episode
from ...harness.episode import policy_seed, step_record
from ...scenarios.spec import Scenario
from ...types import Observation
from .world_charts import world_charts, write_markers

DEFAULT_MAX_SESSIONS = 32
DEFAULT_IDLE_TIMEOUT_S = 1800.0


class LiveError(Exception):
    """A request the hub refuses; the message is shown on the page."""


@dataclass
class Live:
    """One browser session's incident."""

    episode: Episode
    page: str
    start_t: float
    policy: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    last_used: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def done(self) -> bool:
        return self.episode.done or self.error is not None

    @property
    def clock(self) -> str:
        return str(self.episode.page_data()["time"])

    def charts(self) -> list[Any]:
        with self.lock:
            return world_charts(self.episode, self.start_t, write_markers(self.steps))

    def alerts(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.episode.page_data()["alerts"])


class LiveHub:
    """Browser session id -> live incident, with limits on count and idle time."""

    def __init__(self, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
                 policy_delay_s: float = 0.5) -> None:
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self.policy_delay_s = policy_delay_s
        self._lives: dict[str, Live] = {}
        self._lock = threading.Lock()

    @staticmethod
    def new_session_id() -> str:
        return secrets.token_urlsafe(18)

    def get(self, session: str | None) -> Live | None:
        if not session:
            return None
        with self._lock:
            self._reap_locked()
            live = self._lives.get(session)
            if live is not None:
                live.last_used = time.monotonic()
            return live

    def _reap_locked(self) -> None:
        now = time.monotonic()
        for k in [k for k, v in self._lives.items() if now - v.last_used > self.idle_timeout_s]:
            del self._lives[k]

    def start(self, session: str, scenario: Scenario, seed: int,
              policy: str | None = None) -> Live:
        """Open (or replace) this session's incident; ``policy`` plays it in a thread."""
        agent = make_policy(policy) if policy else None
        with self._lock:
            self._reap_locked()
            if session not in self._lives and len(self._lives) >= self.max_sessions:
                raise LiveError(f"{self.max_sessions} live incidents are open; wait for one "
                                f"to go idle ({self.idle_timeout_s / 60:.0f} min) and retry")
        episode = Episode(scenario)
        obs = episode.reset(seed=seed)
        assert episode.world is not None
        live = Live(episode, obs.text, episode.world.now, policy, last_used=time.monotonic())
        with self._lock:
            self._lives[session] = live
        if agent is not None:
            threading.Thread(target=self._play, args=(live, agent, obs), daemon=True,
                             name=f"warroom-web-{policy}").start()
        return live

    def call(self, live: Live, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """One tool call by hand; returns the recorded step."""
        if live.policy:
            raise LiveError(f"this incident is played by {live.policy}; start your own to "
                            f"make calls")
        with live.lock:
            if live.episode.done:
                raise LiveError("the incident is over; start another")
            return self._step(live, {"name": tool, "arguments": arguments})[0]

    def _step(self, live: Live, call: dict[str, Any] | Any
              ) -> tuple[dict[str, Any], Observation]:
        result = live.episode.step(call)
        rec = step_record(live.episode.trace[-1], live.start_t)
        rec["clock"] = result.observation.time
        with live.changed:
            live.steps.append(rec)
            live.changed.notify_all()
        return rec, result.observation

    def _play(self, live: Live, agent: Any, obs: Observation) -> None:
        ep = live.episode
        truths = list(ep.truths) if agent.needs_truth else None
        try:
            agent.reset(obs, ep.tools, policy_seed(ep.scenario.id, ep.seed), truths)
            while not ep.done:
                call = agent.act(obs)
                with live.lock:
                    obs = self._step(live, call)[1]
                if self.policy_delay_s:
                    time.sleep(self.policy_delay_s)
        except Exception as exc:  # the watcher sees why the policy stopped
            live.error = f"{type(exc).__name__}: {exc}"
        with live.changed:
            live.changed.notify_all()

