"""The structured (numeric) face's encoding: a dashboard of what the agent has looked at, and
a fixed list of (tool, target) actions with a mask.

``Dashboard`` keeps the runbook's notebook (``heuristic_signs.Notes``) filled only from the
outputs of tools the agent called, and turns it into a fixed-size vector of floats: per
component slot (the service map's order, up to ``MAX_COMPONENTS``) its kind, whether an
alerting SLO routes to it, the last error rate, latency and saturation read, restarts and
unready pods, a recent release, a fleet agent's change, a feature flag its team owns,
error-tracker issues and error log lines, OOM and back-off events, config keys drifted from
the baseline, memory near its limit, which reads were done and fixes applied, and what the
runbook's signature library makes of the evidence so far (best score and category family);
then global flags (which sweeps were read, step budget used, the top two hypotheses); then
the focused component (see below): its slot features again and its best hypothesis's exact
category.

Actions are indices into ``ACTIONS``: global reads, per-component reads (logs, three
metrics, pods, describe, config, db activity, release history, config drift) and fixes
(the signature library's remediation, rollback to the release before the suspect one,
restart, scale up, restore the drifted config keys to the baseline, double the memory
limit read from a pod, pause the fleet agent that last changed the component), a status
update, paging the owner, ``report`` over (component, category family), and the two-step
verdict: ``focus`` on a component (no tool call), then ``verdict`` over every category of
the taxonomy, a report naming the focused component and that exact category. Shortcuts by
rank: confirm, remediate or report the first or second hypothesis of the signature
library, and read the logs, config or release history of the first three alerting
services (the same templates, addressed by rank instead of slot). A template
fills its arguments from what was observed (the release before the suspect one, twice the
ready pods, the baseline of a drifted key, the signature library's fix); the mask hides
templates whose arguments are not known yet, reads already done, fixes already applied,
and reports and the focus until ``MIN_READS`` reads were made (a report made blind is
always wrong). Nothing reads the ground truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..types import ToolCall
from ..world.faults import FAULTS
from . import heuristic_infra as infra
from .heuristic_release import previous, sign_release, suspect_release
from .heuristic_signs import Hypothesis, Notes, category, diagnose, seconds

MAX_COMPONENTS = 16
KINDS = ("edge", "gateway", "service", "worker", "postgres", "redis", "queue", "external")
APP = ("edge", "gateway", "service", "worker")
FAMILIES = ("appdata", "cache", "capacity", "compute", "config", "database", "deploy",
            "external", "network", "queue", "rogue_agent")
GLOBAL_READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("get_service_map", {}), ("list_categories", {}), ("list_alerts", {}),
    ("list_deploys", {"hours": 6}), ("list_issues", {}), ("get_events", {"minutes": 60}),
    ("list_fleet_actions", {"minutes": 60}), ("list_flags", {}), ("provider_status", {}),
    ("db_locks", {}), ("queue_stats", {}), ("cache_stats", {}))
# Per-kind metric for the "errors", "latency" and "saturation" reads.
METRICS = {
    "errors": {"edge": "error_rate", "gateway": "error_rate", "service": "error_rate",
               "worker": "error_rate", "external": "error_rate", "postgres": "errors_per_s",
               "redis": "errors_per_s", "queue": "lag_s"},
    "latency": {"edge": "latency_p99_ms", "gateway": "latency_p99_ms",
                "service": "latency_p99_ms", "worker": "latency_p99_ms",
                "external": "latency_p50_ms", "postgres": "query_latency_ms",
                "redis": "hit_ratio", "queue": "depth"},
    "saturation": {"edge": "cpu", "gateway": "thread_saturation", "service": "thread_saturation",
                   "worker": "thread_saturation", "postgres": "connections",
                   "redis": "evictions_per_s", "queue": "redelivered_rate"},
}
_GLOBAL_ARGS = dict(GLOBAL_READS)
COMPONENT_READS = ("logs", "errors", "latency", "saturation", "pods", "describe", "config",
                   "db_activity", "history", "drift")
COMPONENT_FIXES = ("remediate", "rollback", "restart", "scale_up", "restore_config",
                   "raise_memory", "pause_agent")
MAX_RESTORES = 3  # config keys one restore_config sets back to the baseline
COMMS = ("post_update", "page_owner")
# Shortcuts by rank: the n-th hypothesis of the signature library, the n-th symptom service.
RANKED = ("confirm", "remediate", "report")
N_RANKED = 2
SYMPTOM_READS = ("logs", "config", "history")
N_SYMPTOMS = 3
MIN_READS = 5  # a report is valid only after this many reads (map and categories included)
# Every category of the taxonomy: a verdict names one exactly, for the focused component.
CATEGORIES = tuple(sorted({ft.category for ft in FAULTS.values()}))


@dataclass(frozen=True)
class Action:
    """One entry of the discrete action space: a template and its target."""

    kind: str  # "global", "comms", "ranked", "symptom", "read", "fix" or "report"
    name: str
    slot: int = -1
    family: str = ""


def _actions() -> tuple[Action, ...]:
    out = [Action("global", name) for name, _ in GLOBAL_READS]
    out += [Action("comms", name) for name in COMMS]
    out += [Action("ranked", r, k) for k in range(N_RANKED) for r in RANKED]
    out += [Action("symptom", r, k) for k in range(N_SYMPTOMS) for r in SYMPTOM_READS]
    out += [Action("read", r, s) for s in range(MAX_COMPONENTS) for r in COMPONENT_READS]
    out += [Action("fix", f, s) for s in range(MAX_COMPONENTS) for f in COMPONENT_FIXES]
    out += [Action("report", "report", s, fam) for s in range(MAX_COMPONENTS)
            for fam in FAMILIES]
    out += [Action("focus", "focus", s) for s in range(MAX_COMPONENTS)]
    out += [Action("verdict", cat, -1, cat.split("/", 1)[0]) for cat in CATEGORIES]
    return tuple(out)


ACTIONS = _actions()
N_ACTIONS = len(ACTIONS)
SLOT_FEATURES = 1 + len(KINDS) + 18 + len(COMPONENT_READS) + 2 + len(FAMILIES) + \
    len(COMPONENT_FIXES)
RANK_FEATURES = 5 + len(FAMILIES)
GLOBAL_FEATURES = len(GLOBAL_READS) + len(COMMS) + 6 + N_RANKED * RANK_FEATURES + \
    N_SYMPTOMS * len(SYMPTOM_READS)
FOCUS_FEATURES = 1 + SLOT_FEATURES + len(CATEGORIES)
N_FEATURES = MAX_COMPONENTS * SLOT_FEATURES + GLOBAL_FEATURES + FOCUS_FEATURES


def _squash(x: float, scale: float) -> float:
    """A non-negative reading mapped into [0, 1): x / (x + scale)."""
    x = max(0.0, float(x))
    return x / (x + scale)


class Dashboard:
    """What the agent has seen in one episode, as features, mask and tool calls."""

    def __init__(self, page: dict[str, Any]) -> None:
        self.budget = int(page.get("step_budget", 30))
        self.notes = Notes(now=seconds(page["time"]) if page.get("time") else 0.0,
                           alerts=list(page.get("alerts", [])))
        self.slots: list[str] = []
        self.done: set[tuple[str, str, int]] = set()  # (kind, name, slot) taken
        self.used = 0
        self.readings: dict[tuple[str, str], float] = {}
        self.focus = -1  # the slot a verdict will name (set by a focus action)
        self.pods: dict[str, list[dict[str, Any]]] = {}
        self.drift: dict[str, dict[str, list[Any]]] = {}  # config_drift: key -> [base, live]
        self.memory: dict[str, tuple[float, float]] = {}  # describe_pod: (used, limit) MiB
        self._hyps: list[Hypothesis] | None = None
        self._mask: list[bool] | None = None

    # -- observing -------------------------------------------------------------------------

    def absorb(self, call: ToolCall, data: Any, ok: bool) -> None:
        """Keep what one tool output showed (nothing when the call failed)."""
        self.used += 1
        self._hyps = None
        self._mask = None
        if not ok:
            return
        n, args = self.notes, call.arguments
        if call.name == "get_service_map" and isinstance(data, dict):
            n.components = {c["name"]: c for c in data.get("components", [])}
            n.routes = {r["slo"]: r["service"] for r in data.get("routes", [])}
            self.slots = list(n.components)[:MAX_COMPONENTS]
        elif call.name == "list_categories" and isinstance(data, list):
            n.categories = [str(c) for c in data]
        elif call.name == "list_alerts" and isinstance(data, list):
            n.alerts = [a for a in data if isinstance(a, dict)] or n.alerts
        elif call.name == "list_deploys" and not args.get("service"):
            n.releases = _rows(data)
        elif call.name == "list_issues":
            n.issues = _rows(data)
        elif call.name == "get_events":
            n.events = _rows(data)
        elif call.name == "list_fleet_actions":
            n.fleet = _rows(data)
        elif call.name == "list_flags":
            n.flags = _rows(data)
        elif call.name == "provider_status":
            n.providers = _rows(data)
        elif call.name == "list_pods":
            self.pods[str(args.get("service"))] = _rows(data)
        elif call.name == "config_drift" and isinstance(data, dict):
            drift = data.get("drift")
            self.drift[str(args.get("service"))] = dict(drift) if isinstance(drift, dict) else {}
        elif call.name == "describe_pod" and isinstance(data, dict) and data.get("service"):
            self.memory[str(data["service"])] = (float(data.get("mem_mb") or 0.0),
                                                 float(data.get("mem_limit_mb") or 0.0))
            n.absorb(call, data)
        elif call.name == "query_metrics" and isinstance(data, dict):
            points = [p["value"] for p in data.get("points", [])]
            if points:
                self.readings[(str(data.get("service")), str(data.get("metric")))] = points[-1]
            n.absorb(call, data)
        else:
            n.absorb(call, data)

    def hypotheses(self) -> list[Hypothesis]:
        """The signature library's reading of the notes so far, most convincing first."""
        if self._hyps is None:
            self._hyps = diagnose(self.notes, (*infra.SIGNS, sign_release))
        return self._hyps

    def best_for(self, component: str) -> Hypothesis | None:
        return next((h for h in self.hypotheses() if h.component == component), None)

    # -- encoding --------------------------------------------------------------------------

    def features(self) -> list[float]:
        """The fixed-size observation vector (``N_FEATURES`` floats in [0, 1])."""
        out: list[float] = []
        for s in range(MAX_COMPONENTS):
            out += self._slot_features(self.slots[s]) if s < len(self.slots) \
                else [0.0] * SLOT_FEATURES
        out += [float(("global", g, -1) in self.done) for g, _ in GLOBAL_READS]
        out += [float(("comms", c, -1) in self.done) for c in COMMS]
        n = self.notes
        out += [min(1.0, self.used / max(1, self.budget)),
                float(any(p.get("status") != "operational" for p in n.providers)),
                float(any(r.get("held_s", 0) > 120 for r in n.locks)),
                float(any(k[0] == "fix" for k in self.done)),
                _squash(len(n.alerts), 3.0), float(bool(self.hypotheses()))]
        hyps = self.hypotheses()
        for k in range(N_RANKED):
            h = hyps[k] if k < len(hyps) else None
            fam = hyp_family(n, h) if h else ""
            out += [1.0 if h else 0.0, h.score if h else 0.0, float(bool(h and h.fixes)),
                    float(("ranked", "confirm", k) in self.done),
                    float(("ranked", "remediate", k) in self.done)]
            out += [float(fam == x) for x in FAMILIES]
        out += [float(("symptom", r, k) in self.done or self._symptom(k) is None)
                for k in range(N_SYMPTOMS) for r in SYMPTOM_READS]
        return out + self._focus_features()

    def _focus_features(self) -> list[float]:
        """The focused component's slot features again, and its best hypothesis's category
        (one-hot over ``CATEGORIES``): what a verdict needs, in one place."""
        if not 0 <= self.focus < len(self.slots):
            return [0.0] * FOCUS_FEATURES
        c = self.slots[self.focus]
        hyp = self.best_for(c)
        cat = category(self.notes.categories, hyp.words) if hyp and self.notes.categories \
            else None
        return [1.0, *self._slot_features(c), *(float(cat == x) for x in CATEGORIES)]

    def _symptom(self, k: int) -> str | None:
        sym = [c for c in self.notes.symptoms() if c in self.slots]
        return sym[k] if k < len(sym) else None

    def _ranked(self, k: int) -> Hypothesis | None:
        hyps = self.hypotheses()
        return hyps[k] if k < len(hyps) else None

    def _slot_features(self, c: str) -> list[float]:
        n, kind = self.notes, self.notes.kind(c)
        team = n.owner(c)
        fleet = [a for a in n.fleet if a.get("target") == c
                 and a.get("action") not in ("recommend", "sync")]
        pods = self.pods.get(c, [])
        ready = sum(1 for p in pods if p.get("ready"))
        text = n.text_of(c)
        hyp = self.best_for(c)
        fam = hyp_family(n, hyp) if hyp else ""
        m = METRICS
        f = [1.0] + [float(kind == k) for k in KINDS]
        f += [float(c in n.symptoms()),
              _squash(self.readings.get((c, m["errors"].get(kind, "")), 0.0), 0.05),
              _squash(self.readings.get((c, m["latency"].get(kind, "")), 0.0), 300.0),
              _squash(self.readings.get((c, m["saturation"].get(kind, "")), 0.0), 0.5),
              _squash(sum(int(p.get("restarts", 0)) for p in pods), 3.0),
              (1.0 - ready / len(pods)) if pods else 0.0,
              float(n.recent_release(c) is not None),
              float(suspect_release(n, c) is not None),
              float(bool(fleet)),
              float(any(re.search("config|resources|memory|scale", str(a.get("action")) + " "
                                  + str(a.get("detail")), re.I) for a in fleet)),
              float(any(fl.get("owner") == team for fl in n.flags)) if team else 0.0,
              _squash(sum(i.get("count", 0) for i in n.issues if i.get("service") == c),
                      1000.0),
              _squash(len(n.logs.get(c, [])), 5.0),
              float(c in n.event_services("OOMKilling")),
              float(c in n.event_services("BackOff")),
              float(bool(re.search(r"timeout|refused|exceeded|error", text, re.I))),
              _squash(len(self.drift.get(c, {})), 1.0),
              float(self._memory_ratio(c) > 0.85)]
        slot = self.slots.index(c)
        f += [float(("read", r, slot) in self.done) for r in COMPONENT_READS]
        f += [hyp.score if hyp else 0.0, float(bool(hyp and hyp.fixes))]
        f += [float(fam == x) for x in FAMILIES]
        f += [float(("fix", x, slot) in self.done) for x in COMPONENT_FIXES]
        return f

    def _memory_ratio(self, c: str) -> float:
        used, limit = self.memory.get(c, (0.0, 0.0))
        return used / limit if limit > 0 else 0.0

    # -- actions ---------------------------------------------------------------------------

    def mask(self) -> list[bool]:
        """Which of ``ACTIONS`` can be taken now (kept until the next absorb or taken)."""
        if self._mask is None:
            self._mask = [self._valid(a, i) for i, a in enumerate(ACTIONS)]
        return list(self._mask)

    def _valid(self, a: Action, index: int) -> bool:
        if not self.slots:
            return a.kind == "global" and a.name == "get_service_map"
        if not self.notes.categories:
            return a.kind == "global" and a.name == "list_categories"
        if (a.kind, a.name, a.slot) in self.done:
            return False
        if a.kind == "global":
            return True
        if a.kind == "comms":
            return a.name != "page_owner" or self._owner_to_page() is not None
        if a.kind in ("ranked", "symptom"):
            return bool(self.calls(a))
        if a.kind == "verdict":
            return self.focus >= 0 and a.name in self.notes.categories
        if a.slot >= len(self.slots):
            return False
        if a.kind == "focus":
            return self.focus < 0 and self._reads() >= MIN_READS
        if a.slot >= len(self.slots):
            return False
        if a.kind == "report":
            return self._reads() >= MIN_READS and any(c.startswith(a.family + "/")
                                                      for c in self.notes.categories)
        return bool(self.calls(a))

    def calls(self, a: Action) -> list[ToolCall]:
        """The tool calls ``a`` stands for now ([] when it cannot be taken)."""
        if a.kind == "global":
            return [ToolCall(a.name, dict(_GLOBAL_ARGS[a.name]))]
        if a.kind == "comms":
            return self._comms(a.name)
        if (a.kind, a.name, a.slot) in self.done:
            return []
        if a.kind == "ranked":
            return self._ranked_calls(a.name, a.slot)
        if a.kind == "symptom":
            sym = self._symptom(a.slot)
            return self._read(sym, a.name) if sym else []
        if a.kind == "focus":
            return []
        if a.kind == "verdict":
            return [self._verdict(self.slots[self.focus], a.name)] if self.focus >= 0 else []
        c = self.slots[a.slot]
        if a.kind == "report":
            return [self._report(c, a.family)]
        return self._read(c, a.name) if a.kind == "read" else self._fix(c, a.name)

    def _ranked_calls(self, name: str, k: int) -> list[ToolCall]:
        h = self._ranked(k)
        if h is None:
            return []
        if name == "confirm":
            return list(h.confirm)
        if name == "remediate":
            return list(h.fixes)
        if self._reads() < MIN_READS:
            return []
        fam = hyp_family(self.notes, h) or "deploy"
        if h.component not in self.notes.components or \
                not any(c.startswith(fam + "/") for c in self.notes.categories):
            return []
        return [self._report(h.component, fam)]

    def _reads(self) -> int:
        return sum(1 for k in self.done if k[0] in ("global", "read", "symptom")
                   or (k[0], k[1]) == ("ranked", "confirm"))

    def _read(self, c: str, name: str) -> list[ToolCall]:
        kind = self.notes.kind(c)
        if name in METRICS:
            metric = METRICS[name].get(kind)
            return [ToolCall("query_metrics", {"service": c, "metric": metric,
                                               "minutes": 60})] if metric else []
        if name == "logs" and kind in (*APP, "postgres", "redis"):
            return [ToolCall("search_logs", {"service": c, "level": "ERROR", "minutes": 30})]
        if name == "pods" and kind in APP:
            return [ToolCall("list_pods", {"service": c})]
        if name == "describe" and self.pods.get(c):
            return [ToolCall("describe_pod", {"pod": self.pods[c][0]["pod"]})]
        if name == "config" and kind in (*APP, "redis"):
            return [ToolCall("get_config", {"service": c})]
        if name == "db_activity" and kind == "postgres":
            return [ToolCall("db_activity", {"database": c})]
        if name == "history" and kind in APP:
            return [ToolCall("list_deploys", {"service": c, "hours": 24})]
        if name == "drift" and kind in (*APP, "postgres", "redis"):
            return [ToolCall("config_drift", {"service": c})]
        return []

    def _fix(self, c: str, name: str) -> list[ToolCall]:
        kind = self.notes.kind(c)
        if name == "remediate":
            hyp = self.best_for(c)
            return list(hyp.fixes) if hyp else []
        if name == "rollback":
            rel = suspect_release(self.notes, c)
            prev = previous(self.notes, rel) if rel else None
            return [ToolCall("rollback_deploy", {"service": c, "to_release": prev})] \
                if prev else []
        if name == "restart" and kind in APP:
            return [ToolCall("restart_service", {"service": c})]
        if name == "restore_config":
            keys = sorted(self.drift.get(c, {}))[:MAX_RESTORES]
            return [ToolCall("set_config", {"service": c, "key": k,
                                            "value": self.drift[c][k][0]}) for k in keys]
        if name == "raise_memory" and kind in APP and self.memory.get(c, (0, 0))[1] > 0:
            limit = int(self.memory[c][1])
            return [ToolCall("set_resources", {"service": c,
                                               "memory_mb": min(65536, max(256, 2 * limit))})]
        if name == "pause_agent":
            agents = [a.get("agent") for a in self.notes.fleet if a.get("target") == c
                      and a.get("action") not in ("recommend", "sync") and a.get("agent")]
            return [ToolCall("pause_agent", {"agent": str(agents[0]), "reason":
                                             f"its changes to {c} match the incident"})] \
                if agents else []
        if name == "scale_up" and kind in APP and self.pods.get(c):
            ready = sum(1 for p in self.pods[c] if p.get("ready"))
            return [ToolCall("scale_service", {"service": c,
                                               "replicas": max(2, 2 * max(ready, 1))})]
        return []

    def _owner_to_page(self) -> str | None:
        hyps = self.hypotheses()
        return hyps[0].page if hyps else None

    def _comms(self, name: str) -> list[ToolCall]:
        hyps = self.hypotheses()
        what = f"{hyps[0].component}: {hyps[0].why}" if hyps else "investigating"
        if name == "post_update":
            return [ToolCall("post_update", {"status": "identified",
                                             "message": f"{what}; mitigation in progress."})]
        team = self._owner_to_page()
        return [ToolCall("page_team", {"team": team, "message": f"needs follow-up: {what}"})] \
            if team else []

    def _report(self, c: str, family: str) -> ToolCall:
        n = self.notes
        in_family = [x for x in n.categories if x.startswith(family + "/")]
        hyp = self.best_for(c)
        words = tuple(w for w in (hyp.words if hyp else ()) if w not in FAMILIES)
        cat = category(in_family, words) or in_family[0]
        culprit = hyp.culprit if hyp and hyp_family(n, hyp) == family else None
        return ToolCall("submit_report", {
            "root_cause": {"component": c, "category": cat, "culprit": culprit},
            "summary": f"{c}: {cat}" + (f" ({culprit})" if culprit else "")
                       + (f"; {hyp.why}" if hyp else "")})

    def _verdict(self, c: str, cat: str) -> ToolCall:
        hyp = self.best_for(c)
        same = hyp is not None and hyp_family(self.notes, hyp) == cat.split("/", 1)[0]
        culprit = hyp.culprit if hyp is not None and same else None
        return ToolCall("submit_report", {
            "root_cause": {"component": c, "category": cat, "culprit": culprit},
            "summary": f"{c}: {cat}" + (f" ({culprit})" if culprit else "")
                       + (f"; {hyp.why}" if hyp is not None and same else "")})

    def taken(self, index: int) -> None:
        """Mark ``ACTIONS[index]`` as done (reads are not repeated, fixes not reapplied)."""
        a = ACTIONS[index]
        self._mask = None
        if a.kind == "ranked" and a.name == "remediate":  # the same fix by another name
            h = self._ranked(a.slot)
            if h is not None and h.component in self.slots:
                self.done.add(("fix", "remediate", self.slots.index(h.component)))
        if a.kind == "fix" and a.name == "remediate":
            for k in range(N_RANKED):
                h = self._ranked(k)
                if h is not None and h.component == self.slots[a.slot]:
                    self.done.add(("ranked", "remediate", k))
        if a.kind == "focus":
            self.focus = a.slot
        if a.kind not in ("report", "verdict") and (a.kind, a.name) != ("ranked", "report"):
            self.done.add((a.kind, a.name, a.slot))


def hyp_family(n: Notes, hyp: Hypothesis) -> str:
    """The category family the runbook's hypothesis names (its category's prefix)."""
    cat = category(n.categories, hyp.words) if n.categories else None
    if cat:
        return cat.split("/", 1)[0]
    return next((w for w in hyp.words if w in FAMILIES), "")


def _rows(data: Any) -> list[dict[str, Any]]:
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def describe(index: int) -> str:
    """A readable name for an action index (for logs and traces)."""
    a = ACTIONS[index]
    target = f"[{a.slot}]" if a.slot >= 0 else ""
    return f"{a.kind}:{a.name}{target}" + (f":{a.family}" if a.family else "")

