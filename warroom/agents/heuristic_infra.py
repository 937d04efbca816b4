"""The heuristic's signatures for configuration, database and capacity incidents.

Same contract as ``heuristic_signs``: read ``Notes`` (tool outputs only), propose
``Hypothesis`` objects. A setting is repaired by copying the value a sibling service uses
for the same key, the way an on-call engineer would when no runbook gives the value.
"""

from __future__ import annotations

import re
from typing import Any

from ..types import ToolCall
from .heuristic_signs import Hypothesis, Notes

DB_ERRORS = ("too many clients", "No space left", "could not extend file", "statement timeout",
             "lock timeout", "does not exist", "record not found", "NotFoundError",
             "Hot standby")


def sibling_value(n: Notes, service: str, key: str) -> Any:
    """The value another service's live config has for ``key`` (None when unseen)."""
    for other, cfg in n.configs.items():
        if other != service and key in cfg and cfg[key] not in (None, ""):
            return cfg[key]
    return None


def key_with_value(cfg: dict[str, Any], value: str, suffix: str = "") -> str | None:
    for k, v in sorted(cfg.items()):
        if k.endswith(suffix) and str(v) == value:
            return k
    return None


def sign_crash_setting(n: Notes) -> list[Hypothesis]:
    out = []
    for svc in n.components:
        text = n.text_of(svc)
        m = re.search(r"required setting '(\w+)' is not set", text) or \
            re.search(r"(?:Traceback|fatal:).*\((\w+)\)\s*$", text, re.M)
        if not m:
            continue
        key = m.group(1)
        missing = "is not set" in m.group(0)
        value = sibling_value(n, svc, key)
        fixes = [ToolCall("set_config", {"service": svc, "key": key, "value": value}),
                 ToolCall("restart_service", {"service": svc})] if value is not None else []
        out.append(Hypothesis(0.85, svc, ("missing_secret", "secret") if missing else
                              ("crash_loop", "crash"), key, fixes,
                              [ToolCall("get_config", {"service": svc})],
                              why=f"pods crash at start-up on setting {key}"))
    return out


def sign_dependency_setting(n: Notes) -> list[Hypothesis]:
    """A wrong host/port or a client timeout far too low for a dependency."""
    out = []
    for svc, cfg in n.configs.items():
        text = n.text_of(svc)
        host = re.search(r"Connection refused \(([^)]+)\)|connection refused|lookup ([\w.-]+): "
                         r"no such host|Name or service not known \('([^']+)'\)", text)
        if host:
            shown = next((g for g in host.groups() if g), "")
            key = next((k for k, v in sorted(cfg.items()) if k.endswith("_HOST") and shown
                        and str(v).startswith(shown.split(":")[0]) and str(v) == shown), None) \
                or next((k for k, v in sorted(cfg.items()) if k.endswith("_HOST")
                         and shown and shown.split(":")[0] in str(v)), None)
            value = sibling_value(n, svc, key) if key else None
            if key:
                out.append(Hypothesis(0.8, svc, ("dependency_host", "host", "dns"), key,
                                      [ToolCall("set_config", {"service": svc, "key": key,
                                                               "value": value})]
                                      if value is not None and value != cfg.get(key) else [],
                                      why=f"{key} points at the wrong address"))
        tmo = re.search(r"Client\.Timeout (\d+)ms|timed out after (\d+)ms|after (\d+)ms", text)
        if tmo:
            ms = next(g for g in tmo.groups() if g)
            key = key_with_value(cfg, ms, "_TIMEOUT_MS")
            if key and int(ms) < 200:
                out.append(Hypothesis(0.8, svc, ("timeout",), key,
                                      [ToolCall("set_config", {"service": svc, "key": key,
                                                               "value": 2000})],
                                      why=f"{key}={ms} ms is far below the dependency's "
                                          f"latency"))
    return out


def sign_pool_setting(n: Notes) -> list[Hypothesis]:
    """A connection pool set tiny (by a person, or reverted by a fleet agent)."""
    out = []
    for svc, cfg in n.configs.items():
        size = cfg.get("DB_POOL_SIZE")
        if not isinstance(size, int) or size > 4 or "pool" not in n.text_of(svc).lower():
            continue
        revert = next((a for a in n.fleet if a["target"] in (svc, "all")
                       and re.search(r"DB_POOL_SIZE: (\d+) -> (\d+)", a["detail"])), None)
        if revert is not None:
            old = int(re.findall(r"DB_POOL_SIZE: (\d+) ->", revert["detail"])[0])
            out.append(Hypothesis(0.9, svc, ("config_sync", "rogue_agent"), revert["agent"],
                                  [ToolCall("pause_agent", {"agent": revert["agent"],
                                                            "reason": "reverted a pool fix"}),
                                   ToolCall("set_config", {"service": svc, "key":
                                                           "DB_POOL_SIZE", "value": old})],
                                  why=f"{revert['agent']} set DB_POOL_SIZE to {size}"))
        else:
            out.append(Hypothesis(0.8, svc, ("pool_size", "pool"), "DB_POOL_SIZE",
                                  [ToolCall("set_config", {"service": svc, "key":
                                                           "DB_POOL_SIZE", "value": 20})],
                                  why=f"DB_POOL_SIZE={size} is too small"))
    return out


def _primary(n: Notes) -> str:
    return next((c for c, v in n.components.items() if v["kind"] == "postgres"
                 and "replica" not in c), "")


def sign_database(n: Notes) -> list[Hypothesis]:
    seen = "\n".join(n.text_of(s) for s in n.components)
    db = _primary(n)
    cfg = n.configs.get(db, {})
    out = []
    if "too many clients" in seen:
        limit = cfg.get("max_connections")
        fixes = [ToolCall("set_config", {"service": db, "key": "max_connections",
                                         "value": int(limit) * 3})] \
            if isinstance(limit, int) else []
        out.append(Hypothesis(0.75, db, ("max_connections",), "max_connections", fixes,
                              why="clients refused: too many connections"))
    for pattern, words, why in (("No space left|could not extend", ("disk_full", "disk"),
                                 "the data volume is full"),
                                (r"statement timeout", ("runaway_job", "job"),
                                 "a long-running session starves the database")):
        if not re.search(pattern, seen):
            continue
        rows = [r for r in n.activity.get(db, []) if r.get("pid") or str(
            r.get("application", "")).startswith(("cron:", "pg_cron"))]
        rows.sort(key=lambda r: -(r.get("xact_age_s") or 0))
        row = next((r for r in rows if r.get("pid")), None)
        out.append(Hypothesis(0.7, db, words, str(row.get("application")) if row else None,
                              [ToolCall("kill_query", {"pid": row["pid"], "database": db})]
                              if row else [], why=why))
    replica = next((c for c, v in n.components.items() if v["kind"] == "postgres"
                    and "replica" in c), None)
    if replica and re.search("Hot standby mode is disabled", seen):
        out.append(Hypothesis(0.85, replica, ("replica_down", "replica"), "hot_standby",
                              [ToolCall("set_config", {"service": replica, "key": "hot_standby",
                                                       "value": "on"}),
                               ToolCall("restart_service", {"service": replica})],
                              why="the standby refuses reads"))
    elif replica and re.search("record not found|NotFoundError", seen):
        rows = sorted((r for r in n.activity.get(replica, []) if r.get("pid")),
                      key=lambda r: -(r.get("xact_age_s") or 0))
        out.append(Hypothesis(0.7, replica, ("replica_lag", "replica"),
                              str(rows[0]["pid"]) if rows else None,
                              [ToolCall("kill_query", {"pid": rows[0]["pid"],
                                                       "database": replica})] if rows else [],
                              why="reads miss fresh rows: the replica lags"))
    return out


def sign_scaled_to_zero(n: Notes) -> list[Hypothesis]:
    out = []
    for e in n.events:
        m = re.search(r"scaled from (\d+) to 0 replicas", e["message"])
        svc = e["object"].split("/", 1)[-1]
        if m and svc in n.components:
            out.append(Hypothesis(0.9, svc, ("scaled_to_zero", "capacity"), None,
                                  [ToolCall("scale_service", {"service": svc,
                                                              "replicas": int(m.group(1))})],
                                  why="the deployment was scaled to zero"))
    return out


def wants_db_reads(n: Notes) -> bool:
    seen = "\n".join(n.text_of(s) for s in n.components)
    return any(p in seen for p in DB_ERRORS)


def config_suspects(n: Notes) -> list[str]:
    """Services whose errors name a setting, a host, a timeout or a small pool."""
    out = []
    for svc in n.components:
        text = n.text_of(svc)
        if re.search(r"required setting|\(\w+\)\s*$|Connection refused|connection refused|"
                     r"no such host|Name or service|Client\.Timeout|timed out after|"
                     r"QueuePool limit of size [1-4] |maintenance mode|rate limit exceeded",
                     text, re.M):
            out.append(svc)
    if "too many clients" in "\n".join(n.text_of(s) for s in n.components):
        out.append(_primary(n))
    return out


SIGNS = (sign_crash_setting, sign_dependency_setting, sign_pool_setting, sign_database,
         sign_scaled_to_zero)
