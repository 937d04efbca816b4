"""The durable-mitigation check: fast-forward a copy of the world under more load.

After the report, time runs on for ``minutes`` (default 30) with traffic raised by
``bump`` (default +30%). The incident counts as mitigated only if every user-facing SLO
holds at each check from ``settle_min`` on and every fault's root condition is gone at the
end. Restarting a leaking service passes the first checks and fails later; scaling under a
rogue autoscaler is undone at its next cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..world.faults import FAULTS, Truth
from ..world.world import World

ERROR_SLO = 0.02


@dataclass
class DurableResult:
    mitigated: bool
    slo_held: bool
    root_gone: bool
    violations: list[str] = field(default_factory=list)
    self_resolved: bool = False


def slo_violations(world: World) -> list[str]:
    snap = world.snapshot()
    out = []
    for ep in snap.endpoints:
        if ep.rps > 0 and ep.error_rps / ep.rps > ERROR_SLO:
            out.append(f"{ep.method} {ep.path} errors {ep.error_rps / ep.rps:.1%}")
        elif ep.p99_ms > ep.slo_p99_ms:
            out.append(f"{ep.method} {ep.path} p99 {ep.p99_ms:.0f}ms")
    return out


def check(world: World, truths: list[Truth], minutes: float = 30.0, bump: float = 1.3,
          settle_min: float = 10.0, every_min: float = 5.0) -> DurableResult:
    w = world.fork()
    traffic = w.edit_single("traffic")
    traffic.multiplier *= bump
    violations: list[str] = []
    elapsed = 0.0
    while elapsed < minutes:
        w.advance(every_min * 60.0)
        elapsed += every_min
        if elapsed >= settle_min:
            for v in slo_violations(w):
                violations.append(f"+{elapsed:.0f}m {v}")
    root_gone = all(FAULTS[t.fault].resolved(w, t) for t in truths)
    slo_held = not violations
    return DurableResult(slo_held and root_gone, slo_held, root_gone, violations)
