"""PostgreSQL administration views, as psql prints them: EXPLAIN, index usage, replication,
connections by client, settings, table statistics, disk, pg_cron jobs, wait events and
long transactions. Every figure comes from the database state and the solved metrics.
"""

from __future__ import annotations

from typing import Any

from ...world.physics.stores import (
    disk_used_gb,
    locked_tables,
    replica_serving,
    seq_scan_cost,
)
from ...world.telemetry import fmt
from ...world.world import World
from ..registry import READ, ToolError, ToolOutput, tool
from .database import _db, statement_rows

PG_DEFAULTS: dict[str, object] = {
    "max_connections": 100, "statement_timeout": "0", "lock_timeout": "10s",
    "autovacuum": "on", "hot_standby": "on", "shared_buffers": "8GB", "work_mem": "16MB",
    "wal_level": "replica", "max_wal_senders": 10, "idle_in_transaction_session_timeout": "0"}


def psql(headers: list[str], rows: list[list[Any]]) -> str:
    """A result set the way psql prints it (aligned, with a row count)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: " " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    out = [line(cells[0]).rstrip(), "-" + "-+-".join("-" * w for w in widths) + "-"]
    out += [line(r).rstrip() for r in cells[1:]]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _primary(world: World) -> str:
    return world.topology.kind_of("postgres")[0]


@tool("database", READ, cost_s=6)
def db_explain(world: World, queryid: str, database: str | None = None) -> ToolOutput:
    """EXPLAIN (ANALYZE) one statement from pg_stat_statements: the plan, the index it
    uses or the sequential scan it falls back to, rows and timing.

    Args:
        queryid: a queryid from db_slow_queries, e.g. q_ord_by_user.
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    if queryid not in db.queries:
        raise ToolError(f"unknown queryid {queryid!r} on {name}; valid: "
                        f"{', '.join(sorted(db.queries))}")
    q = db.queries[queryid]
    row = next(r for r in statement_rows(world, name) if r["queryid"] == queryid)
    table = db.tables.get(q.table)
    rows = table.rows if table else 1000
    if q.text.startswith(("INSERT", "UPDATE")):
        node = f"{q.text.split()[0].title()} on {q.table}"
        plan = [f"{node}  (cost=0.00..0.01 rows=0 width=0) (actual time=0.05..{row['mean_ms']:.3f}"
                f" rows=0 loops=1)"]
        scan = "modify"
    elif q.index_on and table is not None and q.index_on not in table.indexes:
        cost = rows * 0.012 * seq_scan_cost(table) / 40
        plan = [f"Limit  (cost=0.00..{cost:.2f} rows=20 width=96) (actual time="
                f"{row['mean_ms'] * 0.9:.3f}..{row['mean_ms']:.3f} rows=20 loops=1)",
                f"  ->  Seq Scan on {q.table}  (cost=0.00..{cost:.2f} rows={rows // 50000 + 20}"
                f" width=96) (actual rows=20 loops=1)",
                f"        Filter: ({q.text.split('WHERE ')[-1].split(' ')[0]} = $1)",
                f"        Rows Removed by Filter: {rows - 20}"]
        scan = "seq"
    else:
        index = q.index_on or (table.indexes[0] if table and table.indexes else f"{q.table}_pkey")
        plan = [f"Index Scan using {index} on {q.table}  (cost=0.43..8.45 rows=20 width=96) "
                f"(actual time=0.02..{row['mean_ms']:.3f} rows=20 loops=1)",
                f"  Index Cond: ({q.text.split('WHERE ')[-1].split(' ')[0]} = $1)"]
        scan = "index"
    if q.table in locked_tables(db):
        plan.append(f"  (waited on lock: relation {q.table})")
    text = (f"{name}=# EXPLAIN ANALYZE {q.text};\n" + "\n".join(plan) +
            f"\nExecution Time: {row['mean_ms']:.3f} ms")
    return ToolOutput(text, {"queryid": queryid, "table": q.table, "scan": scan,
                             "index": q.index_on, "mean_ms": row["mean_ms"]})


@tool("database", READ, cost_s=5)
def db_index_usage(world: World, database: str | None = None) -> ToolOutput:
    """Show index and sequential-scan use per table over the last hour (like
    pg_stat_user_indexes and pg_stat_user_tables.seq_scan).

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    calls = {r["queryid"]: r["calls_1h"] for r in statement_rows(world, name)}
    rows, data = [], []
    for t in sorted(db.tables.values(), key=lambda t: t.name):
        seq = idx_total = 0
        per_index = {ix: 0 for ix in t.indexes}
        for q in db.queries.values():
            if q.table != t.name:
                continue
            n = calls.get(q.queryid, 0)
            if q.index_on and q.index_on not in t.indexes:
                seq += n
            elif q.index_on:
                per_index[q.index_on] += n
                idx_total += n
            elif t.indexes:
                per_index[t.indexes[0]] += n
                idx_total += n
        for ix, n in per_index.items():
            rows.append([t.name, ix, n, seq])
        data.append({"table": t.name, "seq_scan_1h": seq, "idx_scan_1h": idx_total,
                     "indexes": per_index})
    return ToolOutput(psql(["relname", "indexrelname", "idx_scan", "seq_scan(table)"], rows),
                      data)


@tool("database", READ, cost_s=5)
def db_replication(world: World) -> ToolOutput:
    """Show streaming replication: each standby's state, replay lag and whether it serves
    reads (like pg_stat_replication on the primary and pg_stat_wal_receiver)."""
    snap = world.snapshot()
    primary = _primary(world)
    rows, data = [], []
    for name, db in world.head.databases.items():
        if db.replica_of is None:
            continue
        cfg = world.head.services[name].config
        up = db.replica_up and snap[name].ready > 0
        lag = snap[name].extra.get("replication_lag_s", 0.0) if up else None
        state = "streaming" if up else "-"
        lsn = 0x3A000000 + int(world.now * 4096)
        replay = lsn - int((lag or 0.0) * 4096 * 8)
        serving = replica_serving(db, cfg) and up
        rows.append([name, state, f"{lsn >> 24:X}/{lsn & 0xFFFFFF:06X}",
                     f"{replay >> 24:X}/{replay & 0xFFFFFF:06X}" if up else "",
                     f"{lag:.1f} s" if lag is not None else "", cfg.get("hot_standby", "on"),
                     "yes" if serving else "no"])
        data.append({"standby": name, "primary": db.replica_of, "state": state,
                     "replay_lag_s": round(lag, 1) if lag is not None else None,
                     "hot_standby": cfg.get("hot_standby", "on"), "serving_reads": serving})
    if not rows:
        return ToolOutput(f"{primary}: no standbys attached (pg_stat_replication is empty)", [])
    return ToolOutput(f"{primary}=# SELECT * FROM pg_stat_replication;\n" + psql(
        ["application_name", "state", "sent_lsn", "replay_lsn", "replay_lag", "hot_standby",
         "serving_reads"], rows), data)


@tool("database", READ, cost_s=5)
def db_connections(world: World, database: str | None = None) -> ToolOutput:
    """Connections by client application: ready pods, pool size per pod, connections in
    use and waiting, against max_connections.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    snap = world.snapshot()
    m = snap[name]
    rows, data = [], []
    for caller in world.topology.callers_of(name):
        cm = snap[caller]
        pool = world.head.services[caller].config.get("DB_POOL_SIZE", 20)
        pool = pool if isinstance(pool, int) and not isinstance(pool, bool) else 0
        in_use = min(cm.pool_in_use, pool * cm.ready)
        rows.append([caller, cm.ready, pool, pool * cm.ready, round(in_use),
                     round(cm.pool_waiting)])
        data.append({"application": caller, "pods": cm.ready, "pool_size": pool,
                     "max_client_connections": pool * cm.ready, "in_use": round(in_use, 1),
                     "waiting": round(cm.pool_waiting, 1)})
    db = world.head.databases[name]
    for tx in db.transactions:
        rows.append([tx.application, 1, "-", 1, 1, 0])
        data.append({"application": tx.application, "pods": 1, "pool_size": None,
                     "max_client_connections": 1, "in_use": 1, "waiting": 0})
    head = (f"{name}: {m.extra.get('connections', 0):.0f} of max_connections "
            f"{m.extra.get('max_connections', 0):.0f} in use; clients want "
            f"{m.extra.get('connections_wanted', 0):.0f}")
    return ToolOutput(head + "\n" + psql(["application_name", "pods", "pool_size",
                                          "max_conns", "in_use", "waiting"], rows),
                      {"database": name, "clients": data,
                       "max_connections": m.extra.get("max_connections", 0)})


@tool("database", READ, cost_s=3)
def db_settings(world: World, database: str | None = None, name: str | None = None
                ) -> ToolOutput:
    """Show server settings (like SHOW ALL / pg_settings): value and where it was set.

    Args:
        database: database component (default: the primary).
        name: only this setting, e.g. max_connections.
    """
    db = _db(world, database)
    cfg = world.head.services[db].config
    merged = {**PG_DEFAULTS, **{k: v for k, v in cfg.items() if k != "disk_gb"}}
    if name is not None and name not in merged:
        raise ToolError(f"unrecognized configuration parameter {name!r}; valid: "
                        f"{', '.join(sorted(merged))}")
    keys = [name] if name else sorted(merged)
    rows = [[k, merged[k], "configuration file" if k in cfg else "default"] for k in keys]
    return ToolOutput(psql(["name", "setting", "source"], rows),
                      {k: merged[k] for k in keys})


@tool("database", READ, cost_s=4)
def db_table_stats(world: World, database: str | None = None) -> ToolOutput:
    """Show per-table statistics (like pg_stat_user_tables): live and dead tuples, dead
    share, size and last autovacuum.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    rows, data = [], []
    for t in sorted(db.tables.values(), key=lambda t: -t.dead_pct):
        dead = int(t.rows * t.dead_pct / 100)
        rows.append([t.name, t.rows, dead, f"{t.dead_pct:.1f}", f"{t.size_gb:.1f} GB",
                     fmt.iso(world.wallclock(t.last_autovacuum))])
        data.append({"relname": t.name, "n_live_tup": t.rows, "n_dead_tup": dead,
                     "dead_pct": round(t.dead_pct, 1), "size_gb": t.size_gb,
                     "last_autovacuum": fmt.iso(world.wallclock(t.last_autovacuum))})
    return ToolOutput(psql(["relname", "n_live_tup", "n_dead_tup", "dead_pct", "size",
                            "last_autovacuum"], rows), data)


@tool("database", READ, cost_s=4)
def db_disk_usage(world: World, database: str | None = None) -> ToolOutput:
    """Show the data volume (like df -h on the data directory): size, used, available,
    growth over the last hour, and the largest tables.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    size = float(world.head.services[name].config.get("disk_gb", 500))
    used = min(size, disk_used_gb(db, world.head.since, world.now))
    before = world.snapshot(max(0.0, world.now - 3600))[name].extra.get("disk_used_gb", used)
    growth = used - before
    lines = ["Filesystem      Size  Used  Avail Use% Mounted on",
             f"/dev/nvme1n1  {size:5.0f}G {used:5.0f}G {size - used:5.0f}G {used / size:4.0%} "
             f"/var/lib/postgresql/data",
             f"growth last 1h: {growth:+.1f} GB",
             "largest relations:"]
    for t in sorted(db.tables.values(), key=lambda t: -t.size_gb)[:5]:
        lines.append(f"  {t.name:<16} {t.size_gb:6.1f} GB")
    return ToolOutput("\n".join(lines), {"database": name, "size_gb": size,
                                         "used_gb": round(used, 1),
                                         "growth_gb_1h": round(growth, 2),
                                         "used_pct": round(used / size, 3)})


@tool("database", READ, cost_s=4)
def db_cron_jobs(world: World, database: str | None = None) -> ToolOutput:
    """List pg_cron jobs (cron.job) with schedule, owner, command, whether active and
    whether a run is going now with its share of database CPU.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    rows, data = [], []
    for j in sorted(db.jobs.values(), key=lambda j: j.name):
        running = j.enabled and j.db_cpu_share > 0
        rows.append([j.name, j.schedule, j.owner, "t" if j.enabled else "f",
                     "running" if running else "idle",
                     f"{j.db_cpu_share:.0%}" if running else "-", j.command[:50]])
        data.append({"jobname": j.name, "schedule": j.schedule, "owner": j.owner,
                     "active": j.enabled, "running": running,
                     "cpu_share": round(j.db_cpu_share, 3) if running else 0.0,
                     "command": j.command})
    return ToolOutput(psql(["jobname", "schedule", "username", "active", "status", "db_cpu",
                            "command"], rows), data)


@tool("database", READ, cost_s=4)
def db_wait_events(world: World, database: str | None = None) -> ToolOutput:
    """Summarize what backends wait on (wait_event_type and wait_event, like sampling
    pg_stat_activity): lock waits, CPU, client reads of idle transactions, I/O.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    m = world.snapshot()[name]
    locked = locked_tables(db)
    waits: dict[tuple[str, str], float] = {}
    active = m.rps * m.mean_ms / 1000.0
    blocked = sum(q.calls_share for q in db.queries.values() if q.table in locked)
    share = blocked / max(sum(q.calls_share for q in db.queries.values()), 1e-9)
    waits[("Lock", "relation")] = active * share
    waits[("CPU", "-")] = active * (1 - share) * m.cpu_util
    waits[("IO", "DataFileRead")] = active * (1 - share) * (1 - m.cpu_util)
    waits[("Client", "ClientRead")] = float(sum(1 for tx in db.transactions
                                                if "idle" in tx.state))
    rows = [[k[0], k[1], f"{v:.1f}"] for k, v in sorted(waits.items(), key=lambda kv: -kv[1])]
    return ToolOutput(psql(["wait_event_type", "wait_event", "backends(avg)"], rows),
                      [{"wait_event_type": k[0], "wait_event": k[1], "backends": round(v, 2)}
                       for k, v in sorted(waits.items(), key=lambda kv: -kv[1])])


@tool("database", READ, cost_s=4)
def db_long_transactions(world: World, database: str | None = None, min_seconds: int = 60
                         ) -> ToolOutput:
    """List transactions open longer than a threshold: pid, user, application, state,
    age, locks held and the query.

    Args:
        database: database component (default: the primary).
        min_seconds: minimum transaction age in seconds (1-86400).
    """
    if not 1 <= min_seconds <= 86400:
        raise ToolError(f"min_seconds must be between 1 and 86400, got {min_seconds}")
    name = _db(world, database)
    txs = [tx for tx in world.head.databases[name].transactions
           if world.now - tx.started_at >= min_seconds]
    txs.sort(key=lambda tx: (tx.started_at, tx.pid))
    rows = [[tx.pid, tx.user, tx.application, tx.state, fmt.ago(world.now - tx.started_at),
             tx.locks or "-", tx.query[:50]] for tx in txs]
    return ToolOutput(psql(["pid", "usename", "application_name", "state", "xact_age",
                            "locks", "query"], rows),
                      [{"pid": tx.pid, "usename": tx.user, "application_name": tx.application,
                        "state": tx.state, "xact_age_s": int(world.now - tx.started_at),
                        "locks": tx.locks, "query": tx.query} for tx in txs])
