"""Kubernetes workloads and nodes as kubectl shows them: deployments, replica sets,
rollout status and history, one pod's logs, top, node details and conditions, the
autoscaler's view, endpoints and the namespace's resource quota."""

from __future__ import annotations

from typing import Any

from ...world import noise, ops
from ...world.telemetry import fmt
from ...world.telemetry import logs as render
from ...world.world import World
from ..common import component, one_of
from ..registry import READ, ToolError, ToolOutput, tool
from .kube import WORKLOADS, _all_pods

SCALABLE = ("service", "gateway", "worker", "edge")
HPA_TARGET = 60


def _pods_of(world: World, service: str) -> list[Any]:
    return [p for p in world.snapshot()[service].pods if p.phase != "Terminated"]


def _revisions(world: World, service: str) -> list[Any]:
    return sorted((r for r in world.head.releases.values() if r.service == service
                   and r.deployed_at <= world.now), key=lambda r: (r.deployed_at, r.id))


@tool("kubernetes", READ, cost_s=3)
def list_deployments(world: World) -> ToolOutput:
    """List deployments (like kubectl get deployments): ready, up-to-date, available, age."""
    snap = world.snapshot()
    rows, data = [], []
    for c in world.topology.components:
        if c.kind not in WORKLOADS:
            continue
        svc = world.head.services[c.name]
        pods = [p for p in snap[c.name].pods if p.phase != "Terminated"]
        ready = sum(p.ready for p in pods)
        updated = sum(1 for p in pods if p.release == svc.release)
        rows.append([c.name, f"{ready}/{svc.replicas}", updated, ready,
                     fmt.ago(world.now - min((p.started_at for p in pods), default=world.now))])
        data.append({"deployment": c.name, "ready": ready, "desired": svc.replicas,
                     "up_to_date": updated, "available": ready})
    return ToolOutput(fmt.table(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], rows), data)


@tool("kubernetes", READ, cost_s=3)
def describe_deployment(world: World, service: str) -> ToolOutput:
    """Describe one deployment: replicas, strategy, image, limits, probes, environment
    and conditions (like kubectl describe deployment).

    Args:
        service: workload name.
    """
    component(world, service, WORKLOADS)
    svc = world.head.services[service]
    comp = world.topology[service]
    rel = world.head.releases.get(svc.release)
    pods = _pods_of(world, service)
    ready = sum(p.ready for p in pods)
    updated = sum(1 for p in pods if p.release == svc.release)
    env = [f"      {k}: {v}" for k, v in sorted(svc.config.items())]
    available = "True" if ready >= max(1, svc.replicas - 1) else "False"
    progressing = "True (ReplicaSetUpdated)" if svc.rollout else "True (NewReplicaSetAvailable)"
    text = "\n".join([
        f"Name: {service}", "Namespace: prod",
        f"Replicas: {svc.replicas} desired | {updated} updated | {len(pods)} total | "
        f"{ready} available | {len(pods) - ready} unavailable",
        f"StrategyType: {svc.config.get('ROLLOUT_STRATEGY', 'RollingUpdate')}",
        f"Image: {comp.image}:{rel.version if rel else '?'}",
        f"Limits: cpu={svc.cpu_millicores}m memory={svc.mem_limit_mb}Mi",
        f"Readiness: http-get :{comp.port}/healthz delay={int(comp.ready_delay_s)}s",
        "Environment:", *env,
        "Conditions:", f"  Available    {available}", f"  Progressing  {progressing}"])
    return ToolOutput(text, {"deployment": service, "desired": svc.replicas,
                             "updated": updated, "ready": ready, "release": svc.release,
                             "cpu_millicores": svc.cpu_millicores,
                             "mem_limit_mb": svc.mem_limit_mb, "rolling": bool(svc.rollout)})


@tool("kubernetes", READ, cost_s=3)
def list_replicasets(world: World, service: str) -> ToolOutput:
    """List a deployment's replica sets, one per release (like kubectl get rs).

    Args:
        service: workload name.
    """
    component(world, service, WORKLOADS)
    pods = _pods_of(world, service)
    rows, data = [], []
    for r in reversed(_revisions(world, service)):
        mine = [p for p in pods if p.release == r.id]
        rs = f"{service}-{noise.hexid(world.seed, 9, noise.sid(service), noise.sid(r.id))}"
        rows.append([rs, len(mine), len(mine), sum(p.ready for p in mine), r.id,
                     fmt.ago(world.now - r.deployed_at)])
        data.append({"replicaset": rs, "release": r.id, "pods": len(mine),
                     "ready": sum(p.ready for p in mine)})
    return ToolOutput(fmt.table(["NAME", "DESIRED", "CURRENT", "READY", "RELEASE", "AGE"],
                                rows), data)


@tool("kubernetes", READ, cost_s=3)
def rollout_status(world: World, service: str) -> ToolOutput:
    """Show a deployment's rollout status (like kubectl rollout status).

    Args:
        service: workload name.
    """
    component(world, service, WORKLOADS)
    svc = world.head.services[service]
    pods = _pods_of(world, service)
    updated = [p for p in pods if p.release == svc.release]
    ready = sum(p.ready for p in updated)
    if svc.rollout:
        text = (f"Waiting for deployment \"{service}\" rollout to finish: {len(updated)} of "
                f"{svc.replicas} updated replicas are available ({ready} ready); "
                f"{len(pods) - len(updated)} old replicas pending termination "
                f"(started {fmt.ago(world.now - svc.rollout['started_at'])} ago by "
                f"{svc.rollout['actor']}, {svc.rollout['strategy']})")
        state = "progressing"
    elif ready < svc.replicas:
        text = (f"deployment \"{service}\" rolled out, but only {ready} of {svc.replicas} "
                f"replicas are available")
        state = "degraded"
    else:
        text = f"deployment \"{service}\" successfully rolled out"
        state = "complete"
    return ToolOutput(text, {"deployment": service, "state": state, "release": svc.release,
                             "updated": len(updated), "ready": ready,
                             "desired": svc.replicas})


@tool("kubernetes", READ, cost_s=3)
def rollout_history(world: World, service: str) -> ToolOutput:
    """Show a deployment's revisions with their change cause (like kubectl rollout
    history).

    Args:
        service: workload name.
    """
    component(world, service, WORKLOADS)
    live = world.head.services[service].release
    rows, data = [], []
    for i, r in enumerate(_revisions(world, service), start=1):
        cause = f"{r.id} {r.version} by {r.author}: {r.message}"
        rows.append([i, fmt.iso(world.wallclock(r.deployed_at)), cause[:80],
                     "<- current" if r.id == live else ""])
        data.append({"revision": i, "release": r.id, "author": r.author,
                     "deployed_at": fmt.iso(world.wallclock(r.deployed_at)),
                     "current": r.id == live})
    return ToolOutput(f"deployment.apps/{service}\n" + fmt.table(
        ["REVISION", "DEPLOYED", "CHANGE-CAUSE", ""], rows), data)


@tool("kubernetes", READ, cost_s=4)
def pod_logs(world: World, pod: str, previous: bool = False, minutes: int = 10) -> ToolOutput:
    """Read one pod's container log (like kubectl logs); previous=true shows the last
    terminated container's final lines.

    Args:
        pod: pod name from list_pods.
        previous: the previous (crashed or killed) container instead of the running one.
        minutes: how far back for the running container (1-60).
    """
    found = {p.name: (n, p) for n, p in _all_pods(world)}
    if pod not in found:
        raise ToolError(f"unknown pod {pod!r}; list_pods shows valid names")
    if not 1 <= minutes <= 60:
        raise ToolError(f"minutes must be between 1 and 60, got {minutes}")
    name, p = found[pod]
    if previous:
        if not p.last_reason:
            raise ToolError(f"previous terminated container in pod {pod!r} not found")
        when = fmt.iso(world.wallclock(p.last_exit_at or 0))
        last = p.crash_message if p.last_reason != "OOMKilled" else \
            f"(no output: killed by the kernel at {p.mem_mb:.0f}Mi, OOMKilled)"
        text = f"{when} container {name} starting\n{when} {last}"
        return ToolOutput(text, {"pod": pod, "previous": True, "reason": p.last_reason,
                                 "message": last})
    if not p.ready and p.phase != "Running":
        return ToolOutput(f"Error from server (BadRequest): container \"{name}\" in pod "
                          f"\"{pod}\" is waiting to start: {p.phase}",
                          {"pod": pod, "lines": []})
    peers = sorted(q.name for q in world.snapshot()[name].pods if q.ready) or [pod]
    hits, _ = render.search(world, name, world.now - minutes * 60, world.now, None, None, 400)
    mine = [h for h in hits if peers[noise.sid(h[2]) % len(peers)] == pod][:40]
    text = "\n".join(h[2] for h in reversed(mine)) or "(no log lines in that window)"
    return ToolOutput(text, {"pod": pod, "lines": [h[2] for h in reversed(mine)]})


@tool("kubernetes", READ, cost_s=3)
def top_pods(world: World, service: str | None = None) -> ToolOutput:
    """Show CPU and memory use per pod (like kubectl top pods), with limits.

    Args:
        service: only this workload's pods.
    """
    if service is not None:
        component(world, service, WORKLOADS)
    snap = world.snapshot()
    rows, data = [], []
    for name, m in snap.components.items():
        if (service and name != service) or world.topology[name].kind not in WORKLOADS:
            continue
        svc = world.head.services[name]
        running = [p for p in m.pods if p.phase == "Running"]
        for p in running:
            cpu = svc.cpu_millicores * m.cpu_util * (0.9 + 0.2 * noise.unit(
                world.seed, noise.sid(p.name), int(world.now // 60)))
            rows.append([p.name, f"{cpu:.0f}m", f"{p.mem_mb:.0f}Mi",
                         f"{cpu / svc.cpu_millicores:.0%}", f"{p.mem_mb / svc.mem_limit_mb:.0%}"])
            data.append({"pod": p.name, "service": name, "cpu_m": round(cpu),
                         "memory_mi": round(p.mem_mb), "cpu_limit_m": svc.cpu_millicores,
                         "memory_limit_mi": svc.mem_limit_mb})
    return ToolOutput(fmt.table(["NAME", "CPU(cores)", "MEMORY(bytes)", "CPU%LIMIT",
                                 "MEM%LIMIT"], rows), data)


def _node_usage(world: World) -> dict[str, dict[str, float]]:
    snap = world.snapshot()
    st = world.head
    use = {n: {"cpu_m": float(node.foreign_cpu_millicores), "mem_mi": 0.0, "pods": 0.0,
               "requests_m": 0.0} for n, node in st.nodes.items()}
    for name, m in snap.components.items():
        svc = st.services[name]
        for p in m.pods:
            if p.phase == "Terminated" or p.node not in use:
                continue
            use[p.node]["pods"] += 1
            use[p.node]["requests_m"] += svc.cpu_millicores
            use[p.node]["mem_mi"] += p.mem_mb
            if p.phase == "Running":
                use[p.node]["cpu_m"] += svc.cpu_millicores * m.cpu_util
    return use


@tool("kubernetes", READ, cost_s=3)
def top_nodes(world: World) -> ToolOutput:
    """Show CPU and memory use per node (like kubectl top nodes), all tenants included."""
    use = _node_usage(world)
    rows, data = [], []
    for n, node in world.head.nodes.items():
        u = use[n]
        rows.append([n, f"{u['cpu_m']:.0f}m", f"{u['cpu_m'] / node.cpu_millicores:.0%}",
                     f"{u['mem_mi']:.0f}Mi", f"{u['mem_mi'] / node.mem_mb:.0%}"])
        data.append({"node": n, "cpu_m": round(u["cpu_m"]), "cpu_pct":
                     round(u["cpu_m"] / node.cpu_millicores, 3), "memory_mi": round(u["mem_mi"])})
    return ToolOutput(fmt.table(["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"],
                                rows), data)


def _conditions(world: World, node: Any, u: dict[str, float]) -> dict[str, str]:
    cpu = u["cpu_m"] / node.cpu_millicores
    return {"Ready": "True", "MemoryPressure": "True" if u["mem_mi"] > node.mem_mb * 0.9
            else "False", "DiskPressure": "False", "PIDPressure": "False",
            "CPUSaturated": "True" if cpu > 0.9 else "False",
            "Schedulable": "False" if node.cordoned else "True"}


@tool("kubernetes", READ, cost_s=3)
def node_conditions(world: World) -> ToolOutput:
    """Show each node's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure, CPU
    saturation, schedulable)."""
    use = _node_usage(world)
    rows, data = [], []
    for n, node in world.head.nodes.items():
        cond = _conditions(world, node, use[n])
        rows.append([n, *cond.values()])
        data.append({"node": n, **cond})
    return ToolOutput(fmt.table(["NODE", "READY", "MEMORYPRESSURE", "DISKPRESSURE",
                                 "PIDPRESSURE", "CPUSATURATED", "SCHEDULABLE"], rows), data)


@tool("kubernetes", READ, cost_s=3)
def describe_node(world: World, node: str) -> ToolOutput:
    """Describe one node: capacity, conditions, allocated requests, CPU used by other
    tenants, and the pods running on it (like kubectl describe node).

    Args:
        node: node name from list_nodes.
    """
    one_of(node, sorted(world.head.nodes), "node")
    n = world.head.nodes[node]
    u = _node_usage(world)[node]
    pods = [(name, p.name) for name, p in _all_pods(world) if p.node == node]
    cond = _conditions(world, n, u)
    lines = [f"Name: {node}", f"Capacity: cpu={n.cpu_millicores}m memory={n.mem_mb}Mi",
             f"Unschedulable: {n.cordoned}", "Conditions:"]
    lines += [f"  {k:<16} {v}" for k, v in cond.items()]
    lines += [f"Allocated resources: cpu requests {u['requests_m']:.0f}m "
              f"({u['requests_m'] / n.cpu_millicores:.0%})",
              f"CPU used now: {u['cpu_m']:.0f}m of which other tenants "
              f"{n.foreign_cpu_millicores}m", f"Non-terminated pods: ({len(pods)} in total)"]
    lines += [f"  prod  {pod:<34} ({svc})" for svc, pod in pods[:30]]
    return ToolOutput("\n".join(lines), {"node": node, "conditions": cond,
                                         "other_tenants_m": n.foreign_cpu_millicores,
                                         "cpu_used_m": round(u["cpu_m"]),
                                         "pods": [p for _, p in pods]})


@tool("kubernetes", READ, cost_s=3)
def hpa_status(world: World, service: str | None = None) -> ToolOutput:
    """Show horizontal autoscaling targets (like kubectl get hpa): CPU now against the
    target, min and max replicas, current replicas.

    Args:
        service: only this workload.
    """
    if service is not None:
        component(world, service, ("service", "gateway"))
    snap = world.snapshot()
    rows, data = [], []
    for c in world.topology.components:
        if c.kind not in ("service", "gateway") or (service and c.name != service):
            continue
        svc = world.head.services[c.name]
        ceiling = svc.config.get("HPA_MAX_REPLICAS", c.replicas * 3)
        cpu = snap[c.name].cpu_util
        rows.append([c.name, f"Deployment/{c.name}", f"{cpu:.0%}/{HPA_TARGET}%", c.replicas,
                     ceiling, svc.replicas])
        data.append({"hpa": c.name, "cpu": round(cpu, 3), "target": HPA_TARGET / 100,
                     "min_replicas": c.replicas, "max_replicas": ceiling,
                     "replicas": svc.replicas})
    return ToolOutput(fmt.table(["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS",
                                 "REPLICAS"], rows), data)


@tool("kubernetes", READ, cost_s=3)
def get_endpoints(world: World, service: str) -> ToolOutput:
    """Show a Service's endpoints (like kubectl get endpoints -o wide): the ready pod
    addresses that receive traffic and the not-ready ones.

    Args:
        service: workload name.
    """
    component(world, service, WORKLOADS)
    port = world.topology[service].port
    ready: list[tuple[str, str]] = []
    not_ready: list[tuple[str, str]] = []
    for p in _pods_of(world, service):
        b = noise.bits(world.seed, noise.sid(p.name))
        addr = f"10.244.{b % 250}.{(b >> 8) % 250 + 2}:{port}"
        (ready if p.ready else not_ready).append((p.name, addr))
    text = (f"NAME: {service}\nENDPOINTS: " + (",".join(a for _, a in ready) or "<none>") +
            f"\nNOT READY: {','.join(a for _, a in not_ready) or '<none>'}")
    return ToolOutput(text, {"service": service, "ready": [p for p, _ in ready],
                             "not_ready": [p for p, _ in not_ready]})


@tool("kubernetes", READ, cost_s=3)
def get_resource_quota(world: World) -> ToolOutput:
    """Show the namespace's resource quota (like kubectl describe quota): pods used
    against the hard limit."""
    used = ops.pods_in_namespace(world)
    hard = world.head.traffic.namespace_pod_quota
    cpu = sum(s.cpu_millicores for s in world.head.services.values() for p in s.pods
              if p.deleted_at is None or p.deleted_at > world.now)
    text = ("Name: prod-pods\nNamespace: prod\nResource   Used    Hard\n"
            f"--------   ----    ----\npods       {used:<7} {hard}\n"
            f"requests.cpu {cpu / 1000:.1f}  -")
    return ToolOutput(text, {"pods_used": used, "pods_hard": hard,
                             "requests_cpu_m": cpu})
