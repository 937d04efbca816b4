"""The heuristic baseline: an on-call runbook that uses tool outputs only.

1. Orient: the service map, the report categories, and the alerts on the page.
2. Sweep: recent releases, error-tracker issues, Kubernetes events, the fleet audit log.
3. Dig: error logs of the services the alerts and the sweep point at (symptom first, then
   along its dependencies), and the store or provider views when errors name them.
4. Decide: match known signatures (``heuristic_signs``) and take the best hypothesis.
5. Confirm with a metric, fix, post a status update, page the owner where needed, report.

It never reads ``truths``, world internals or hidden state: only ``Observation.data``.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from ..types import Observation, ToolCall
from ..world.faults import Truth
from . import heuristic_infra as infra
from .base import Policy, register_policy
from .heuristic_release import sign_release
from .heuristic_signs import Hypothesis, Notes, category, diagnose, provider_errors, seconds

Runbook = Generator[ToolCall, Observation, None]
FINAL_STEPS = 7  # fixes, update, page and report need this many calls at most
MAX_LOG_READS = 4
SECOND_FIX = 0.9  # how convincing a second hypothesis must be to act on it too


@register_policy("heuristic")
class HeuristicPolicy(Policy):
    """A competent on-call runbook with no access to ground truth."""

    name = "heuristic"

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed)  # ground truth is never kept
        page = observation.data or {}
        self.budget = int(page.get("step_budget", 30))
        self.used = 0
        self.notes = Notes(now=seconds(page["time"]) if page.get("time") else 0.0,
                           alerts=list(page.get("alerts", [])))
        self.runbook = self._runbook()
        self.pending: ToolCall | None = None

    def act(self, observation: Observation) -> ToolCall:
        try:
            call = next(self.runbook) if self.pending is None else self.runbook.send(observation)
        except StopIteration:  # the report was refused: report the symptom plainly
            call = self._fallback_report()
        self.pending = call
        self.used += 1
        return call

    def _room(self, reserve: int = FINAL_STEPS) -> bool:
        return self.used < self.budget - reserve

    # -- the runbook -----------------------------------------------------------------------

    def _runbook(self) -> Runbook:
        n = self.notes
        smap = yield ToolCall("get_service_map", {})
        self._read_map(smap)
        cats = yield ToolCall("list_categories", {})
        n.categories = list(cats.data or [])
        n.releases = _list((yield ToolCall("list_deploys", {"hours": 6})).data)
        n.issues = _list((yield ToolCall("list_issues", {})).data)
        n.events = _list((yield ToolCall("get_events", {"minutes": 60})).data)
        n.fleet = _list((yield ToolCall("list_fleet_actions", {"minutes": 60})).data)
        for svc in self._suspects()[:MAX_LOG_READS]:
            if not self._room():
                break
            obs = yield ToolCall("search_logs", {"service": svc, "level": "ERROR",
                                                 "minutes": 30})
            n.logs[svc] = [ln["line"] for ln in (obs.data or {}).get("lines", [])]
        yield from self._stores()
        hyps = diagnose(n, (*infra.SIGNS, sign_release))
        best = hyps[0] if hyps else self._guess()
        for call in best.confirm:
            if self._room():
                n.absorb(call, (yield call).data)
        # what the confirming reads showed may sharpen the fix
        hyps = diagnose(n, (*infra.SIGNS, sign_release)) or [best]
        best = hyps[0]
        for call in best.fixes:
            yield call
        for other in hyps[1:]:  # a second, independent fault with a clear signature
            if other.score >= SECOND_FIX and other.fixes and other.component != best.component \
                    and self._room(FINAL_STEPS - len(best.fixes) + len(other.fixes)):
                for call in other.fixes:
                    yield call
                break
        yield ToolCall("post_update", {"status": "identified", "message":
                                       f"{best.component}: {best.why}; mitigation applied, "
                                       f"monitoring."})
        if best.page:
            yield ToolCall("page_team", {"team": best.page, "message":
                                         f"{best.component} needs your follow-up: {best.why}"})
        cat = category(n.categories, best.words) or (n.categories or ["unknown"])[0]
        yield ToolCall("submit_report", {
            "root_cause": {"component": best.component, "category": cat,
                           "culprit": best.culprit},
            "summary": f"{best.why} in {best.component}"
                       + (f" ({best.culprit})" if best.culprit else "")
                       + "; fixed by " + (", ".join(c.name for c in best.fixes) or "nothing")})

    def _stores(self) -> Runbook:
        """Look at the database, providers and flags when the errors point there."""
        n = self.notes
        seen = "\n".join(n.text_of(s) for s in n.components)
        if re.search("lock timeout|statement timeout", seen) and self._room():
            n.locks = _list((yield ToolCall("db_locks", {})).data)
        if provider_errors(n) and self._room():
            n.providers = _list((yield ToolCall("provider_status", {})).data)
            if self._room():
                n.flags = _list((yield ToolCall("list_flags", {})).data)
        if infra.wants_db_reads(n):
            dbs = [c for c, v in n.components.items() if v["kind"] == "postgres"]
            for db in dbs:
                if db not in n.logs and self._room():
                    call = ToolCall("search_logs", {"service": db, "level": "ERROR",
                                                    "minutes": 30})
                    n.absorb(call, (yield call).data)
            for db in dbs:
                if self._room() and ("replica" not in db or re.search(
                        "record not found|NotFoundError", seen)):
                    call = ToolCall("db_activity", {"database": db})
                    n.absorb(call, (yield call).data)
        suspects = infra.config_suspects(n)
        for svc in suspects[:2]:
            if self._room():
                call = ToolCall("get_config", {"service": svc})
                n.absorb(call, (yield call).data)
        sibling = self._sibling(suspects[0]) if suspects else None
        if sibling and self._room():
            call = ToolCall("get_config", {"service": sibling})
            n.absorb(call, (yield call).data)

    def _sibling(self, service: str) -> str | None:
        """Another service of the same kind, preferably sharing a dependency."""
        n = self.notes
        kind = n.kind(service)
        same = [c for c in n.components if c != service and n.kind(c) == kind]
        shared = [c for c in same if set(n.deps(c)) & set(n.deps(service))]
        pick = shared or same
        return pick[0] if pick else None

    def _read_map(self, obs: Observation) -> None:
        data = obs.data or {}
        self.notes.components = {c["name"]: c for c in data.get("components", [])}
        self.notes.routes = {r["slo"]: r["service"] for r in data.get("routes", [])}

    def _suspects(self) -> list[str]:
        """Where to read logs: symptom services, then services the sweep flagged, then the
        symptoms' dependencies (nearest first)."""
        n = self.notes
        out = list(n.symptoms())
        flagged = [i["service"] for i in n.issues] + n.event_services("OOMKilling") + \
            n.event_services("BackOff") + [a["target"] for a in n.fleet
                                           if a["target"] in n.components]
        frontier = list(out)
        while frontier:
            nxt: list[str] = []
            for d in (d for s in frontier for d in n.deps(s)):
                if d not in out and d not in nxt:
                    nxt.append(d)
            out += nxt
            frontier = nxt
        ranked = [s for s in out if s in flagged or s in n.symptoms()] + \
                 [s for s in flagged if s not in out]
        return [s for s in dict.fromkeys(ranked + out)
                if n.kind(s) in ("service", "gateway", "worker", "postgres", "redis", "edge")]

    def _fallback_report(self) -> ToolCall:
        h = self._guess()
        return ToolCall("submit_report", {"root_cause": {
            "component": h.component, "category": (self.notes.categories or ["unknown"])[0],
            "culprit": None}, "summary": h.why})

    def _guess(self) -> Hypothesis:
        n = self.notes
        target = (n.symptoms() or list(n.components) or ["api-gateway"])[0]
        return Hypothesis(0.0, target, ("deploy", "capacity"), None, [], [],
                          why="no known signature matched")


def _list(data: Any) -> list[dict[str, Any]]:
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
