"""Helpers shared by tool domains: argument checks with helpful errors, noisy readings."""

from __future__ import annotations

from collections.abc import Iterable

from ..world import noise
from ..world.world import World
from .registry import ToolError


def one_of(value: str, valid: Iterable[str], what: str) -> str:
    options = list(valid)
    if value not in options:
        close = [o for o in options if value.lower() in o.lower() or o.lower() in value.lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ToolError(f"unknown {what} {value!r}.{hint} Valid: {', '.join(options)}")
    return value


def component(world: World, name: str, kinds: tuple[str, ...] | None = None) -> str:
    valid = [c.name for c in world.topology.components if kinds is None or c.kind in kinds]
    return one_of(name, valid, "service" if kinds != ("postgres",) else "database")


def noisy(world: World, value: float, *keys: int, rel: float = 0.03) -> float:
    """A reading of ``value`` with seeded multiplicative noise (scaled by the scenario)."""
    if value == 0:
        return 0.0
    sigma = rel * getattr(world, "noise_level", 1.0)
    return value * max(0.0, 1.0 + sigma * noise.gauss(world.seed, *keys))


def window(minutes: int, lo: int = 1, hi: int = 120) -> int:
    if not lo <= minutes <= hi:
        raise ToolError(f"minutes must be between {lo} and {hi}, got {minutes}")
    return minutes
