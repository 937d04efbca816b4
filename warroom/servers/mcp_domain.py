"""One domain's tools over MCP (``warroom serve mcp --domain errors``): a subagent's server.

A team that composes its subagents as separate MCP servers runs one server per domain; each
lists only that domain's tools (``warroom.tools.slices.DOMAINS``), each taking the
``episode_id`` of the episode it acts on, so a subagent cannot reach another domain's tools.
Two kinds of episode:

- ``start_incident(scenario, seed)``: a live incident world, as on the full server (same
  page, clock and outputs), on which only this domain's tools can be called;
  ``end_incident`` closes it (its grade is the incident's, unfinished without a report).
- ``start_task(task, seed)`` (read domains): one of the domain's fact tasks (its question);
  ``answer(episode_id, text)`` ends it and returns the fact grade (``success``, ``score``,
  facts found, decoys named), as does ``end_incident``. A fact task keeps its own step
  budget (``--max-steps`` applies to incidents).

Instances that share one ``EpisodeStore`` share its episodes: ``warroom serve mcp
--transport http --domain errors --domain deploys`` serves ``/mcp/errors`` and
``/mcp/deploys``, and an incident started on one endpoint is acted on through the other
with the same ``episode_id`` (one live world, one clock). Framework-free like
``mcp_tools``: pass an instance to ``mcp_server.build_server``.
"""

from __future__ import annotations

import copy
from typing import Any

from ..env.domain import ANSWER, ANSWER_SCHEMA, DomainEpisode
from ..env.episode import Episode
from ..tools.slices import DOMAINS, READ_DOMAINS
from ..types import ToolCall
from .episodes import EpisodeError, EpisodeStore
from .mcp_tools import (
    _EPISODE_ID,
    END,
    START,
    CallOutcome,
    IncidentTools,
    _annotations,
    _observation_data,
    _session_definitions,
    ended,
)

START_TASK = "start_task"


def _with_episode_id(name: str, description: str, schema: dict[str, Any],
                     kind: str) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    schema["properties"] = {"episode_id": _EPISODE_ID, **schema["properties"]}
    schema["required"] = ["episode_id", *schema.get("required", [])]
    return {"name": name, "title": name.replace("_", " ").capitalize(),
            "description": description, "inputSchema": schema,
            "annotations": _annotations(kind)}


def domain_definitions(domain: str) -> list[dict[str, Any]]:
    """MCP ``Tool`` dicts of a domain server: ``start_incident``, ``end_incident``,
    ``start_task`` (read domains), the domain's tools, then ``answer`` (read domains)."""
    if domain not in DOMAINS:
        raise KeyError(f"unknown domain {domain!r}; domains: {', '.join(DOMAINS)}")
    out = _session_definitions()
    reads = domain in READ_DOMAINS
    if reads:
        out.append({
            "name": START_TASK, "title": "Start task",
            "description": (f"Open one of the {domain} fact tasks: a question about a "
                            f"world, answered with answer(episode_id, text). Returns the "
                            f"episode_id and the question."),
            "inputSchema": {"type": "object", "additionalProperties": False,
                            "required": ["task"], "properties": {
                                "task": {"type": "string", "description": (
                                    f"Fact-task id, '{domain}/<template>@<scenario id>' "
                                    f"(see `warroom tasks --domain {domain}`).")},
                                "seed": {"type": "integer", "minimum": 0, "description": (
                                    "World seed; defaults to the task's own.")}}},
            "annotations": {"readOnlyHint": False, "destructiveHint": False,
                            "idempotentHint": False, "openWorldHint": False}})
    for spec in DOMAINS[domain].tools():
        out.append(_with_episode_id(spec.name, spec.description, spec.json_schema(),
                                    spec.kind))
    if reads:
        fn = ANSWER_SCHEMA["function"]
        out.append(_with_episode_id(ANSWER, fn["description"] + " Fact tasks only.",
                                    fn["parameters"], "answer"))
    return out


class DomainIncidentTools(IncidentTools):
    """Answers MCP tool calls of one domain's server (see the module docstring)."""

    def __init__(self, domain: str, store: EpisodeStore | None = None) -> None:
        super().__init__(store)
        self.domain = domain
        self.definitions = domain_definitions(domain)
        self.names = frozenset(d["name"] for d in self.definitions)
        self.slow = frozenset({START, END, START_TASK})
        self._tools = [d["name"] for d in self.definitions
                       if d["name"] not in (START, END, START_TASK, ANSWER)]

    def call(self, name: str, arguments: dict[str, Any] | None) -> CallOutcome:
        args = dict(arguments or {})
        try:
            if name == START_TASK:
                return self._start_task(args)
            if name in (START, END):
                return super().call(name, args)
            if name not in self.names:
                raise EpisodeError(f"unknown tool {name!r}: this server serves the "
                                   f"{self.domain} tools only ({', '.join(self._tools)})")
            held = self.store.get(args.pop("episode_id", None))
            if name == ANSWER and not isinstance(held.episode, DomainEpisode):
                raise EpisodeError("answer ends a fact task (start_task); this episode is "
                                   "an incident, which end_incident closes")
        except EpisodeError as exc:
            return CallOutcome(f"ERROR: {exc}", {"ok": False, "error": str(exc)}, True)
        with held.lock:
            result = held.episode.step(ToolCall(name, args))
        return self._step_outcome(held, result)

    def _start(self, args: dict[str, Any]) -> CallOutcome:
        outcome = super()._start(args)
        outcome.text += (f"\nThis server serves the {self.domain} tools only: "
                         f"{', '.join(self._tools)}.")
        outcome.structured["tools"] = list(self._tools)
        return outcome

    def _start_task(self, args: dict[str, Any]) -> CallOutcome:
        from ..scenarios.fact_templates import open_task

        extra = sorted(set(args) - {"task", "seed"})
        if extra:
            raise EpisodeError(f"{START_TASK}: unknown argument(s) {', '.join(extra)}; "
                               f"it takes task and seed")
        task_id, seed = args.get("task"), args.get("seed")
        if not isinstance(task_id, str) or not task_id:
            raise EpisodeError(f"{START_TASK}: task must be a fact-task id, got {task_id!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)
                                 or seed < 0):
            raise EpisodeError(f"{START_TASK}: seed must be a non-negative integer, got "
                               f"{seed!r}")
        if not task_id.startswith(f"{self.domain}/"):
            raise EpisodeError(f"{START_TASK}: {task_id!r} is not a {self.domain} task")

        def build() -> tuple[DomainEpisode, Any, str, int]:
            try:
                task = open_task(task_id, seed=seed)
            except KeyError as exc:
                raise EpisodeError(str(exc.args[0]) if exc.args else str(exc)) from None
            episode = DomainEpisode(self.domain, task=task)
            return episode, episode.reset(), task.scenario.id, task.seed

        held, obs = self.store.open(build)
        data = dict(_observation_data(held, obs), seed=held.seed,
                    tools=[*self._tools, ANSWER])
        return CallOutcome(f"episode_id: {held.id}\n\n{obs.text}", data)

    def _end(self, args: dict[str, Any]) -> CallOutcome:
        held = self.store.get(args.get("episode_id"))
        if isinstance(held.episode, Episode):
            return super()._end(args)
        return ended(self.store.end(held.id), "answered", "answer", "no answer was given")
