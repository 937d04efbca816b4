"""ReAct text protocol for models without native tool calling.

The model writes one action per turn as plain text::

    Thought: what I know and what I will check next
    Action: query_metrics
    Action Input: {"service": "checkout", "metric": "error_rate"}

``render_instructions`` describes the tools and this format for the system prompt;
``parse_action`` turns a reply into a ``ToolCall`` or a message that tells the model exactly
what was wrong, which is sent back to it as the observation.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from ..types import ToolCall

STOP = ["\nObservation:"]
_ACTION = re.compile(r"^\s*Action\s*:\s*(.*)$", re.MULTILINE | re.IGNORECASE)
_INPUT = re.compile(r"^\s*Action\s+Input\s*:\s*", re.MULTILINE | re.IGNORECASE)
_FINAL = re.compile(r"^\s*Final\s+Answer\s*:", re.MULTILINE | re.IGNORECASE)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```\s*$")

FORMAT = """\
Reply in exactly this format, one action per turn, and then stop:

Thought: <what you know so far and what you will check next>
Action: <one tool name from the list>
Action Input: <the arguments as one JSON object, {} if none>

The result comes back to you as "Observation: ...". Do not write the observation yourself.
To finish, use the action submit_report."""


@dataclass(frozen=True)
class Parsed:
    """A parsed reply: the call, or an error to show the model (never both)."""

    call: ToolCall | None
    error: str | None = None
    thought: str = ""


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    t = schema.get("type", "any")
    if t == "array":
        return f"list[{_type_text(schema.get('items', {}))}]"
    return t if isinstance(t, str) else " | ".join(t)


def render_tool(schema: dict[str, Any]) -> str:
    """One tool as a signature line plus an indented line per argument."""
    fn = schema.get("function", schema)
    params = fn.get("parameters", {})
    required = set(params.get("required", []))
    args, lines = [], []
    for name, p in params.get("properties", {}).items():
        opt = "" if name in required else "?"
        args.append(f"{name}{opt}: {_type_text(p)}")
        if p.get("description") and name != "page":
            lines.append(f"    {name}: {p['description']}")
    head = f"- {fn['name']}({', '.join(args)}): {fn.get('description', '')}".rstrip()
    return "\n".join([head, *lines])


def answers(tool_names: list[str]) -> bool:
    """Whether the episode ends with ``answer(text)`` (a domain episode) rather than
    ``submit_report``."""
    return "answer" in tool_names and "submit_report" not in tool_names


def render_instructions(tools: list[dict[str, Any]]) -> str:
    """The tool list and the reply format, appended to the system prompt in ReAct mode."""
    listing = "\n".join(render_tool(t) for t in tools)
    names = [t.get("function", t)["name"] for t in tools]
    reply = FORMAT.replace("use the action submit_report.", "use the action answer, with your "
                           "answer as its text.") if answers(names) else FORMAT
    return ("Tools (arguments marked ? are optional; page? reads further into a long output):"
            f"\n{listing}\n\n{reply}")


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    return f" Did you mean {', '.join(close)}?" if close else ""


def _json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    body = _FENCE.sub("", text.strip()).strip()
    if not body:
        return {}, None
    try:
        value, _ = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError as exc:
        return None, f"Action Input is not valid JSON ({exc.msg} at character {exc.pos})."
    if not isinstance(value, dict):
        return None, f"Action Input must be a JSON object, got {type(value).__name__}."
    return value, None


def parse_action(text: str, tool_names: list[str]) -> Parsed:
    """Parse one ReAct reply; anything after an invented ``Observation:`` is ignored."""
    text = re.split(r"^\s*Observation\s*:", text or "", maxsplit=1, flags=re.MULTILINE)[0]
    thought = re.split(r"^\s*Action\s*:", text, maxsplit=1, flags=re.MULTILINE)[0]
    thought = re.sub(r"^\s*Thought\s*:\s*", "", thought.strip(), flags=re.IGNORECASE)
    actions = _ACTION.findall(text)
    hint = " " + FORMAT.splitlines()[0]
    if not actions:
        if _FINAL.search(text):
            finish = ('answer with Action Input {"text": "..."}' if answers(tool_names)
                      else "submit_report with the root cause and a summary")
            return Parsed(None, "There is no Final Answer step: to finish, use Action: "
                                f"{finish}.", thought)
        return Parsed(None, "No Action found in your reply." + hint, thought)
    if len(actions) > 1:
        return Parsed(None, f"Found {len(actions)} actions; write exactly one Action per turn "
                            "and wait for its observation.", thought)
    name = actions[0].strip().strip("`'\"").strip()
    name = re.sub(r"\(.*\)$", "", name).strip()
    if name not in tool_names:
        return Parsed(None, f"Unknown tool {name!r}.{_suggest(name, tool_names)} "
                            "Use a tool name from the list exactly as written.", thought)
    m = _INPUT.search(text)
    args, error = ({}, None) if m is None else _json_object(text[m.end():])
    if error or args is None:
        example = 'Action Input: {"service": "checkout"}'
        return Parsed(None, f"{error} Example: {example}", thought)
    return Parsed(ToolCall(name, args), None, thought)
