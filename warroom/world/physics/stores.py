"""Datastores and externals: PostgreSQL, Redis, the queue and the payment provider.

Each function turns one store's state plus the load offered to it into what its clients see.
PostgreSQL: CPU queueing, lock waits from open transactions, missing indexes, bloat, disk,
connection slots and replica lag. Redis: hit ratio (cold after restart, evictions, TTL).
Queue: depth integrates publish minus consume. Provider: status, rate limit, credentials.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..state import Cache, Database, Edge, Provider, State, Table, Topic
from ..topology import Topology

STATEMENT_TIMEOUT_MS = 30000.0
LOCK_TIMEOUT_MS = 10000.0
CACHE_WARMUP_S = 300.0
WRITE_SHARE = 0.6
CATCH_UP_S_PER_MIN = 300.0
STALE_READ_LAG_S = 30.0
MISS_COST = 20.0  # a cache miss runs the query the cache was shielding: dearer than average
PREFILL_RETRY_SHARE = 0.5  # of its pool a pod failing its pool warm-up holds while retrying
PREFILL_REFUSED = ("FATAL:  sorry, too many clients already (DB pool warm-up before "
                   "readiness)")


@dataclass(slots=True)
class DbView:
    """PostgreSQL as one client service sees it."""

    latency_ms: float
    fail: float
    cause: str


def cache_hit_ratio(cache: Cache, config: dict[str, object], t: float) -> float:
    """Steady hit ratio, lowered right after a restart, by evictions and by a short TTL."""
    if not cache.up or not cache.password_valid:
        return 0.0
    h = cache.warm_hit_ratio * (1.0 - math.exp(-(t - cache.restarted_at) / CACHE_WARMUP_S))
    maxmem = parse_mb(config.get("maxmemory", "6gb"))
    if cache.keyspace_mb > maxmem:
        h *= maxmem / cache.keyspace_mb
    ttl = float(config.get("default_ttl_s", 600))  # type: ignore[arg-type]
    if ttl < 600:
        h *= (max(ttl, 1.0) / 600.0) ** 0.5
    return max(0.0, min(h, 0.999))


def parse_mb(value: object) -> float:
    """Redis memory sizes (``6gb``, ``512mb``, bytes) in MB; 0 when unparseable."""
    s = str(value).strip().lower()
    try:
        for suffix, mult in (("gb", 1024.0), ("mb", 1.0), ("kb", 1 / 1024)):
            if s.endswith(suffix):
                return float(s[: -len(suffix)]) * mult
        return float(s) / (1024 * 1024)
    except ValueError:
        return 0.0


def locked_tables(db: Database) -> set[str]:
    return {tx.locks.split(" on ")[-1] for tx in db.transactions if " on " in tx.locks}


def query_cost_mult(db: Database, service: str) -> tuple[float, float]:
    """(cost multiplier, share blocked by locks) for one client's query mix."""
    locked = locked_tables(db)
    total = cost = blocked = 0.0
    for q in db.queries.values():
        if q.service != service:
            continue
        table = db.tables.get(q.table)
        mult = 1.0
        if q.index_on and table is not None and q.index_on not in table.indexes:
            mult *= seq_scan_cost(table)
        if table is not None and table.dead_pct > 20.0:
            mult *= 100.0 / max(100.0 - table.dead_pct, 1.0)  # scans wade through dead rows
        total += q.calls_share
        cost += q.calls_share * mult
        if q.table in locked:
            blocked += q.calls_share
    if total <= 0:
        return 1.0, 0.0
    return cost / total, blocked / total


def seq_scan_cost(table: Table) -> float:
    """How much dearer a lookup gets without its index: a scan grows with the table."""
    return 40.0 * max(1.0, (table.rows / 1e6) ** 0.5)


def disk_used_gb(db: Database, since: float, t: float) -> float:
    """Data volume used: the checkpointed value plus steady growth plus open bulk writes."""
    rate = db.disk_growth_gb_per_h + sum(tx.write_gb_per_h for tx in db.transactions)
    return db.disk_used_gb + rate * max(t - since, 0.0) / 3600.0


def replica_serving(db: Database, config: dict[str, object]) -> bool:
    """A standby answers reads only while it is up and ``hot_standby`` is on."""
    return db.replica_up and config.get("hot_standby", "on") == "on"


def replica_lag_s(db: Database, since: float, t: float, primary: Database | None = None) -> float:
    """Replay lag grows while something holds replay back (a conflicting query on the
    standby, a stalled receiver) or while a session on the ``primary`` writes WAL faster
    than the standby replays it, and catches up at ``CATCH_UP_S_PER_MIN`` otherwise."""
    growth = db.replica_lag_growth_s_per_min + sum(tx.lag_s_per_min for tx in db.transactions)
    if primary is not None:
        growth += sum(tx.lag_s_per_min for tx in primary.transactions)
    if growth <= 0:
        growth = -CATCH_UP_S_PER_MIN
    return max(0.0, db.replica_lag0_s + growth * (t - since) / 60.0)


def prefill_fit(topo: Topology, st: State, service: str, db: str) -> int:
    """How many pods of ``service`` can open their whole DB pool (``DB_POOL_PREFILL``) in the
    connection slots of ``db`` that its other clients leave (each holding at least half of
    its pool, as in the database's own accounting)."""
    max_conn = float(st.services[db].config.get("max_connections", 300))
    others = sum(st.services[c].replicas * float(st.services[c].config.get("DB_POOL_SIZE", 10))
                 * 0.5 for c in topo.callers_of(db) if c != service)
    others += len(st.databases[db].transactions)
    pool = float(st.services[service].config.get("DB_POOL_SIZE", 10))
    return max(0, int((max_conn - others) // max(pool, 1.0)))


def broken_share(db: Database, service: str) -> tuple[float, str]:
    """Share of a client's statements that name a column renamed away, and one such column."""
    total = broken = 0.0
    column = ""
    for q in db.queries.values():
        if q.service != service:
            continue
        total += q.calls_share
        table = db.tables.get(q.table)
        for old in (table.renamed if table is not None else {}):
            if re.search(rf"\b{re.escape(old)}\b", q.text):
                broken += q.calls_share
                column = old
                break
    return (broken / total if total > 0 else 0.0), column


def queue_depth(topic: Topic, publish_rps: float, consume_rps: float, t: float) -> float:
    return max(0.0, topic.depth0 + (publish_rps - consume_rps) * max(t - topic.depth0_at, 0.0))


def provider_view(p: Provider, rps: float, t: float, expires_at: float | None = None
                  ) -> tuple[float, dict[str, float]]:
    """(latency ms, failing fraction by cause) of calls to the provider at rate ``rps``,
    made with an API key that expires at ``expires_at`` (default: the account's)."""
    causes: dict[str, float] = {}
    if t >= (p.credentials_expire_at if expires_at is None else expires_at):
        causes["provider_401"] = 1.0
        return 40.0, causes
    if p.error_pct > 0:
        causes["provider_5xx"] = p.error_pct / 100.0
    if rps > p.rate_limit_rps > 0:
        causes["provider_429"] = (1.0 - p.rate_limit_rps / rps) * (1.0 - p.error_pct / 100.0)
    return p.latency_ms, causes


def cert_expiry(edge: Edge, config: dict[str, object]) -> float:
    """When the certificate the edge serves expires: the one in its ``TLS_SECRET``."""
    return edge.certs.get(str(config.get("TLS_SECRET")), edge.cert_expires_at)


def upstream_weights(edge: Edge, config: dict[str, object]) -> dict[str, int]:
    """Edge pool weights: ``UPSTREAM_WEIGHT_<POOL>`` settings over the pools' defaults."""
    out = {}
    for name, up in edge.upstreams.items():
        w = config.get(f"UPSTREAM_WEIGHT_{name.upper().replace('-', '_')}", up.weight)
        out[name] = w if isinstance(w, int) and not isinstance(w, bool) and w >= 0 else 0
    return out
