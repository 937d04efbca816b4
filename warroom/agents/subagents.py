"""Heuristic domain experts: the subagents behind an orchestrator's ``ask_<domain>``.

A read expert takes a question about the incident and answers with what its tools showed,
condensed (``subagents_compact``) with the exact ids: error issues and culprit frames;
sessions, locks and slow queries; releases, config and flags; pod events and OOM kills;
metrics, logs, alerts, traces and the service map; the fleet's recent actions. A question
that names one of the domain's tools with JSON (or ``key=value``) arguments runs exactly
that; otherwise keywords pick the reads. The operations expert executes instructions
exactly: ``rollback_deploy {"service": "checkout", "to_release": "rel-12"}``, or plain forms
such as ``rollback checkout to rel-12``, ``pause_agent cost-optimizer``,
``scale checkout to 6``, one per line, in order, and says what each did.

Experts see only their tools' outputs. Besides the answer text they keep ``findings``
(the same content, structured: ``{"calls": [{"tool", "arguments", "ok", "data"}]}``) that
a scripted orchestrator may parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator
from typing import Any

from ..tools.registry import WRITE, load_all
from ..tools.slices import DOMAINS
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy
from .subagents_compact import condense

ANSWER = "answer"
MAX_ANSWER_CHARS = 2400
MAX_READS = 8
Plan = Generator[ToolCall, Observation, None]
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]{3,}")


def explicit_calls(text: str, names: list[str]) -> list[ToolCall]:
    """Calls a text names as ``tool {json}`` or ``tool key=value ...``, in order."""
    out: list[tuple[int, ToolCall]] = []
    dec = json.JSONDecoder()
    for name in names:
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            rest = text[m.end():].lstrip(" :(")
            args: dict[str, Any] = {}
            if rest.startswith("{"):
                try:
                    obj, _ = dec.raw_decode(rest)
                except json.JSONDecodeError:
                    obj = None
                if isinstance(obj, dict):
                    args = obj
            else:
                line = rest.split("\n", 1)[0]
                for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line):
                    args[k] = _value(v.rstrip(",;)]"))
            out.append((m.start(), ToolCall(name, args)))
    return [c for _, c in sorted(out, key=lambda x: x[0])]


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class Expert(Policy):
    """Base of the heuristic experts: run a plan of calls, then answer with findings."""

    name = "expert"

    def __init__(self, domain: str) -> None:
        super().__init__()
        if domain not in DOMAINS:
            raise KeyError(f"unknown domain {domain!r}; valid: {', '.join(DOMAINS)}")
        self.domain = domain
        self.findings: dict[str, Any] = {"calls": []}

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed)
        data = observation.data if isinstance(observation.data, dict) else {}
        self.question = str(data.get("question") or observation.text)
        self.tool_names = [t.get("function", t)["name"] for t in tools
                           if t.get("function", t)["name"] != ANSWER]
        self.findings = {"calls": []}
        self.lines: list[str] = []
        self.plan = self._plan()
        self.started = False

    def act(self, observation: Observation) -> ToolCall:
        try:
            call = next(self.plan) if not self.started else self.plan.send(observation)
        except StopIteration:
            return ToolCall(ANSWER, {"text": self._answer()})
        self.started = True
        return call

    def _run(self, call: ToolCall) -> Generator[ToolCall, Observation, Observation]:
        """Make one call, note what it showed, and hand back the observation."""
        obs = yield call
        if obs.ok:
            lines, kept = condense(call.name, obs.data)
        else:
            lines, kept = [obs.error or obs.text], None
        args = json.dumps(call.arguments, sort_keys=True) if call.arguments else ""
        self.lines += [f"{call.name} {args}".rstrip() + ":", *(f"  {ln}" for ln in lines)]
        self.findings["calls"].append({"tool": call.name, "arguments": dict(call.arguments),
                                       "ok": obs.ok, "data": kept})
        return obs

    def _answer(self) -> str:
        text = "\n".join(self.lines) or "nothing to report"
        if len(text) > MAX_ANSWER_CHARS:
            text = text[:MAX_ANSWER_CHARS] + "\n(answer cut)"
        return text

    def _plan(self) -> Plan:
        calls = explicit_calls(self.question, self.tool_names)
        for call in (calls or self.default_calls())[:MAX_READS]:
            yield from self._run(call)

    def default_calls(self) -> list[ToolCall]:
        """The reads a plain-words question leads to (a domain's expert overrides)."""
        return []

    def has(self, *words: str) -> bool:
        q = self.question.lower()
        return any(w in q for w in words)

    def names(self) -> list[str]:
        """Words of the question that could be service, pod or agent names."""
        return list(dict.fromkeys(NAME.findall(self.question.lower())))


class ErrorsExpert(Expert):
    def _plan(self) -> Plan:
        calls = explicit_calls(self.question, self.tool_names)
        if calls:
            for call in calls[:MAX_READS]:
                yield from self._run(call)
            return
        obs = yield from self._run(ToolCall("list_issues", {}))
        issues = [i for i in obs.data or [] if isinstance(i, dict)]
        wanted = [i for i in issues if i.get("service") in self.names()] or issues
        for issue in wanted[:2]:
            yield from self._run(ToolCall("get_issue", {"issue_id": issue["id"]}))


class DatabaseExpert(Expert):
    def default_calls(self) -> list[ToolCall]:
        calls = []
        if self.has("cache", "redis", "evict"):
            calls.append(ToolCall("cache_stats", {}))
        if self.has("queue", "lag", "consumer", "backlog"):
            calls.append(ToolCall("queue_stats", {}))
        if self.has("slow", "query", "queries") or not calls:
            calls.append(ToolCall("db_activity", {}))
            calls.append(ToolCall("db_locks", {}))
        if self.has("slow"):
            calls.append(ToolCall("db_slow_queries", {}))
        return calls


class DeploysExpert(Expert):
    def default_calls(self) -> list[ToolCall]:
        calls = [ToolCall("get_deploy", {"release_id": r})
                 for r in dict.fromkeys(re.findall(r"rel-\d+", self.question))]
        if self.has("flag", "fallback", "toggle"):
            calls.append(ToolCall("list_flags", {}))
        if not calls or self.has("release", "deploy", "change", "rollout"):
            calls.insert(0, ToolCall("list_deploys", {"hours": 6}))
        return calls


class KubernetesExpert(Expert):
    def default_calls(self) -> list[ToolCall]:
        calls = [ToolCall("get_events", {"minutes": 60})]
        if self.has("node"):
            calls.append(ToolCall("list_nodes", {}))
        if self.has("pod", "restart", "crash", "replica"):
            calls.append(ToolCall("list_pods", {}))
        return calls


class ObservabilityExpert(Expert):
    def _plan(self) -> Plan:
        calls = explicit_calls(self.question, self.tool_names)
        if calls:
            for call in calls[:MAX_READS]:
                yield from self._run(call)
            return
        smap = yield from self._run(ToolCall("get_service_map", {}))
        comps = {c["name"] for c in (smap.data or {}).get("components", [])}
        named = [n for n in self.names() if n in comps][:2]
        if self.has("log", "error") and named:
            for svc in named:
                yield from self._run(ToolCall("search_logs", {"service": svc,
                                                              "level": "ERROR", "minutes": 30}))
        if self.has("provider", "external", "status page"):
            yield from self._run(ToolCall("provider_status", {}))
        if self.has("alert") or not named:
            yield from self._run(ToolCall("list_alerts", {}))


class FleetExpert(Expert):
    def default_calls(self) -> list[ToolCall]:
        calls = [ToolCall("list_fleet_actions", {"minutes": 60})]
        if self.has("policy", "agents", "who"):
            calls.append(ToolCall("list_fleet_agents", {}))
        return calls


PLAIN: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], ToolCall]], ...] = (
    (re.compile(r"roll\s?back (?:deploy )?(?P<s>[\w-]+)(?: to (?P<r>rel-\d+))?", re.I),
     lambda m: ToolCall("rollback_deploy", {"service": m["s"]} | (
         {"to_release": m["r"]} if m["r"] else {}))),
    (re.compile(r"restart (?:service )?(?P<s>[\w-]+)", re.I),
     lambda m: ToolCall("restart_service", {"service": m["s"]})),
    (re.compile(r"scale (?:service )?(?P<s>[\w-]+) to (?P<n>\d+)", re.I),
     lambda m: ToolCall("scale_service", {"service": m["s"], "replicas": int(m["n"])})),
    (re.compile(r"pause (?:agent )?(?P<a>[\w-]+)", re.I),
     lambda m: ToolCall("pause_agent", {"agent": m["a"], "reason": "asked by the incident "
                                                                      "commander"})),
    (re.compile(r"kill (?:query )?(?:pid )?(?P<p>\d+)", re.I),
     lambda m: ToolCall("kill_query", {"pid": int(m["p"])})),
)


class OperationsExpert(Expert):
    """Executes exactly what it is told, one instruction per line, and reports each."""

    def _plan(self) -> Plan:
        for call in self.instructions():
            yield from self._run(call)
        if not self.findings["calls"]:
            self.lines.append("nothing done: no instruction I can execute exactly; name a "
                              f"write tool and its JSON arguments ({', '.join(self.tool_names)})")

    def instructions(self) -> list[ToolCall]:
        calls: list[ToolCall] = []
        for line in self.question.splitlines():
            exact = explicit_calls(line, self.tool_names)
            if exact:
                calls += exact
                continue
            for part in line.split(";"):
                for pattern, build in PLAIN:
                    m = pattern.search(part)
                    if m:
                        calls.append(build(m))
                        break
        return calls

    def _run(self, call: ToolCall) -> Generator[ToolCall, Observation, Observation]:
        obs = yield call
        first = (obs.text or "").strip().splitlines()[:2]
        args = json.dumps(call.arguments, sort_keys=True)
        status = "done" if obs.ok else "refused"
        self.lines.append(f"{status} {call.name} {args}: " + (" ".join(first) if obs.ok
                                                             else obs.error or ""))
        self.findings["calls"].append({"tool": call.name, "arguments": dict(call.arguments),
                                       "ok": obs.ok, "data": obs.data if obs.ok else None})
        return obs


EXPERTS: dict[str, type[Expert]] = {
    "errors": ErrorsExpert, "database": DatabaseExpert, "deploys": DeploysExpert,
    "kubernetes": KubernetesExpert, "observability": ObservabilityExpert,
    "fleet": FleetExpert, "operations": OperationsExpert}


def heuristic_expert(domain: str) -> Expert:
    """The heuristic expert of ``domain`` (a plain reader for a domain added later)."""
    load_all()
    cls = EXPERTS.get(domain)
    if cls is None:
        cls = OperationsExpert if DOMAINS[domain].kind == WRITE else Expert
    return cls(domain)
