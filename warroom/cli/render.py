"""Readable terminal rendering of observations and trajectories."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from ..types import Observation, ToolCall

console = Console(highlight=False, soft_wrap=True)


def show_call(step: int, call: ToolCall) -> None:
    args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    console.print(Text.assemble((f"#{step} ", "bold cyan"), (call.name, "bold"), f"({args})"))


def show_observation(obs: Observation, limit: int = 1600) -> None:
    text = obs.text if len(obs.text) <= limit else obs.text[:limit] + " ..."
    style = "red" if not obs.ok else "white"
    # Text, not a markup string: tool output such as "[page]" must print as it is
    console.print(Panel(Text(text), style=style, title=obs.time, title_align="right",
                        expand=False))


def show_result(result: dict[str, Any] | None) -> None:
    if not result:
        return
    verdict = "[bold green]SUCCESS[/]" if result.get("success") else "[bold red]FAILED[/]"
    console.print(f"{verdict}  score={result.get('score')}  "
                  + "  ".join(f"{k}={v}" for k, v in result.items()
                              if k in ("mitigated", "diagnosis_correct", "reward_config")))
