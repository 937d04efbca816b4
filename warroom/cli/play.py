"""``warroom play``: a person plays an incident at a prompt.

A line is ``tool_name key=value ...``. Values are quoted as in a shell (``summary='two
words'``) or written as JSON (``root_cause={"component": "checkout"}``); a value that
parses as JSON (5, true, {...}) is JSON, else a string. A misspelt tool or argument is
answered with "did you mean" and never sent to the episode, so it costs no simulated time.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import shlex
from typing import Any

from rich.table import Table
from rich.text import Text

from .. import Episode
from ..tools.registry import REGISTRY, ToolError, ToolSpec, validate
from ..types import ToolCall
from . import render

COMMANDS = ("help", "tools", "quit", "exit")
HELP = """Type a tool call as:  tool_name key=value key=value ...
  values are JSON when they parse (5, true, {"a": 1}), strings otherwise;
  quote strings with spaces: summary='rolled back the release'.
Commands: help (this), tools (list tools), help TOOL (its arguments), quit."""

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_JSON = json.JSONDecoder()


def _value(rest: str, pos: int) -> tuple[Any, int]:
    """The value that starts at ``rest[pos]`` and the index after it."""
    if pos >= len(rest) or rest[pos].isspace():
        return "", pos  # key= with nothing after it
    if pos < len(rest) and rest[pos] in "{[":
        try:
            value, end = _JSON.raw_decode(rest, pos)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON at {rest[pos:pos + 40]!r}: {exc.msg}") from None
        if end < len(rest) and not rest[end].isspace():
            raise ValueError(f"unexpected {rest[end:end + 20]!r} after a JSON value")
        return value, end
    stream = io.StringIO(rest[pos:])
    lex = shlex.shlex(stream, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    token = lex.get_token()
    end = pos + stream.tell()
    if token is None or token == lex.eof:
        return "", end
    try:
        return json.loads(token), end
    except json.JSONDecodeError:
        return token, end


def parse_line(line: str) -> ToolCall:
    """``query_metrics service=checkout minutes=10`` (or with JSON values) -> ToolCall."""
    line = line.strip()
    name, _, rest = line.partition(" ")
    args: dict[str, Any] = {}
    pos = 0
    while True:
        while pos < len(rest) and rest[pos].isspace():
            pos += 1
        if pos >= len(rest):
            break
        match = _KEY.match(rest, pos)
        if match is None:
            word = rest[pos:].split(None, 1)[0]
            raise ValueError(f"expected key=value, got {word!r} (quote a value that has "
                             f"spaces: key='two words')")
        try:
            args[match.group(1)], pos = _value(rest, match.end())
        except ValueError as exc:
            raise ValueError(f"{match.group(1)}: {exc}") from None
    return ToolCall(name, args)


def did_you_mean(word: str, options: list[str]) -> str:
    """The closest option first; two more close ones in brackets (108 tools have neighbours)."""
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.5)
    if not close:
        return ""
    also = f" (also close: {', '.join(repr(c) for c in close[1:])})" if close[1:] else ""
    return f"; did you mean {close[0]!r}?{also}"


def check_call(call: ToolCall) -> str | None:
    """Why ``call`` would be an invalid action (unknown tool, bad arguments), or None."""
    spec = REGISTRY.get(call.name)
    if spec is None:
        return (f"unknown tool {call.name!r}"
                f"{did_you_mean(call.name, [*REGISTRY, *COMMANDS])}; 'tools' lists them")
    unknown = [k for k in call.arguments if k not in {p.name for p in spec.params}
               and not (spec.paged and k == "page")]
    if unknown:
        return (f"{spec.name} has no argument {unknown[0]!r}"
                f"{did_you_mean(unknown[0], [p.name for p in spec.params])}; "
                f"'help {spec.name}' lists them")
    try:
        validate(spec, call.arguments)
    except ToolError as exc:
        return str(exc)
    return None


def tool_help(spec: ToolSpec) -> None:
    render.console.print(Text(f"{spec.name} [{spec.kind}, {spec.cost_s:.0f}s]: "
                                     f"{spec.description}"))
    for p in spec.params:
        render.console.print(Text(f"  {p.name}{'' if p.required else '?'}: "
                                         f"{p.schema.get('type', 'any')} - {p.description}"))


def _command(line: str) -> bool:
    """Handle a prompt command (help, tools, help TOOL); False when ``line`` is none."""
    if line == "help":
        render.console.print(Text(HELP))
    elif line == "tools":
        render.console.print(tools_table())
    elif line.startswith("help "):
        name = line[5:].strip()
        found = REGISTRY.get(name)
        if found is None:
            render.console.print(Text(f"unknown tool {name!r}"
                                             f"{did_you_mean(name, list(REGISTRY))}",
                                             style="red"))
        else:
            tool_help(found)
    else:
        return False
    return True


def tools_table(with_cost: bool = True) -> Table:
    """Every tool, grouped by domain, with read/write, cost and the whole description."""
    rows, domain = [], None
    for spec in sorted(REGISTRY.values(), key=lambda s: (s.domain, s.name)):
        rows.append(["" if spec.domain == domain else spec.domain, spec.name,
                     f"[{spec.kind}]", *([f"{spec.cost_s:.0f}s"] if with_cost else []),
                     spec.description])
        domain = spec.domain
    return render.table(["domain", "tool", "kind", *(["cost"] if with_cost else []),
                         "description"], rows, wrap=("description",))


def play_loop(ep: Episode, seed: int) -> None:
    """Reset ``ep`` and read tool calls from the prompt until the episode ends."""
    render.show_observation(ep.reset(seed=seed))
    render.console.print(Text(HELP))
    while not ep.done:
        try:
            line = input("warroom> ").strip()
        except EOFError:
            break
        if not line:
            continue
        if line in ("quit", "exit"):
            break
        if _command(line):
            continue
        try:
            call = parse_line(line)
        except ValueError as exc:
            render.console.print(Text(str(exc), style="red"))
            continue
        problem = check_call(call)
        if problem is not None:
            render.console.print(Text(f"{problem}. Not sent: no simulated time passed.",
                                             style="red"))
            continue
        render.show_observation(ep.step(call).observation)
    render.show_result(ep.result)
