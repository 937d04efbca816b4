"""The public data types of an episode: what an agent sends and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """One action: a registry tool name and its JSON arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class Observation:
    """What the agent sees after reset or a tool call.

    ``text`` is for language models; ``data`` carries the same content structured.
    ``error`` is set (and ``ok`` false) when the call was invalid.
    """

    text: str
    data: Any = None
    tool: str | None = None
    ok: bool = True
    error: str | None = None
    time: str = ""
    step: int = 0


@dataclass
class StepResult:
    observation: Observation
    reward: float
    done: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class TraceStep:
    """One recorded step: the call, whether it was valid, the output, and the clock."""

    step: int
    call: ToolCall
    ok: bool
    text: str
    t: float
    kind: str
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
