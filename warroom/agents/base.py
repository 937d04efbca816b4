"""The policy interface every agent implements, and the registry of policies by name.

A policy sees the incident page and each observation, and returns one ``ToolCall`` at a
time. Only policies that declare ``needs_truth`` (the oracle) receive the ground truth;
everything else sees exactly what a tool-using agent sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..types import Observation, ToolCall
from ..world.faults import Truth


class Policy:
    """Base class: override ``act``; ``reset`` is called at the start of each episode."""

    name = "base"
    needs_truth = False

    def __init__(self) -> None:
        self.usage: dict[str, float] = {}

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        self.usage = {}

    def act(self, observation: Observation) -> ToolCall:
        raise NotImplementedError


POLICIES: dict[str, Callable[..., Policy]] = {}


def register_policy(name: str) -> Callable[[Callable[..., Policy]], Callable[..., Policy]]:
    def deco(factory: Callable[..., Policy]) -> Callable[..., Policy]:
        POLICIES[name] = factory
        return factory

    return deco


def make_policy(name: str, **kwargs: Any) -> Policy:
    """A policy by registry name; a ``KeyError`` lists the valid names."""
    from . import load_all

    load_all()
    if name not in POLICIES:
        raise KeyError(f"unknown policy {name!r}; valid: {', '.join(sorted(POLICIES))}")
    return POLICIES[name](**kwargs)
