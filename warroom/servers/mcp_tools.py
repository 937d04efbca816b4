"""The registry as MCP tools: definitions and call results in MCP's wire shapes, framework-free.

Episodes are explicit. ``start_incident(scenario, seed)`` opens one and returns its
``episode_id``; every registry tool takes that id as an extra required argument, and
``end_incident(episode_id)`` closes it and returns the grade. ``submit_report`` ends the
incident itself; its result carries the grade too. One server (one stdio process or one
HTTP endpoint) can hold many episodes at once, each reachable only through its id.

No output names the scenario: its id names the fault, and the agent must find that out.
Definitions are generated from the registry schemas, never written by hand. Any MCP
library can serve them: the definitions are MCP ``Tool`` dicts and each call returns a
``CallOutcome`` that converts to a ``CallToolResult`` dict.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..tools.registry import FINAL, READ, WRITE, load_all
from ..types import Observation, StepResult, ToolCall
from .episodes import EpisodeError, EpisodeStore, Held

START, END = "start_incident", "end_incident"
SESSION_TOOLS = (START, END)

_EPISODE_ID = {"type": "string",
               "description": "The episode id that start_incident returned."}


@dataclass
class CallOutcome:
    """One tool call's answer: text for the model, the same content structured, error flag."""

    text: str
    structured: dict[str, Any]
    is_error: bool = False

    def to_wire(self) -> dict[str, Any]:
        """The MCP ``CallToolResult`` dict."""
        return {"content": [{"type": "text", "text": self.text}],
                "structuredContent": self.structured, "isError": self.is_error}


def _annotations(kind: str) -> dict[str, Any]:
    return {"readOnlyHint": kind == READ, "destructiveHint": kind == WRITE,
            "idempotentHint": kind == READ, "openWorldHint": False}


def _session_definitions() -> list[dict[str, Any]]:
    start = {
        "name": START, "title": "Start incident",
        "description": ("Open a new incident episode and get its page (firing alerts). "
                        "Returns the episode_id that every other tool needs."),
        "inputSchema": {"type": "object", "additionalProperties": False, "required": [],
                        "properties": {
                            "scenario": {"type": "string", "description": (
                                "Scenario id, e.g. 'db_connection_leak/checkout/medium/v3'; "
                                "defaults to the server's scenario, else a training "
                                "scenario chosen by the seed.")},
                            "seed": {"type": "integer", "minimum": 0, "description": (
                                "World seed; defaults to the scenario's own seed.")}}},
        "annotations": {"readOnlyHint": False, "destructiveHint": False,
                        "idempotentHint": False, "openWorldHint": False}}
    end = {
        "name": END, "title": "End incident",
        "description": ("Close an episode, free its slot and return its grade (an episode "
                        "ended without a report is graded as unfinished)."),
        "inputSchema": {"type": "object", "additionalProperties": False,
                        "required": ["episode_id"], "properties": {"episode_id": _EPISODE_ID}},
        "annotations": {"readOnlyHint": False, "destructiveHint": False,
                        "idempotentHint": False, "openWorldHint": False}}
    return [start, end]


def tool_definitions() -> list[dict[str, Any]]:
    """MCP ``Tool`` dicts: the two session tools, then every registry tool with ``episode_id``."""
    out = _session_definitions()
    for spec in load_all().values():
        schema = copy.deepcopy(spec.json_schema())
        schema["properties"] = {"episode_id": _EPISODE_ID, **schema["properties"]}
        schema["required"] = ["episode_id", *schema.get("required", [])]
        out.append({"name": spec.name, "title": spec.name.replace("_", " ").capitalize(),
                    "description": spec.description, "inputSchema": schema,
                    "annotations": _annotations(spec.kind)})
    return out


def _observation_data(held: Held, obs: Observation) -> dict[str, Any]:
    return {"episode_id": held.id, "tool": obs.tool, "ok": obs.ok, "error": obs.error,
            "step": obs.step, "time": obs.time, "data": obs.data}


class IncidentTools:
    """Answers MCP tool calls against an ``EpisodeStore``.

    Every method is synchronous. ``start_incident`` builds a world, and grading (the report,
    or ``end_incident``) fast-forwards it: tens of milliseconds each, so async servers should
    run calls named in ``slow`` on a worker thread; other calls take a few milliseconds.
    """

    def __init__(self, store: EpisodeStore | None = None) -> None:
        self.store = store if store is not None else EpisodeStore()
        self.definitions = tool_definitions()
        self.names = frozenset(d["name"] for d in self.definitions)
        self.slow = frozenset({START, END} | {n for n, s in load_all().items()
                                              if s.kind == FINAL})

    def call(self, name: str, arguments: dict[str, Any] | None) -> CallOutcome:
        """Run one tool call; refusals and invalid calls come back as error outcomes."""
        args = dict(arguments or {})
        try:
            if name == START:
                return self._start(args)
            if name == END:
                return self._end(args)
            if name not in self.names:
                raise EpisodeError(f"unknown tool {name!r}; list the tools to see what exists")
            held = self.store.get(args.pop("episode_id", None))
        except EpisodeError as exc:
            return CallOutcome(f"ERROR: {exc}", {"ok": False, "error": str(exc)}, True)
        with held.lock:
            result = held.episode.step(ToolCall(name, args))
        return self._step_outcome(held, result)

    def _start(self, args: dict[str, Any]) -> CallOutcome:
        extra = sorted(set(args) - {"scenario", "seed"})
        if extra:
            raise EpisodeError(f"{START}: unknown argument(s) {', '.join(extra)}; "
                               f"it takes scenario and seed")
        scenario, seed = args.get("scenario"), args.get("seed")
        if scenario is not None and not isinstance(scenario, str):
            raise EpisodeError(f"{START}: scenario must be a string, got {scenario!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)
                                 or seed < 0):
            raise EpisodeError(f"{START}: seed must be a non-negative integer, got {seed!r}")
        held, obs = self.store.start(scenario, seed)
        text = f"episode_id: {held.id} (seed {held.seed})\n\n{obs.text}"
        data = dict(_observation_data(held, obs), seed=held.seed,
                    tools=[d["name"] for d in self.definitions if d["name"] not in
                           SESSION_TOOLS])
        return CallOutcome(text, data)

    def _end(self, args: dict[str, Any]) -> CallOutcome:
        held = self.store.end(args.get("episode_id"))
        return ended(held, "reported", "report", "no report was submitted")

    @staticmethod
    def _step_outcome(held: Held, result: StepResult) -> CallOutcome:
        obs = result.observation
        data = dict(_observation_data(held, obs), reward=result.reward, done=result.done,
                    truncated=result.truncated)
        text = obs.text
        if result.done or result.truncated:
            data["result"] = result.info.get("result")
            if result.truncated:
                text += "\n\nThe step budget is spent; the episode is over."
        return CallOutcome(text, data, not obs.ok)


def ended(held: Held, key: str, attr: str, missing: str) -> CallOutcome:
    """Grade an episode taken out of the store: ``key`` says whether its ``attr`` (the
    report, the answer) was given; ``missing`` is said when it was not."""
    ep = held.episode
    with held.lock:
        given = getattr(ep, attr) is not None
        result = ep.finish()
        data = {"episode_id": held.id, "seed": held.seed, key: given,
                "steps": len(ep.trace), "result": result}
    text = (f"episode {held.id} ended after {len(ep.trace)} step(s): score "
            f"{result.get('score')}, success {result.get('success')}"
            + ("" if given else f" ({missing})"))
    return CallOutcome(text, data)
