"""The heuristic's change triage: a service that broke after a recent release.

Picks the suspect release (a person's change before a routine approved bot bump), names
the failure from what the service shows (OOM kills, saturated CPU, busy workers, pool
timeouts, serializer errors, a paused canary, an unreviewed bot release) and rolls back to
the release before it. Reads: ``Notes`` only.
"""

from __future__ import annotations

import re
from typing import Any

from ..types import ToolCall
from .heuristic_signs import POOL, Hypothesis, Notes, seconds

RECENT_S = 3 * 3600.0
APP_KINDS = ("service", "gateway", "worker")


def onset(n: Notes) -> float | None:
    times = [seconds(a["since"]) for a in n.alerts if a.get("since")]
    return min(times) if times else None


def routine(n: Notes, rel: dict[str, Any]) -> bool:
    """An approved dependency bump shipped by the deploy bot, as its audit log says."""
    return rel["author"] == "deploy-bot" and any(
        a["agent"] == "deploy-bot" and rel["id"] in a["detail"] and "approved" in a["rationale"]
        for a in n.fleet)


def suspect_release(n: Notes, svc: str) -> dict[str, Any] | None:
    start = onset(n)
    rels = [r for r in n.releases if r["service"] == svc
            and n.now - seconds(r["deployed_at"]) <= RECENT_S
            and (start is None or seconds(r["deployed_at"]) <= start + 60)]
    rels.sort(key=lambda r: -seconds(r["deployed_at"]))
    return next((r for r in rels if not routine(n, r)), rels[0] if rels else None)


def previous(n: Notes, rel: dict[str, Any]) -> str | None:
    history = n.history.get(rel["service"], []) + n.releases
    older = sorted({r["id"]: r for r in history if r["service"] == rel["service"]
                    and seconds(r["deployed_at"]) < seconds(rel["deployed_at"])}.values(),
                   key=lambda r: -seconds(r["deployed_at"]))
    return older[0]["id"] if older else None


def recent_mean(n: Notes, svc: str, metric: str, points: int = 5) -> float | None:
    vals = n.metrics.get((svc, metric), [])[-points:]
    return sum(vals) / len(vals) if vals else None


def classify(n: Notes, svc: str, rel: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    text = n.text_of(svc)
    detail = n.deploys.get(rel["id"], {})
    if rel["author"] == "deploy-bot" and detail and not detail.get("reviewed_by") \
            and not routine(n, rel):
        return ("deploy_bot", "rogue_agent"), "the deploy bot shipped an unreviewed release"
    if svc in n.event_services("OOMKilling"):
        return ("memory_leak", "memory"), "OOM kills after a recent release"
    if rel.get("status") == "in progress":
        return ("bad_canary", "canary"), "errors from the canary of a paused rollout"
    cpu = recent_mean(n, svc, "cpu")
    if cpu is not None and cpu >= 0.85:
        return ("cpu_hot_loop", "cpu"), "CPU pinned after a recent release"
    if re.search(r"WORKER TIMEOUT|worker threads busy", text):
        return ("thread_pool", "thread"), "worker threads exhausted after a recent release"
    if re.search(r"bump|upgrade|deps", rel.get("message", ""), re.I) and re.search(
            r"proto:|serializ|marshal|cannot parse|not JSON", text):
        return ("dependency_bump", "serializ"), "a dependency bump broke serialization"
    if any(p in text for p in POOL):
        return ("connection_leak", "pool"), "pool exhausted after a recent release"
    return ("bad_release", "deploy"), "new errors since a recent release"


def sign_release(n: Notes) -> list[Hypothesis]:
    out = []
    candidates = n.symptoms() + [i["service"] for i in n.issues] + \
        n.event_services("OOMKilling") + n.event_services("BackOff")
    for svc in dict.fromkeys(candidates):
        rel = suspect_release(n, svc) if n.kind(svc) in APP_KINDS else None
        if rel is None:
            continue
        words, why = classify(n, svc, rel)
        prev = previous(n, rel)
        back: dict[str, Any] = {"service": svc}
        if prev is not None:
            back["to_release"] = prev
        fixes = [ToolCall("rollback_deploy", back)]
        culprit = rel["id"]
        if words[0] == "deploy_bot":
            fixes.insert(0, ToolCall("pause_agent", {"agent": "deploy-bot", "reason":
                                                     "shipping unreviewed releases"}))
            culprit = "deploy-bot"
        confirm = [ToolCall("get_deploy", {"release_id": rel["id"]}),
                   ToolCall("query_metrics", {"service": svc, "metric": "cpu", "minutes": 60})]
        if prev is None:
            confirm.append(ToolCall("list_deploys", {"service": svc, "hours": 720}))
        has_issue = any(i["service"] == svc for i in n.issues)
        out.append(Hypothesis(0.85 if has_issue or svc in n.symptoms() else 0.6, svc, words,
                              culprit, fixes, confirm, why=why))
    return out

