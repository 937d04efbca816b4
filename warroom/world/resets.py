"""Reset snapshots: the world at the incident page, built once per key and forked per reset.

Building the hour of history before the page (fleet runs, fault onsets) is most of a reset's
cost, and it is a pure function of the scenario and the seed. The first reset of a key builds
it and freezes the world as a base (``World.share_past``); every reset forks the base, so
the same key gives the same world, state hash and telemetry as a fresh build. Kept per
process, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .world import World

BASES = 32  # bases kept per process: a world (under 1 MB) and up to 256 shared pieces each

T = TypeVar("T")


class ResetCache:
    """Built worlds by key; ``fork_or_build`` returns a private fork and the build's extras."""

    def __init__(self, size: int = BASES) -> None:
        self.size = size
        self._bases: OrderedDict[Hashable, tuple[World, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def fork_or_build(self, key: Hashable, build: Callable[[], tuple[World, T]]) -> tuple[World, T]:
        with self._lock:
            found = self._bases.get(key)
            if found is not None:
                self._bases.move_to_end(key)
                self.hits += 1
        if found is None:
            world, extra = build()
            world.share_past()
            found = (world, extra)
            with self._lock:
                self.misses += 1
                self._bases[key] = found
                while len(self._bases) > self.size:
                    self._bases.popitem(last=False)
        base, extra = found
        return base.fork(), extra

    def clear(self) -> None:
        with self._lock:
            self._bases.clear()


RESETS = ResetCache()
