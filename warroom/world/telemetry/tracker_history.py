"""The error tracker's history of one issue: when it fired, from which pods and releases,
and sampled events, all derived from the same five-minute grid the issue counts use.

Read-only views beside ``errors.issues``: an event is attributed to a pod that was alive
at that instant and whose code raises that failure (every pod when the failure is not one
pod's code, such as a timeout), so a canary's exception comes from the canary pod.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .. import noise
from ..physics.flow import find_raise, service_behavior
from ..world import World
from .errors import STEP_S, TRACKED, _render, _signature, issue_id


def _bucket(world: World, t: float) -> list[dict[str, Any]]:
    """Every tracked failure at ``t``: service, cause, rate, message, signature, pods."""
    snap = world.snapshot(t)
    st = world.at(t)
    out = []
    for name, m in snap.components.items():
        if world.topology[name].kind not in TRACKED:
            continue
        svc = st.services[name]
        alive = [p for p in svc.pods if p.alive(t)]
        for cause, rate in sorted(m.causes.items()):
            if rate < 0.01:
                continue
            msg, frames, _ = _render(world, name, cause, t)
            pods = alive
            if cause.startswith("exception:"):
                raising = [p for p in alive
                           if find_raise([service_behavior(st, svc, p.release)], cause)]
                pods = raising or alive
            peer = cause.partition(":")[2]
            out.append({"service": name, "cause_kind": cause.split(":", 1)[0], "rate": rate,
                        "peer": peer if peer in world.topology.by_name else None,
                        "message": msg, "frames": frames, "signature": _signature(msg),
                        "pods": [(p.name, p.release) for p in pods]})
    return out


def timeline(world: World, issue: str) -> list[dict[str, Any]]:
    """The grid buckets where ``issue`` fired: time, events in the bucket, pods, message."""
    times = [k * STEP_S for k in range(int(world.now // STEP_S) + 1)]
    if times[-1] != world.now:
        times.append(world.now)
    out = []
    for ti in times:
        for rec in world.memo("tracker_bucket", ti, partial(_bucket, world, ti)):
            if issue_id(world, rec["service"], rec["signature"]) == issue:
                out.append({"t": ti, "events": max(1, int(rec["rate"] * STEP_S)),
                            "pods": rec["pods"], "message": rec["message"],
                            "frames": rec["frames"], "service": rec["service"],
                            "cause_kind": rec["cause_kind"], "peer": rec["peer"]})
    return out


def sample_events(world: World, issue: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` events of ``issue``, newest first, one per bucket (seeded pod)."""
    events = []
    sid = noise.sid(issue)
    for b in reversed(timeline(world, issue)):
        if not b["pods"]:
            continue
        k = int(b["t"] // STEP_S)
        pod, release = b["pods"][noise.bits(world.seed, sid, k, 1) % len(b["pods"])]
        offset = noise.unit(world.seed, sid, k, 2) * min(STEP_S, max(b["t"], 1.0))
        events.append({"event_id": noise.hexid(world.seed, 32, sid, k), "t": b["t"] - offset,
                       "pod": pod, "release": release, "message": b["message"],
                       "service": b["service"]})
        if len(events) >= limit:
            break
    return events
