"""Pod lifecycle in closed form: readiness delay, start-up crashes, OOM kills, back-off.

A pod's history is a sequence of container lives. A life ends when the process exits at
start (bad setting, missing secret, poison message) or when its memory reaches the limit
(OOMKilled). Restarts wait a back-off of 10 s doubling to 300 s, reset after 10 minutes of
healthy running, as in Kubernetes. Everything is a function of (pod, service, t).
"""

from __future__ import annotations

from typing import Any

from ..state import Pod, Service
from ..topology import Component
from .snapshot import PodStatus

CRASH_RUNTIME_S = 3.0
OOM_START_RUNTIME_S = 20.0
MAX_BACKOFF_S = 300.0

_INT_KEYS = ("_THREADS", "_POOL_SIZE", "_TIMEOUT_MS", "_RETRIES", "_S", "BATCH_SIZE", "_RPS",
             "WORKER_CONNECTIONS")
_LOG_LEVELS = {"debug", "info", "warning", "error"}
_REDIS_POLICIES = {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
                   "volatile-lfu", "volatile-random", "volatile-ttl"}


def startup_failure(comp: Component, svc: Service, behavior: dict[str, Any],
                    required: dict[str, object]) -> str | None:
    """Why a fresh process of this service exits during start-up, if it does."""
    if "crash_on_start" in behavior:
        return str(behavior["crash_on_start"])
    cfg = svc.config
    for key in required:
        if key not in cfg:
            return f"KeyError: required setting '{key}' is not set"
    for key, value in cfg.items():
        if key.endswith(_INT_KEYS) and not (isinstance(value, int) and not isinstance(value, bool)
                                              and value >= 0):
            return f"ValueError: invalid literal for int() with base 10: '{value}' ({key})"
    level = cfg.get("LOG_LEVEL")
    if level is not None and level not in _LOG_LEVELS:
        return f"ValueError: Unknown level: '{level}' (LOG_LEVEL)"
    if comp.kind == "redis":
        return _redis_config_error(cfg)
    return None


def _redis_config_error(cfg: dict[str, Any]) -> str | None:
    """Redis refuses to start on a directive it cannot parse, as redis-server does."""
    policy = cfg.get("maxmemory-policy")
    if policy is not None and policy not in _REDIS_POLICIES:
        return (f"*** FATAL CONFIG FILE ERROR (Redis 7.2.4) *** 'maxmemory-policy \"{policy}\"' "
                f"Invalid maxmemory policy")
    mem = str(cfg.get("maxmemory", "0")).strip().lower()
    if not mem.rstrip("kmgb").replace(".", "", 1).isdigit():
        return (f"*** FATAL CONFIG FILE ERROR (Redis 7.2.4) *** 'maxmemory \"{mem}\"' "
                f"argument couldn't be parsed into an integer")
    return None


def _backoff(k: int) -> float:
    return min(10.0 * (2 ** k), MAX_BACKOFF_S)


def pod_status(comp: Component, svc: Service, pod: Pod, behavior: dict[str, Any],
               t: float, fail: str | None) -> PodStatus:
    """The state of ``pod`` at ``t`` given why its process exits at start (if it does)."""
    if pod.deleted_at is not None and t >= pod.deleted_at:
        return PodStatus(pod.name, pod.node, pod.release, "Terminated", False, 0, 0.0, t)
    limit = float(svc.mem_limit_mb)
    base = comp.mem_base_mb * (1.0 + float(behavior.get("mem_extra_pct", 0.0)) / 100.0)
    leak = float(behavior.get("leak_mb_per_min", 0.0)) / 60.0
    if fail is None and base >= limit:
        fail, run = "OOMKilled", OOM_START_RUNTIME_S
    elif fail is not None:
        run = CRASH_RUNTIME_S
    elif leak > 0:
        fail, run = "OOMKilled", (limit - base) / leak
    else:
        run = float("inf")
    elapsed = t - pod.created_at
    start, restarts, k, last_exit = 0.0, 0, 0, None
    while start + run <= elapsed:
        last_exit = start + run
        k = 0 if run >= 600 else k
        start = last_exit + _backoff(k)
        k += 1
        restarts += 1
        if start > elapsed:
            started = pod.created_at + last_exit
            return PodStatus(pod.name, pod.node, pod.release, "CrashLoopBackOff", False, restarts,
                             0.0, started, _reason(fail), pod.created_at + last_exit, fail)
    age = elapsed - start
    ready = age >= pod.ready_delay and (run == float("inf") or run > pod.ready_delay)
    mem = base + leak * age if fail != "OOMKilled" or run > OOM_START_RUNTIME_S else base
    if run <= OOM_START_RUNTIME_S and fail == "OOMKilled":
        mem = limit
    return PodStatus(pod.name, pod.node, pod.release, "Running", ready, restarts,
                     min(mem, limit), pod.created_at + start,
                     _reason(fail) if restarts else None,
                     pod.created_at + last_exit if last_exit is not None else None,
                     fail if restarts else None)


def holds_still(comp: Component, svc: Service, behavior: dict[str, Any],
                fail: str | None) -> bool:
    """Whether a pod's status stops changing once it is ready: its process never exits
    and its memory does not grow (``pod_status`` is then the same at every later instant)."""
    if fail is not None:
        return False
    base = comp.mem_base_mb * (1.0 + float(behavior.get("mem_extra_pct", 0.0)) / 100.0)
    leak = float(behavior.get("leak_mb_per_min", 0.0)) / 60.0
    return base < float(svc.mem_limit_mb) and leak == 0.0


def _reason(fail: str | None) -> str:
    return "OOMKilled" if fail == "OOMKilled" else "Error"
