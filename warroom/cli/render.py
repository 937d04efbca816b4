"""Readable terminal rendering: tool calls, observations, results with their rubric tree,
and tables. Long lines wrap to the terminal (80 columns when piped); nothing is cut."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..types import Observation, ToolCall

# No soft_wrap: a soft-wrapped console crops every line of a panel at its edge.
console = Console(highlight=False)

COMBINE = {"mean": "weighted mean of the nodes that apply", "product": "product (gates)",
           "deduct": "1 minus the penalties"}


def show_call(step: int, call: ToolCall) -> None:
    args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    console.print(Text.assemble((f"#{step} ", "bold cyan"), (call.name, "bold"), f"({args})"))


def clip_lines(text: str, max_lines: int | None) -> str:
    """The first ``max_lines`` whole lines of ``text`` and a note of how many are left."""
    lines = text.splitlines()
    if max_lines is None or len(lines) <= max_lines:
        return text
    left = len(lines) - max_lines
    note = f"... {left} more line{'s' * (left > 1)} (--full shows every line)"
    return "\n".join([*lines[:max_lines], note])


def show_observation(obs: Observation, max_lines: int | None = None) -> None:
    """A tool's output (or the incident page) in a panel; long lines wrap, never cut."""
    style = "red" if not obs.ok else "white"
    # Text, not a markup string: tool output such as "[page]" must print as it is
    body = Text(clip_lines(obs.text, max_lines), overflow="fold")
    console.print(Panel(body, style=style, title=obs.time, title_align="right",
                        expand=False))


def _label(node: dict[str, Any], share: float | None) -> Text:
    applies = node.get("applies", True)
    text = Text(f"{node['name']} ", style="bold" if node.get("children") else "")
    if applies:
        score = float(node.get("score", 0.0))
        colour = "green" if score >= 0.999 else "yellow" if score > 0 else "red"
        text.append(f"{score:.2f}", style=colour)
        if share is not None:
            text.append(f"  weight {share:.0%}", style="dim")
    else:
        text.append("n/a", style="dim")
    if node.get("combine") in COMBINE:
        text.append(f"  = {COMBINE[node['combine']]}", style="dim")
    if node.get("note"):
        text.append(f"  {node['note']}", style="dim" if not applies else "")
    return text


def _grow(tree: Tree, node: dict[str, Any]) -> None:
    children = node.get("children") or []
    live = sum(float(c.get("weight", 1.0)) for c in children if c.get("applies", True))
    for child in children:
        share = None
        if node.get("combine") == "mean" and child.get("applies", True) and live > 0:
            share = float(child.get("weight", 1.0)) / live
        _grow(tree.add(_label(child, share)), child)


def rubric_tree(rubric: dict[str, Any]) -> Tree:
    """The rubric as a tree: each node's score, its share of its parent's weighted mean,
    how it combines its children, and why; a node that does not apply shows n/a."""
    tree = Tree(_label(rubric, None))
    _grow(tree, rubric)
    return tree


def show_result(result: dict[str, Any] | None, rubric: bool = True) -> None:
    """The verdict line and (by default) the rubric tree that explains the score."""
    if not result:
        return
    verdict = "[bold green]SUCCESS[/]" if result.get("success") else "[bold red]FAILED[/]"
    console.print(f"{verdict}  score={result.get('score')}  "
                  + "  ".join(f"{k}={v}" for k, v in result.items()
                              if k in ("mitigated", "diagnosis_correct", "reward_config")))
    if rubric and result.get("rubric"):
        console.print(rubric_tree(result["rubric"]))


def table(columns: list[str], rows: list[list[str]], title: str | None = None,
          wrap: tuple[str, ...] = ()) -> Table:
    """A plain table with a header row; columns named in ``wrap`` wrap, others stay whole."""
    t = Table(title=title, title_justify="left", box=None, header_style="bold",
              pad_edge=False)
    for col in columns:
        t.add_column(col, overflow="fold", no_wrap=col not in wrap, ratio=1 if col in wrap
                     else None)
    for row in rows:
        t.add_row(*(Text(cell) for cell in row))
    return t
