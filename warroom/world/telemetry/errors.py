"""The error tracker: failures grouped into issues with stable ids, counts and a sample.

An issue is (service, error signature). Its id is derived from that pair alone, so the same
failure keeps its id across calls and episodes with the same seed. Counts integrate the
failure rate over the recorded history at a five-minute resolution.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .. import noise
from ..physics.snapshot import answer_status
from ..world import World
from .fmt import iso
from .messages import error_text

STEP_S = 300.0
TRACKED = ("service", "gateway", "worker")


def _signature(msg: str) -> str:
    head = msg.split(":", 1)[0] if ":" in msg[:80] else msg[:60]
    return head.strip()


def issue_id(world: World, service: str, signature: str) -> str:
    n = noise.bits(world.seed, noise.sid(service), noise.sid(signature)) % (36 ** 3)
    digits = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    code = ""
    for _ in range(3):
        code = digits[n % 34] + code
        n //= 34
    return f"{service.upper().replace('-', '')}-{code}"


def _render(world: World, service: str, cause: str, t: float) -> tuple[str, list[str], dict]:
    from ..physics.flow import find_raise, service_behavior

    st = world.at(t)
    svc = st.services[service]
    ctx: dict[str, Any] = {"config": svc.config}
    kind = cause.split(":", 1)[0]
    if kind == "dep_error":
        ctx["status"] = answer_status(world.snapshot(t)[cause.split(":", 1)[1]].causes)
    if kind in ("exception", "serialize"):
        bs = [service_behavior(st, svc, p.release) for p in svc.pods if p.alive(t)]
        if kind == "exception":
            ctx["entry"] = find_raise(bs, cause)
        else:
            tgt = cause.split(":")[1]
            ctx["entry"] = next((b["dep_error"][tgt] for b in bs if tgt in b.get("dep_error", {})),
                                {})
    msg, frames = error_text(world.topology[service].language, service, cause, ctx)
    return msg, frames, ctx


def _failures(world: World, t: float) -> list[tuple[str, float, str, list[str]]]:
    """(service, failing rate, message, frames) for every failure cause at ``t``."""
    out = []
    for name, m in world.snapshot(t).components.items():
        if world.topology[name].kind not in TRACKED:
            continue
        for cause, rate in m.causes.items():
            if rate >= 0.01:
                msg, frames, _ = _render(world, name, cause, t)
                out.append((name, rate, msg, frames))
    return out


def issues(world: World, service: str | None = None) -> list[dict[str, Any]]:
    """All issues seen in the recorded history, most events first."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    times = [k * STEP_S for k in range(int(world.now // STEP_S) + 1)]
    if times[-1] != world.now:
        times.append(world.now)
    for ti in times:
        for name, rate, msg, frames in world.memo("issues", ti, partial(_failures, world, ti)):
            if service and name != service:
                continue
            sig = _signature(msg)
            rec = grouped.get((name, sig))
            if rec is None:
                rec = grouped[(name, sig)] = {
                    "id": issue_id(world, name, sig), "service": name, "title": msg[:120],
                    "culprit": frames[0] if frames else f"{name} request handler",
                    "first_seen": ti, "last_seen": ti, "count": 0.0,
                    "release": world.at(ti).services[name].release, "message": msg,
                    "frames": frames, "level": "error"}
            rec["last_seen"] = ti
            rec["count"] += rate * STEP_S
    out = sorted(grouped.values(), key=lambda r: (-r["count"], r["id"]))
    for r in out:
        r["count"] = int(r["count"]) + 1
        r["first_seen_iso"] = iso(world.wallclock(r["first_seen"]))
        r["last_seen_iso"] = iso(world.wallclock(r["last_seen"]))
    return out
