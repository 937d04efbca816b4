"""The heuristic's notebook and the incident signatures it knows.

``Notes`` holds only what tool outputs showed (the service map, releases, error-tracker
issues, Kubernetes events, the fleet audit log, log lines, store statistics). Each
``sign_*`` function reads the notes and proposes ``Hypothesis`` objects: a component, the
category words it would look for in ``list_categories``, a culprit, the fix as tool calls
and the reads that would confirm it. Nothing here sees the ground truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..types import ToolCall

RECENT_S = 3 * 3600.0
POOL = ("QueuePool limit", "Connection is not available", "acquire connection")
PROVIDER = {"401": ("credential", "expired", "external"),
            "429": ("provider_rate", "rate_limit", "external"),
            "503": ("provider_outage", "outage", "external")}


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class Hypothesis:
    score: float
    component: str
    words: tuple[str, ...]
    culprit: str | None = None
    fixes: list[ToolCall] = field(default_factory=list)
    confirm: list[ToolCall] = field(default_factory=list)
    page: str | None = None
    why: str = ""


@dataclass
class Notes:
    """What the on-call has seen so far, parsed from ``Observation.data``."""

    now: float = 0.0
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    fleet: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)
    providers: list[dict[str, Any]] = field(default_factory=list)
    locks: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    activity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    metrics: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    deploys: dict[str, dict[str, Any]] = field(default_factory=dict)

    def absorb(self, call: ToolCall, data: Any) -> None:
        """Keep what a confirming read showed (pod limits, configs, locks)."""
        if call.name == "describe_pod" and isinstance(data, dict) and data.get("service"):
            self.pods[data["service"]] = data
        elif call.name == "get_config" and isinstance(data, dict):
            self.configs[call.arguments.get("service", "")] = data
        elif call.name == "db_locks" and isinstance(data, list):
            self.locks = [d for d in data if isinstance(d, dict)]
        elif call.name == "db_activity" and isinstance(data, dict):
            self.activity[data.get("database", "")] = list(data.get("rows", []))
        elif call.name == "list_deploys" and isinstance(data, list):
            self.history[call.arguments.get("service", "")] = [d for d in data
                                                               if isinstance(d, dict)]
        elif call.name == "query_metrics" and isinstance(data, dict):
            self.metrics[(data.get("service", ""), data.get("metric", ""))] = [
                p["value"] for p in data.get("points", [])]
        elif call.name == "get_deploy" and isinstance(data, dict):
            self.deploys[str(data.get("id"))] = data
        elif call.name == "search_logs" and isinstance(data, dict):
            self.logs[data.get("service", "")] = [ln["line"] for ln in data.get("lines", [])]

    def owner(self, name: str) -> str | None:
        return self.components.get(name, {}).get("team")

    def kind(self, name: str) -> str:
        return str(self.components.get(name, {}).get("kind", ""))

    def deps(self, name: str) -> list[str]:
        return [d["target"] for d in self.components.get(name, {}).get("calls", [])]

    def service_of_pod(self, obj: str) -> str | None:
        pod = obj.split("/", 1)[-1]
        names = sorted((c for c in self.components if pod.startswith(c + "-")), key=len)
        return names[-1] if names else None

    def symptoms(self) -> list[str]:
        """Services behind the alerting SLOs, then whatever other alerts point at."""
        out: list[str] = []
        for a in self.alerts:
            svc = self.routes.get(a.get("slo") or "")
            if svc and svc not in out:
                out.append(svc)
        if any(a["name"] == "ConsumerLagHigh" for a in self.alerts):
            out += [c for c, v in self.components.items()
                    if any(d["kind"] == "consume" for d in v.get("calls", [])) and c not in out]
        return out

    def recent_release(self, service: str) -> dict[str, Any] | None:
        rels = [r for r in self.releases if r["service"] == service and r["status"] == "live"
                and self.now - seconds(r["deployed_at"]) <= RECENT_S]
        return rels[0] if rels else None

    def text_of(self, service: str) -> str:
        """Everything seen about ``service``: issue titles and error log lines."""
        parts = [i["title"] for i in self.issues if i["service"] == service]
        return "\n".join(parts + self.logs.get(service, []))

    def event_services(self, reason: str) -> list[str]:
        out: list[str] = []
        for e in self.events:
            svc = self.service_of_pod(e["object"]) if e["reason"] == reason else None
            if svc and svc not in out:
                out.append(svc)
        return out


def sign_oom(n: Notes) -> list[Hypothesis]:
    out = []
    for svc in n.event_services("OOMKilling"):
        memory = ToolCall("query_metrics", {"service": svc, "metric": "memory_mb", "minutes": 60})
        lowered = [a for a in n.fleet if a["target"] == svc and re.search(
            r"memory|limit|resources", a["action"] + " " + a["detail"], re.I)]
        rel = n.recent_release(svc)
        if lowered:
            a = lowered[0]
            old = [int(x) for x in re.findall(r"\d+", a["detail"])]
            fixes = [ToolCall("pause_agent", {"agent": a["agent"],
                                              "reason": "lowered memory limits during an "
                                                        "incident"})]
            if old:
                fixes.append(ToolCall("set_resources", {"service": svc, "memory_mb": max(old)}))
            out.append(Hypothesis(0.9, svc, ("rogue_agent/cost", "rogue_agent"), a["agent"],
                                  fixes, [memory], why="fleet agent lowered memory; OOM kills"))
        elif rel is not None:
            continue  # a release to blame: see heuristic_release
        else:
            pod = next((e["object"].split("/", 1)[1] for e in n.events
                        if e["reason"] == "OOMKilling" and n.service_of_pod(e["object"]) == svc),
                       None)
            limit = n.pods.get(svc, {}).get("mem_limit_mb")
            fixes = [ToolCall("set_resources", {"service": svc, "memory_mb": int(limit) * 2})] \
                if isinstance(limit, int | float) else []
            out.append(Hypothesis(0.6, svc, ("memory_limit", "oom", "memory"), None, fixes,
                                  [memory] + ([ToolCall("describe_pod", {"pod": pod})]
                                              if pod else []),
                                  why="OOM kills without a release"))
    return out


def sign_scale_down(n: Notes) -> list[Hypothesis]:
    out = []
    suspects = set(n.symptoms()) | {s for s in n.components
                                    if re.search("shedding load|rejected", n.text_of(s), re.I)}
    for a in n.fleet:
        m = re.search(r"replicas (\d+) -> (\d+)", a["detail"])
        if not (a["action"] == "scale" and m and int(m.group(2)) < int(m.group(1))):
            continue
        if re.search(r"cpu|utili[sz]ation|below target", a["rationale"], re.I):
            continue  # a routine scale-down on low load
        svc = a["target"]
        want = max(int(x) for b in n.fleet if b["target"] == svc
                   for x in re.findall(r"replicas (\d+) ->", b["detail"]))
        out.append(Hypothesis(
            0.95 if svc in suspects else 0.75, svc, ("rogue_agent/autoscaler", "rogue_agent"),
            a["agent"],
            [ToolCall("pause_agent", {"agent": a["agent"],
                                      "reason": f"scaled {svc} down while it is overloaded"}),
             ToolCall("scale_service", {"service": svc, "replicas": want})],
            [ToolCall("list_pods", {"service": svc}),
             ToolCall("query_metrics", {"service": svc, "metric": "cpu", "minutes": 60})],
            why="a fleet agent cut replicas of an overloaded service"))
        break
    return out


def sign_pool(n: Notes) -> list[Hypothesis]:
    """Pool timeouts with no release to blame (a release: see ``heuristic_release``)."""
    out = []
    for svc in n.components:
        if not any(p in n.text_of(svc) for p in POOL) or n.recent_release(svc) is not None:
            continue
        pool = ToolCall("query_metrics", {"service": svc, "metric": "db_pool_in_use",
                                          "minutes": 60})
        out.append(Hypothesis(0.4, svc, ("pool_size", "pool"), None, [], [pool],
                              why="pool exhausted, no release"))
    return out


def provider_errors(n: Notes) -> list[tuple[str, str, str]]:
    """(service, external dependency, status code) where a service's errors name one."""
    out = []
    for svc in n.components:
        text = n.text_of(svc)
        for ext in (d for d in n.deps(svc) if n.kind(d) == "external"):
            m = re.search(rf"ProviderException: (\d{{3}})|{re.escape(ext)} responded (\d{{3}})",
                          text)
            if m:
                out.append((svc, ext, m.group(1) or m.group(2)))
    return out


def sign_provider(n: Notes) -> list[Hypothesis]:
    out = []
    for svc, ext, code in provider_errors(n)[:1]:
        down = any(p["status"] != "operational" for p in n.providers)
        fixes = []
        flag = next((f["flag"] for f in n.flags if re.search("fallback|failover|secondary",
                                                            f["flag"]) and not f["enabled"]),
                    None)
        if down and flag:
            fixes.append(ToolCall("set_flag", {"flag": flag, "enabled": True}))
        words = PROVIDER.get(code, PROVIDER["503"] if code.startswith("5") else ("external",))
        out.append(Hypothesis(0.8 if down else 0.6, ext, words, None, fixes,
                              [ToolCall("provider_status", {})],
                              page=n.owner(ext) or n.owner(svc), why=f"{ext} failing ({code})"))
    return out


def sign_locks(n: Notes) -> list[Hypothesis]:
    long = [r for r in n.locks if r.get("held_s", 0) > 120]
    if not long:
        return []
    db = next((c for c, v in n.components.items() if v["kind"] == "postgres"), "")
    r = long[0]
    return [Hypothesis(0.8, db, ("lock", "long_transaction", "database"), str(r["blocking_pid"]),
                       [ToolCall("kill_query", {"pid": r["blocking_pid"]})],
                       [ToolCall("db_activity", {})], why="a transaction holds a lock")]


def sign_config_text(n: Notes) -> list[Hypothesis]:
    """Maintenance mode left on, or a rate limit far too low: set the key back."""
    out = []
    for svc in n.components:
        text = n.text_of(svc)
        cfg = n.configs.get(svc, {})
        if "maintenance mode is enabled" in text:
            key = next((k for k in cfg if "MAINTENANCE" in k), "MAINTENANCE_MODE")
            out.append(Hypothesis(0.8, svc, ("maintenance",), key,
                                  [ToolCall("set_config", {"service": svc, "key": key,
                                                           "value": False})],
                                  [ToolCall("get_config", {"service": svc})],
                                  why="maintenance mode left on"))
        m = re.search(r"rate limit exceeded \((\d+) rps\)", text)
        if m:
            out.append(Hypothesis(0.6, svc, ("rate_limit",), "RATE_LIMIT_RPS",
                                  [ToolCall("set_config", {"service": svc, "key":
                                                           "RATE_LIMIT_RPS",
                                                           "value": int(m.group(1)) * 4})],
                                  [ToolCall("get_config", {"service": svc})],
                                  why="requests rejected by a low rate limit"))
    return out


def sign_overload(n: Notes) -> list[Hypothesis]:
    """Load shedding with nothing else to explain it: add capacity."""
    out = []
    for svc in n.symptoms():
        if re.search("shedding load|RejectedExecution|worker threads busy", n.text_of(svc)):
            out.append(Hypothesis(0.3, svc, ("capacity", "traffic"), None,
                                  [], [ToolCall("query_metrics", {"service": svc,
                                                                  "metric": "cpu"})],
                                  why="overloaded"))
    return out


SIGNS: tuple[Callable[[Notes], list[Hypothesis]], ...] = (
    sign_scale_down, sign_oom, sign_pool, sign_provider, sign_locks, sign_config_text,
    sign_overload)


Sign = Callable[[Notes], list[Hypothesis]]


def diagnose(n: Notes, extra: tuple[Sign, ...] = ()) -> list[Hypothesis]:
    """Every hypothesis the notes support, most convincing first (ties: symptom order)."""
    found = [h for sign in SIGNS + extra for h in sign(n)]
    order = {s: i for i, s in enumerate(n.symptoms())}
    return sorted(found, key=lambda h: (-h.score, order.get(h.component, 99), h.component))


def category(categories: list[str], words: tuple[str, ...]) -> str | None:
    """The first category containing the earliest matching word."""
    for w in words:
        hits = sorted(c for c in categories if w in c)
        if hits:
            return hits[0]
    return None
