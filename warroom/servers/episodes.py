"""The open episodes of a server: explicit ids, isolation, and limits on count and idle time.

Every episode is held under an unguessable id. The id is the capability: whoever holds it
can act on that episode and nobody else can reach it, so concurrent clients never see each
other's incidents. The store refuses new episodes past ``max_open`` and forgets episodes
left idle longer than ``idle_timeout_s``; both refusals say what happened and what to do.
Wall-clock time is used only here, for expiry; it never reaches the simulated world.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..env.episode import Episode
from ..types import Observation

DEFAULT_MAX_OPEN = 64
DEFAULT_IDLE_TIMEOUT_S = 900.0
_REMEMBER_CLOSED = 4096


def choose_scenario(scenario: str | None, seed: int | None) -> str:
    """``scenario`` when given, else a train-split scenario picked by the seed (stable)."""
    if scenario:
        return scenario
    from ..scenarios import generate

    pool = generate(split="train")
    return pool[(seed or 0) % len(pool)].id


class EpisodeError(Exception):
    """A request the store refuses; the message is written for the client to read."""


@dataclass
class Held:
    """One open episode and its bookkeeping."""

    id: str
    episode: Any  # an Episode; a DomainEpisode for a fact task of a domain server
    scenario: str
    seed: int
    last_used: float
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class EpisodeStore:
    """Thread-safe map from episode id to open episode, with limits.

    ``episode_options`` are passed to ``warroom.make`` for every episode (for example
    ``max_steps``); ``default_scenario`` is used when a client names none, and without it
    a train-split scenario is chosen by the seed.
    """

    def __init__(self, max_open: int = DEFAULT_MAX_OPEN,
                 idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
                 episode_options: dict[str, Any] | None = None,
                 default_scenario: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        if idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be positive")
        self.max_open = max_open
        self.idle_timeout_s = idle_timeout_s
        self.episode_options = dict(episode_options or {})
        self.default_scenario = default_scenario
        self._clock = clock
        self._open: dict[str, Held] = {}
        self._reserved = 0
        self._closed: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    def start(self, scenario: str | None = None, seed: int | None = None
              ) -> tuple[Held, Observation]:
        """Open a new incident episode and reset it; returns it with the first observation.

        Safe to call from a worker thread: the slow part (building and resetting the
        world) runs outside the store's lock, on a slot reserved beforehand.
        """
        import warroom

        name = choose_scenario(scenario or self.default_scenario, seed)

        def build() -> tuple[Episode, Observation, str, int]:
            try:
                episode = warroom.make(name, **self.episode_options)
            except KeyError as exc:
                raise EpisodeError(str(exc.args[0]) if exc.args else str(exc)) from None
            obs = episode.reset(seed=seed)
            return episode, obs, episode.scenario.id, episode.seed

        return self.open(build)

    def open(self, build: Callable[[], tuple[Any, Observation, str, int]]
             ) -> tuple[Held, Observation]:
        """Hold the episode ``build`` makes (``(episode, first observation, scenario id,
        seed)``, built outside the lock on a reserved slot) under a new id."""
        with self._lock:
            self._reap_locked()
            if len(self._open) + self._reserved >= self.max_open:
                raise EpisodeError(
                    f"too many open episodes ({self.max_open} allowed); end one with "
                    f"end_incident or wait {self.idle_timeout_s:.0f} s for idle ones to expire")
            self._reserved += 1
        try:
            episode, obs, scenario_id, seed = build()
            held = Held(secrets.token_urlsafe(16), episode, scenario_id, seed, self._clock())
            with self._lock:
                self._open[held.id] = held
        finally:
            with self._lock:
                self._reserved -= 1
        return held, obs

    def get(self, episode_id: Any) -> Held:
        """The open episode with this id (its idle timer restarts), or an ``EpisodeError``."""
        with self._lock:
            held = self._open.get(episode_id) if isinstance(episode_id, str) else None
            now = self._clock()
            if held is not None and now - held.last_used > self.idle_timeout_s:
                self._forget_locked(held.id, "expired")
                held = None
            if held is None:
                raise EpisodeError(self._why_missing_locked(episode_id))
            held.last_used = now
            return held

    def end(self, episode_id: Any) -> Held:
        """Close the episode and return it (its trace and result stay readable)."""
        held = self.get(episode_id)
        with self._lock:
            self._forget_locked(held.id, "ended")
        return held

    def reap(self) -> int:
        """Forget every episode idle past the timeout; returns how many."""
        with self._lock:
            return self._reap_locked()

    def _reap_locked(self) -> int:
        now = self._clock()
        stale = [k for k, h in self._open.items() if now - h.last_used > self.idle_timeout_s]
        for k in stale:
            self._forget_locked(k, "expired")
        return len(stale)

    def _forget_locked(self, episode_id: str, why: str) -> None:
        self._open.pop(episode_id, None)
        self._closed[episode_id] = why
        while len(self._closed) > _REMEMBER_CLOSED:
            self._closed.popitem(last=False)

    def _why_missing_locked(self, episode_id: Any) -> str:
        if not isinstance(episode_id, str) or not episode_id:
            return "episode_id is required: pass the id that start_incident returned"
        why = self._closed.get(episode_id)
        if why == "expired":
            return (f"episode {episode_id} expired after {self.idle_timeout_s:.0f} s without "
                    f"a call; start a new one with start_incident")
        if why == "ended":
            return f"episode {episode_id} was ended; start a new one with start_incident"
        return f"no open episode {episode_id!r}; start one with start_incident"
