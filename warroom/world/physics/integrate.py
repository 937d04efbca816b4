"""Quantities that accumulate over time (queue depth, disk, replica lag) are integrated in
closed form within a version; when a new version starts, their values are frozen into it."""

from __future__ import annotations

import copy
from typing import Any

from ..state import State
from . import stores


def checkpoint(world: Any, old: State, new: State) -> None:
    """Carry accumulated values from ``old`` into ``new`` at ``world.now``."""
    t = world.now
    snap = world.snapshot(t)
    for name, topic in old.topics.items():
        q = snap[topic.queue].extra
        fresh = copy.copy(topic)
        fresh.depth0 = float(q.get("depth", topic.depth0))
        fresh.depth0_at = t
        new.topics[name] = fresh
    for name, db in old.databases.items():
        frozen = copy.copy(db)
        frozen.disk_used_gb = stores.disk_used_gb(db, old.since, t)
        if db.replica_of:
            frozen.replica_lag0_s = stores.replica_lag_s(
                db, old.since, t, old.databases.get(db.replica_of))
        new.databases[name] = frozen
