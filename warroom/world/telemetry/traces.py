"""Distributed traces: sampled requests with spans across services.

A trace id encodes its minute, route and sample number, so a trace can be rebuilt from the
physics at that minute whenever it is asked for. Span durations and statuses follow the
component metrics of that minute; a failing span carries the error of its cause.
"""

from __future__ import annotations

from typing import Any

from .. import noise
from ..physics.snapshot import Snapshot, cause_status
from ..world import World
from .fmt import iso

SAMPLES_PER_MIN = 3


def trace_id(world: World, minute: int, route: int, i: int) -> str:
    return f"{minute:08x}{route:02x}{i:02x}" + noise.hexid(world.seed, 20, minute, route, i)


def parse_trace_id(world: World, tid: str) -> tuple[int, int, int] | None:
    if len(tid) != 32:
        return None
    try:
        minute, route, i = int(tid[:8], 16), int(tid[8:10], 16), int(tid[10:12], 16)
    except ValueError:
        return None
    if trace_id(world, minute, route, i) != tid:
        return None
    return minute, route, i


def _pick_cause(world: World, snap: Snapshot, name: str, key: tuple[int, ...]) -> str | None:
    m = snap[name]
    if m.rps <= 0 or not m.causes:
        return None
    r = noise.unit(world.seed, *key) * m.rps
    acc = 0.0
    for cause, v in sorted(m.causes.items()):
        acc += v
        if r < acc:
            return cause
    return None


def build(world: World, minute: int, route: int, i: int) -> dict[str, Any]:
    """The full trace: root span at the edge, child spans down the call graph."""
    t = min(float(minute * 60), world.now)
    return world.memo("trace", t, lambda: _build(world, minute, route, i), route, i)


def _build(world: World, minute: int, route: int, i: int) -> dict[str, Any]:
    t = float(minute * 60)
    snap = world.snapshot(min(t, world.now))
    topo = world.topology
    ep = topo.endpoints[route]
    spans: list[dict[str, Any]] = []
    start = world.wallclock(t) - 60 + noise.unit(world.seed, minute, route, i, 1) * 60
    chain = [c.name for c in topo.components if c.kind in ("edge", "gateway")] + [ep.service]

    def span(name: str, op: str, parent: int | None, depth: int, begin: float) -> float:
        m = snap[name]
        idx = len(spans)
        key = (noise.sid(name), minute, route, i)
        cause = _pick_cause(world, snap, name, key)
        jitter = 0.6 + 0.8 * noise.unit(world.seed, *key, 2)
        dur = (m.extra.get("own_ms", m.mean_ms) if name in chain[:-1] else m.mean_ms) * jitter
        rec: dict[str, Any] = {"span": idx, "parent": parent, "service": name, "op": op,
                               "start": iso(begin), "duration_ms": round(dur, 1),
                               "status": cause_status(cause) if cause else 200}
        if cause:
            rec["error"] = cause.split(":", 1)[0].replace("_", " ")
            if ":" in cause:
                rec["peer"] = cause.split(":", 1)[1]
        spans.append(rec)
        if depth < 4 and name not in chain[:-1]:
            child_begin = begin + 0.001
            for d in topo[name].deps:
                if d.kind == "consume" or d.calls < 0.5:
                    continue
                op2 = {"db": "SQL", "db_read": "SQL", "cache": "GET", "publish": "PRODUCE"}.get(
                    d.kind, "HTTP POST")
                child_begin += span(d.target, op2, idx, depth + 1, child_begin) / 1000
        return dur

    parent = None
    begin = start
    for depth, name in enumerate(chain):
        op = f"{ep.method} {ep.path}"
        span(name, op, parent, depth, begin)
        parent = len(spans) - 1
        begin += 0.001
    # proxies' durations include what they wait for downstream
    total = sum(s["duration_ms"] for s in spans[len(chain) - 1:]) if spans else 0.0
    for s in spans[: len(chain) - 1]:
        s["duration_ms"] = round(s["duration_ms"] + total, 1)
    status = max((s["status"] for s in spans), default=200)
    return {"trace_id": trace_id(world, minute, route, i), "route": f"{ep.method} {ep.path}",
            "start": iso(start), "duration_ms": spans[0]["duration_ms"] if spans else 0.0,
            "status": status, "spans": spans}
