"""Kubernetes: pods, pod details, events, restarts, scaling and resource limits."""

from __future__ import annotations

from typing import Any

from ...world import ops
from ...world.physics.snapshot import PodStatus
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component
from ..registry import READ, WRITE, ToolError, ToolOutput, tool

ACTOR = "oncall"
WORKLOADS = ("service", "gateway", "worker", "edge", "postgres", "redis", "queue")
MAX_REPLICAS = 30


def _all_pods(world: World) -> list[tuple[str, PodStatus]]:
    snap = world.snapshot()
    return [(name, p) for name, m in snap.components.items() for p in m.pods
            if p.phase != "Terminated"]


@tool("kubernetes", READ, cost_s=3)
def list_pods(world: World, service: str | None = None) -> ToolOutput:
    """List pods with readiness, status, restarts, age and node (like kubectl get pods).

    Args:
        service: only this workload's pods.
    """
    if service is not None:
        component(world, service, WORKLOADS)
    rows, data = [], []
    for name, p in _all_pods(world):
        if service and name != service:
            continue
        status = p.phase if p.ready or p.phase != "Running" else "Running (not ready)"
        if p.phase == "CrashLoopBackOff":
            status = "CrashLoopBackOff"
        rows.append([p.name, "1/1" if p.ready else "0/1", status, p.restarts,
                     fmt.ago(world.now - p.started_at), p.node])
        data.append({"pod": p.name, "service": name, "ready": p.ready, "status": status,
                     "restarts": p.restarts, "node": p.node, "release": p.release})
    return ToolOutput(fmt.table(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"], rows),
                      data)


@tool("kubernetes", READ, cost_s=3)
def describe_pod(world: World, pod: str) -> ToolOutput:
    """Show one pod's limits, state, last termination and recent events.

    Args:
        pod: pod name from list_pods.
    """
    found = {p.name: (n, p) for n, p in _all_pods(world)}
    if pod not in found:
        raise ToolError(f"unknown pod {pod!r}; list_pods shows valid names")
    name, p = found[pod]
    svc = world.head.services[name]
    lines = [f"Name: {p.name}", f"Node: {p.node}", f"Release: {p.release}",
             f"Limits: cpu={svc.cpu_millicores}m memory={svc.mem_limit_mb}Mi",
             f"State: {'Running' if p.phase == 'Running' else 'Waiting (' + p.phase + ')'} "
             f"since {fmt.iso(world.wallclock(p.started_at))}",
             f"Ready: {p.ready}", f"Restart Count: {p.restarts}",
             f"Memory working set: {p.mem_mb:.0f}Mi"]
    if p.last_reason:
        code = 137 if p.last_reason == "OOMKilled" else 1
        lines += ["Last State: Terminated", f"  Reason: {p.last_reason}",
                  f"  Exit Code: {code}",
                  f"  Finished: {fmt.iso(world.wallclock(p.last_exit_at or 0))}"]
        if p.crash_message and p.last_reason != "OOMKilled":
            lines.append(f"  Message: {p.crash_message}")
    events = [e for e in pod_events(world, name) if e["object"] == f"pod/{p.name}"][-6:]
    lines.append("Events:")
    lines += [f"  {e['type']:<8} {e['reason']:<18} {e['message']}" for e in events] or ["  none"]
    return ToolOutput("\n".join(lines), {"pod": p.name, "service": name, "ready": p.ready,
                                         "restarts": p.restarts, "last_reason": p.last_reason,
                                         "mem_mb": round(p.mem_mb, 1),
                                         "mem_limit_mb": svc.mem_limit_mb})


def pod_events(world: World, service: str | None, minutes: int = 60) -> list[dict[str, Any]]:
    """Kubernetes events derived from pod histories and recorded operations."""
    out: list[dict[str, Any]] = []
    start = world.now - minutes * 60
    for name, p in _all_pods(world):
        if service and name != service:
            continue
        if p.last_exit_at is not None and p.last_exit_at >= start:
            if p.last_reason == "OOMKilled":
                out.append({"t": p.last_exit_at, "type": "Warning", "reason": "OOMKilling",
                            "object": f"pod/{p.name}",
                            "message": f"Memory cgroup out of memory: Killed process "
                                       f"(container {name})"})
            if p.restarts >= 2:
                out.append({"t": p.last_exit_at + 1, "type": "Warning", "reason": "BackOff",
                            "object": f"pod/{p.name}",
                            "message": "Back-off restarting failed container"})
        if not p.ready and p.phase == "Running" and p.started_at >= start:
            out.append({"t": p.started_at + 5, "type": "Warning", "reason": "Unhealthy",
                        "object": f"pod/{p.name}",
                        "message": "Readiness probe failed: HTTP probe failed with statuscode: "
                                   "503"})
        if p.started_at >= start:
            out.append({"t": p.started_at, "type": "Normal", "reason": "Started",
                        "object": f"pod/{p.name}", "message": f"Started container {name}"})
    for rec in world.records:
        if rec.t < start or (service and rec.source != service):
            continue
        if rec.kind in ("scale", "rollout", "restart", "resources"):
            out.append({"t": rec.t, "type": "Normal",
                        "reason": "ScalingReplicaSet" if rec.kind == "scale" else "RolloutUpdate",
                        "object": f"deployment/{rec.source}", "message": rec.text})
    out.sort(key=lambda e: (e["t"], e["object"]))
    return out


@tool("kubernetes", READ, cost_s=3)
def get_events(world: World, service: str | None = None, minutes: int = 60) -> ToolOutput:
    """List Kubernetes events (kills, back-offs, failed probes, scaling, rollouts).

    Args:
        service: only events of this workload.
        minutes: how far back (1-120).
    """
    if service is not None:
        component(world, service, WORKLOADS)
    if not 1 <= minutes <= 120:
        raise ToolError(f"minutes must be between 1 and 120, got {minutes}")
    events = pod_events(world, service, minutes)
    rows = [[fmt.ago(world.now - e["t"]), e["type"], e["reason"], e["object"], e["message"][:80]]
            for e in events[-60:]]
    text = fmt.table(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], rows) if rows else \
        "No events."
    return ToolOutput(text, [{k: v for k, v in e.items() if k != "t"} for e in events[-60:]])


@tool("kubernetes", WRITE, cost_s=120)
def restart_service(world: World, service: str) -> ToolOutput:
    """Rolling-restart a workload: pods are replaced one by one (takes minutes).

    Args:
        service: workload to restart.
    """
    component(world, service, WORKLOADS)
    return ToolOutput(ops.restart(world, service, ACTOR), {"service": service})


@tool("kubernetes", WRITE, cost_s=60)
def scale_service(world: World, service: str, replicas: int) -> ToolOutput:
    """Set the number of replicas of a workload.

    Args:
        service: workload to scale.
        replicas: desired replicas (0-30).
    """
    component(world, service, ("service", "gateway", "worker", "edge"))
    if not 0 <= replicas <= MAX_REPLICAS:
        raise ToolError(f"replicas must be between 0 and {MAX_REPLICAS}, got {replicas}")
    st = world.head
    live = sum(len([p for p in s.pods if p.alive(world.now)]) for s in st.services.values())
    extra = replicas - st.services[service].replicas
    if extra > 0 and live + extra > st.traffic.namespace_pod_quota:
        raise ToolError(f"exceeded quota: pods={live}+{extra} > limit "
                        f"{st.traffic.namespace_pod_quota} (ResourceQuota prod/pods)")
    return ToolOutput(ops.scale(world, service, replicas, ACTOR),
                      {"service": service, "replicas": replicas})


@tool("kubernetes", WRITE, cost_s=120)
def set_resources(world: World, service: str, cpu_millicores: int | None = None,
                  memory_mb: int | None = None) -> ToolOutput:
    """Change a workload's CPU and/or memory limits; pods are replaced to apply them.

    Args:
        service: workload to change.
        cpu_millicores: new CPU limit in millicores (100-16000).
        memory_mb: new memory limit in MiB (128-65536).
    """
    component(world, service, WORKLOADS)
    if cpu_millicores is None and memory_mb is None:
        raise ToolError("give cpu_millicores and/or memory_mb")
    if cpu_millicores is not None and not 100 <= cpu_millicores <= 16000:
        raise ToolError(f"cpu_millicores must be 100-16000, got {cpu_millicores}")
    if memory_mb is not None and not 128 <= memory_mb <= 65536:
        raise ToolError(f"memory_mb must be 128-65536, got {memory_mb}")
    return ToolOutput(ops.set_resources(world, service, cpu_millicores, memory_mb, ACTOR),
                      {"service": service, "cpu_millicores": cpu_millicores,
                       "memory_mb": memory_mb})
