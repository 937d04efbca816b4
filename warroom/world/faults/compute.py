"""Compute and process faults: crash loops, memory limits, leaks, hot loops, exhausted
thread pools and garbage-collection pressure. Each is a release, a setting or a limit; the
symptoms come from the pod lifecycle and the CPU/latency physics."""

from __future__ import annotations

from typing import Any

from .. import noise, ops
from ..physics.pods import startup_failure
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    app_services,
    bad_release,
    call,
    config_text,
    kinds,
    lang_token,
    live_behavior,
    named,
    path_to_edge,
    person,
    pick,
    previous_release,
    register,
)

OVERLOAD_WORDS = {"java": "RejectedExecutionException", "python": "shedding load",
                  "go": "shedding load"}
GC_WORDS = {"java": "Pause Full", "python": "generation 2", "go": "GC forced"}
BAD_SETTINGS = (("LOG_LEVEL", "TRACE"), ("LOG_LEVEL", "verbose"), ("LOG_LEVEL", "warn"),
                ("LOG_LEVEL", "INFO"))


def _util(world: World, name: str) -> float:
    return max(world.snapshot()[name].cpu_util, 0.05)


# -- crash loop on a bad start-up setting -----------------------------------------------------
def inject_crash_loop(world: World, target: str, params: dict[str, Any]) -> Truth:
    key, bad = params.get("setting") or pick(world, BAD_SETTINGS, noise.sid(target))
    good = world.head.services[target].config[key]
    who = person(world, noise.sid(target), 2)
    ops.set_config(world, target, key, bad, who)
    ops.restart(world, target, who)
    return Truth(
        "crash_loop_bad_setting", "compute", "compute/crash_loop", target, key,
        path_to_edge(world, target),
        (Evidence("list_pods", "CrashLoopBackOff", "new pods crash at start",
                  {"service": target}),
         Evidence("search_logs", f"({key})", "the start-up error names the setting",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text(key, bad), "the invalid value",
                  {"service": target})),
        (call("set_config", service=target, key=key, value=good),
         call("restart_service", service=target)),
        params={"key": key}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "new pods read the same bad setting and crash again"),
               WrongFix(call("rollback_deploy", service=target),
                        "the code was never the problem; rolled-back pods crash too")))


def resolved_crash_loop(world: World, truth: Truth) -> bool:
    svc = world.head.services[truth.component]
    comp = world.topology[truth.component]
    if startup_failure(comp, svc, {}, world.topology.defaults[comp.name]) is not None:
        return False
    pods = world.snapshot()[truth.component].pods
    return not any(p.phase == "CrashLoopBackOff" for p in pods)


register(FaultType(
    "crash_loop_bad_setting", "compute", "compute/crash_loop",
    "A start-up setting changed to an invalid value; restarted pods crash at start",
    "Pods in CrashLoopBackOff with exit code 1, a start-up error naming the setting in the "
    "container log, capacity falling as old pods are replaced, 503s on the service's routes",
    "Restarting or rolling back starts pods with the same bad setting; they crash too",
    kinds("service", "worker", "gateway"), inject_crash_loop, resolved_crash_loop))


# -- memory limit too low ---------------------------------------------------------------------
def inject_oom_limit(world: World, target: str, params: dict[str, Any]) -> Truth:
    old = world.head.services[target].mem_limit_mb
    base = world.topology[target].mem_base_mb
    new = int(params.get("mem_limit_mb", max(128, (int(base * 0.85) // 64) * 64)))
    ops.set_resources(world, target, None, new, person(world, noise.sid(target), 3))
    return Truth(
        "oom_limit_too_low", "compute", "compute/memory_limit", target, None,
        path_to_edge(world, target),
        (Evidence("get_events", "OOMKilling", "pods killed right after start",
                  {"service": target}),
         Evidence("get_events", f"memory {old}Mi -> {new}Mi", "the limit was lowered",
                  {"service": target}),
         Evidence("list_pods", "CrashLoopBackOff", "no pod stays up", {"service": target})),
        (call("set_resources", service=target, memory_mb=old),),
        params={"limit": old, "base": base}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "fresh pods hit the same limit within seconds"),
               WrongFix(call("scale_service", service=target, replicas=8),
                        "more pods, each killed at start")))


def resolved_oom_limit(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].mem_limit_mb > truth.params["base"] * 1.15


register(FaultType(
    "oom_limit_too_low", "compute", "compute/memory_limit",
    "A memory limit was lowered below the service's working set",
    "OOMKilled restarts right after start (exit code 137), pods never ready, a resources "
    "change in the deployment's events",
    "Restarting or scaling out starts more pods under the same limit",
    app_services, inject_oom_limit, resolved_oom_limit,
    newer_targets=named("worker", "api-gateway")))


# -- memory leak ------------------------------------------------------------------------------
def inject_mem_leak(world: World, target: str, params: dict[str, Any]) -> Truth:
    headroom = world.head.services[target].mem_limit_mb - world.topology[target].mem_base_mb
    onset_min = (world.incident_at - world.now) / 60.0
    rate = float(params.get("leak_mb_per_min", round(headroom / min(6.0, max(
        2.0, onset_min - 3.0)), 1)))
    rid = bad_release(world, target, {"leak_mb_per_min": rate},
                      "Cache rendered responses in process memory")
    prev = previous_release(world, target)
    return Truth(
        "memory_leak", "compute", "compute/memory_leak", target, rid,
        path_to_edge(world, target),
        (Evidence("get_events", "OOMKilling", "pods killed for exceeding the memory limit",
                  {"service": target}),
         Evidence("list_deploys", rid, "the release after which memory grows",
                  {"service": target}),
         Evidence("query_metrics", "memory_mb", "memory climbing between restarts",
                  {"service": target, "metric": "memory_mb", "minutes": 60})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"rate": rate}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "memory is freed and grows back to the limit"),
               WrongFix(call("set_resources", service=target,
                             memory_mb=world.head.services[target].mem_limit_mb * 2),
                        "a higher limit only delays the next OOM kill")))


def resolved_mem_leak(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "leak_mb_per_min")


register(FaultType(
    "memory_leak", "compute", "compute/memory_leak",
    "A release leaks memory until pods are OOMKilled",
    "Pods restarting with OOMKilled, memory climbing in a sawtooth, errors while pods restart",
    "Restarting or raising the memory limit only delays the next OOM kill",
    lambda topo: [n for n in app_services(topo) if topo[n].replicas >= 3],
    inject_mem_leak, resolved_mem_leak,
    newer_targets=named("api-gateway")))


# -- CPU hot loop (pathological regex) --------------------------------------------------------
REGEX_COMMITS = ("Validate product slugs with stricter URL pattern",
                 "Parse user agents for analytics tagging",
                 "Sanitize search terms with unicode-aware regex")


def inject_cpu_regex(world: World, target: str, params: dict[str, Any]) -> Truth:
    svc = world.head.services[target]
    ceiling = svc.config.get("HPA_MAX_REPLICAS", svc.replicas)
    spare = max(1.0, float(ceiling) / max(svc.replicas, 1)) if isinstance(ceiling, int) else 1.0
    mult = float(params.get("cpu_mult") or min(150.0, max(4.0, 1.7 * spare
                                                         / _util(world, target))))
    rid = bad_release(world, target, {"cpu_mult": round(mult, 2)},
                      pick(world, REGEX_COMMITS, noise.sid(target)))
    prev = previous_release(world, target)
    return Truth(
        "cpu_regex_hot_loop", "compute", "compute/cpu_hot_loop", target, rid,
        path_to_edge(world, target),
        (Evidence("query_metrics", "cpu", "CPU pinned at the limit since the release",
                  {"service": target, "metric": "cpu", "minutes": 60}),
         Evidence("list_deploys", rid, "the release that started it", {"service": target}),
         Evidence("search_logs", lang_token(world, target, OVERLOAD_WORDS),
                  "requests shed for lack of CPU", {"service": target, "level": "ERROR"})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"mult": mult}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the same code burns the same CPU after a restart"),
               WrongFix(call("scale_service", service=target,
                             replicas=min(30, world.head.services[target].replicas * 2)),
                        "twice the pods still cannot absorb a many-fold CPU cost")))


def resolved_cpu_regex(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "cpu_mult")


register(FaultType(
    "cpu_regex_hot_loop", "compute", "compute/cpu_hot_loop",
    "A release adds a pathological regular expression that pins CPU",
    "CPU at 100% on every pod right after a deploy, latency up and 503s from load shedding, "
    "the database and dependencies idle",
    "Restarting changes nothing; scaling out buys little against a many-fold CPU cost",
    kinds("service", "gateway"), inject_cpu_regex, resolved_cpu_regex))


# -- thread pool exhaustion -------------------------------------------------------------------
SYNC_COMMITS = ("Render PDF receipts synchronously in the request path",
                "Call fraud scoring inline before responding",
                "Fetch avatars from object storage while rendering")


BUSY_WORDS = {"python": "WORKER TIMEOUT", "go": "all worker threads busy",
              "java": "all worker threads busy"}


def thread_targets(topo: Any) -> list[str]:
    return [c.name for c in topo.components if c.kind == "service" and c.threads <= 64]


def inject_thread_pool(world: World, target: str, params: dict[str, Any]) -> Truth:
    m = world.snapshot()[target]
    comp = world.topology[target]
    slots = max(m.ready, 1) * comp.threads
    rate = max(m.rps, 0.5)
    extra_ms = 2500.0 * slots / rate - m.mean_ms
    mult = float(params.get("latency_mult") or max(20.0, 1.0 + extra_ms / comp.base_latency_ms))
    rid = bad_release(world, target, {"latency_mult": round(mult, 1)},
                      pick(world, SYNC_COMMITS, noise.sid(target)))
    prev = previous_release(world, target)
    threads = comp.threads
    busy = lang_token(world, target, BUSY_WORDS)
    return Truth(
        "thread_pool_exhaustion", "compute", "compute/thread_pool", target, rid,
        path_to_edge(world, target),
        (Evidence("query_metrics", "thread_saturation", "every worker thread busy",
                  {"service": target, "metric": "thread_saturation", "minutes": 60}),
         Evidence("list_deploys", rid, "the release that made requests slow",
                  {"service": target}),
         Evidence("search_logs", busy, "workers timing out",
                  {"service": target, "query": busy, "minutes": 30})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"mult": mult}, team=comp.team,
        wrong=(WrongFix(call("set_config", service=target, key="WORKER_THREADS",
                             value=threads * 4),
                        "more threads each hold a database connection: the pool runs dry"),
               WrongFix(call("restart_service", service=target),
                        "fresh workers fill up with the same slow requests")))


def resolved_thread_pool(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "latency_mult")


register(FaultType(
    "thread_pool_exhaustion", "compute", "compute/thread_pool",
    "A release blocks request threads on a slow synchronous call",
    "Thread saturation above 1, 'WORKER TIMEOUT' and 503s, long request latency while CPU "
    "stays low; python services also hold their DB connections and the pool runs out",
    "More threads hold more database connections; restarting refills the pool with the same "
    "slow requests",
    thread_targets, inject_thread_pool, resolved_thread_pool,
    newer_targets=named("auth", "payments")))


# -- garbage collection pressure --------------------------------------------------------------
HEAP_COMMITS = ("Preload product embeddings into memory at start-up",
                "Keep per-tenant pricing tables in a process-wide cache",
                "Buffer analytics events in memory before flushing")


def inject_gc_pressure(world: World, target: str, params: dict[str, Any]) -> Truth:
    comp = world.topology[target]
    limit = world.head.services[target].mem_limit_mb
    frac = float(params.get("heap_frac", 0.99))
    extra = max(0.0, frac * limit / comp.mem_base_mb - 1.0) * 100.0
    rid = bad_release(world, target, {"mem_extra_pct": round(extra, 1)},
                      pick(world, HEAP_COMMITS, noise.sid(target)))
    prev = previous_release(world, target)
    return Truth(
        "gc_pressure", "compute", "compute/gc_pressure", target, rid,
        path_to_edge(world, target),
        (Evidence("search_logs", lang_token(world, target, GC_WORDS),
                  "the runtime spends its CPU collecting garbage",
                  {"service": target, "level": "WARN"}),
         Evidence("query_metrics", "memory_mb", "working set just under the limit",
                  {"service": target, "metric": "memory_mb", "minutes": 60}),
         Evidence("list_deploys", rid, "the release that grew the heap", {"service": target})),
        (call("set_resources", service=target, memory_mb=limit * 2),),
        params={"need_mb": comp.mem_base_mb * (1 + extra / 100.0), "release": rid},
        team=comp.team,
        alternatives=((call("rollback_deploy", service=target, to_release=prev),),),
        wrong=(WrongFix(call("restart_service", service=target),
                        "the heap refills to the same size within a minute"),
               WrongFix(call("scale_service", service=target,
                             replicas=world.head.services[target].replicas + 1),
                        "one more pod with the same collector overhead")))


def resolved_gc_pressure(world: World, truth: Truth) -> bool:
    limit = world.head.services[truth.component].mem_limit_mb
    heavy = live_behavior(world, truth.component, "mem_extra_pct")
    return not heavy or truth.params["need_mb"] / limit < 0.78


register(FaultType(
    "gc_pressure", "compute", "compute/gc_pressure",
    "A release grows the heap close to the memory limit; garbage collection eats the CPU",
    "Memory just under the limit without OOM kills, CPU high, latency up, GC warnings "
    "(full pauses, forced collections) in the service's log",
    "Restarting refills the heap; adding a pod spreads load but every pod still collects",
    lambda topo: [n for n in ("catalog", "auth", "app") if n in topo.names],
    inject_gc_pressure, resolved_gc_pressure))
