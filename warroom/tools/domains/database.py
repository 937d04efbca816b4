"""PostgreSQL: activity, statement statistics, locks, read-only SQL, and cancelling a backend.

``run_sql`` runs on an in-memory SQLite database whose tables mirror PostgreSQL's statistics
views (pg_stat_activity, pg_stat_statements, pg_locks, pg_stat_user_tables, pg_indexes) as
they are at this instant. It is read-only: only one SELECT/WITH statement is accepted.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ...world.physics.stores import locked_tables, query_cost_mult
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component
from ..registry import READ, WRITE, ToolError, ToolOutput, tool

MAX_ROWS = 50


def _db(world: World, database: str | None) -> str:
    names = world.topology.kind_of("postgres")
    if database is None:
        return names[0]
    return component(world, database, ("postgres",))


def activity_rows(world: World, name: str) -> list[dict[str, Any]]:
    """pg_stat_activity as rows: one per client application and state, plus open xacts."""
    snap = world.snapshot()
    db = world.head.databases[name]
    rows: list[dict[str, Any]] = []
    for caller in world.topology.callers_of(name):
        m = snap[caller]
        if m.ready == 0:
            continue
        pool = world.head.services[caller].config.get("DB_POOL_SIZE", 20)
        pool = pool if isinstance(pool, int) else 0
        active = min(m.pool_in_use, pool * m.ready)
        idle = max(0.0, min(pool * m.ready, pool * m.ready * 0.5 + active) - active)
        rows.append({"application": caller, "state": "active", "count": round(active)})
        rows.append({"application": caller, "state": "idle", "count": round(idle)})
    for tx in db.transactions:
        rows.append({"application": tx.application, "state": tx.state, "count": 1,
                     "pid": tx.pid, "xact_age_s": int(world.now - tx.started_at),
                     "query": tx.query, "usename": tx.user})
    for job in db.jobs.values():
        if job.enabled and job.db_cpu_share > 0:
            rows.append({"application": f"cron:{job.name}", "state": "active", "count": 1,
                         "query": job.command, "usename": job.owner})
    return rows


@tool("database", READ, cost_s=6)
def db_activity(world: World, database: str | None = None) -> ToolOutput:
    """Show connections by client and state, long transactions and running jobs
    (like pg_stat_activity), with the connection limit.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    m = world.snapshot()[name]
    rows = activity_rows(world, name)
    table = fmt.table(["APPLICATION", "STATE", "COUNT", "PID", "XACT AGE", "QUERY"],
                      [[r["application"], r["state"], r["count"], r.get("pid", ""),
                        fmt.ago(r["xact_age_s"]) if "xact_age_s" in r else "",
                        str(r.get("query", ""))[:60]] for r in rows])
    head = (f"{name}: {m.extra.get('connections', 0):.0f} connections of max_connections="
            f"{m.extra.get('max_connections', 0):.0f} "
            f"(clients want {m.extra.get('connections_wanted', 0):.0f}); "
            f"cpu {m.cpu_util:.0%}; mean query {m.mean_ms:.1f} ms")
    return ToolOutput(head + "\n" + table, {"database": name, "rows": rows,
                                            "connections": m.extra.get("connections", 0)})


def statement_rows(world: World, name: str) -> list[dict[str, Any]]:
    snap = world.snapshot()
    db = world.head.databases[name]
    m = snap[name]
    load = m.mean_ms / max(world.topology[name].base_latency_ms, 0.1)
    rows = []
    for q in db.queries.values():
        _, blocked = query_cost_mult(db, q.service)
        table = db.tables.get(q.table)
        own = 1.0
        if q.index_on and table is not None and q.index_on not in table.indexes:
            own = 40.0
        calls = snap[q.service].served_rps * q.calls_share * 3600 if q.service in snap.components \
            else 0.0
        mean = q.base_ms * own * load * (1 + blocked * 10)
        rows.append({"queryid": q.queryid, "query": q.text, "calls_1h": int(calls),
                     "mean_ms": round(mean, 2), "total_s": round(calls * mean / 1000, 1),
                     "rows_per_call": 1 if "INSERT" in q.text else 20})
    rows.sort(key=lambda r: -r["total_s"])
    return rows


@tool("database", READ, cost_s=6)
def db_slow_queries(world: World, database: str | None = None) -> ToolOutput:
    """Top statements by total time over the last hour (like pg_stat_statements).

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    rows = statement_rows(world, name)
    text = fmt.table(["QUERYID", "CALLS(1h)", "MEAN MS", "TOTAL S", "QUERY"],
                     [[r["queryid"], r["calls_1h"], r["mean_ms"], r["total_s"], r["query"][:70]]
                      for r in rows])
    return ToolOutput(text, rows)


def lock_rows(world: World, name: str) -> list[dict[str, Any]]:
    db = world.head.databases[name]
    locked = locked_tables(db)
    rows = []
    for tx in db.transactions:
        table = tx.locks.split(" on ")[-1] if " on " in tx.locks else ""
        if table not in locked:
            continue
        waiters = [q for q in db.queries.values() if q.table == table]
        rows.append({"blocking_pid": tx.pid, "blocking_app": tx.application,
                     "blocking_state": tx.state, "mode": tx.locks, "relation": table,
                     "held_s": int(world.now - tx.started_at),
                     "waiting_statements": [q.queryid for q in waiters]})
    return rows


@tool("database", READ, cost_s=6)
def db_locks(world: World, database: str | None = None) -> ToolOutput:
    """Show blocking locks: who holds them, for how long, and which statements wait.

    Args:
        database: database component (default: the primary).
    """
    name = _db(world, database)
    rows = lock_rows(world, name)
    if not rows:
        return ToolOutput(f"{name}: no blocking locks.", [])
    text = fmt.table(["BLOCKING PID", "APPLICATION", "STATE", "LOCK", "HELD", "WAITING"],
                     [[r["blocking_pid"], r["blocking_app"], r["blocking_state"], r["mode"],
                       fmt.ago(r["held_s"]), ",".join(r["waiting_statements"])] for r in rows])
    return ToolOutput(text, rows)


def _sqlite(world: World, name: str) -> sqlite3.Connection:
    db = world.head.databases[name]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE pg_stat_activity (pid INT, usename TEXT, application_name TEXT, "
                "state TEXT, xact_age_s INT, query TEXT, connections INT)")
    for i, r in enumerate(activity_rows(world, name)):
        con.execute("INSERT INTO pg_stat_activity VALUES (?,?,?,?,?,?,?)",
                    (r.get("pid", 1000 + i), r.get("usename", "app"), r["application"],
                     r["state"], r.get("xact_age_s"), r.get("query", ""), r["count"]))
    con.execute("CREATE TABLE pg_stat_statements (queryid TEXT, query TEXT, calls INT, "
                "mean_exec_time REAL, total_exec_time REAL)")
    for r in statement_rows(world, name):
        con.execute("INSERT INTO pg_stat_statements VALUES (?,?,?,?,?)",
                    (r["queryid"], r["query"], r["calls_1h"], r["mean_ms"], r["total_s"] * 1000))
    con.execute("CREATE TABLE pg_locks (pid INT, relation TEXT, mode TEXT, granted INT, "
                "held_s INT)")
    for r in lock_rows(world, name):
        con.execute("INSERT INTO pg_locks VALUES (?,?,?,?,?)",
                    (r["blocking_pid"], r["relation"], r["mode"], 1, r["held_s"]))
    con.execute("CREATE TABLE pg_stat_user_tables (relname TEXT, n_live_tup INT, "
                "n_dead_tup INT, size_gb REAL, last_autovacuum TEXT)")
    con.execute("CREATE TABLE pg_indexes (tablename TEXT, indexname TEXT)")
    for t in db.tables.values():
        con.execute("INSERT INTO pg_stat_user_tables VALUES (?,?,?,?,?)",
                    (t.name, t.rows, int(t.rows * t.dead_pct / 100), t.size_gb,
                     fmt.iso(world.wallclock(t.last_autovacuum))))
        for ix in t.indexes:
            con.execute("INSERT INTO pg_indexes VALUES (?,?)", (t.name, ix))
    con.execute("CREATE TABLE cron_job (jobname TEXT, schedule TEXT, command TEXT, "
                "owner TEXT, active INT)")
    for j in db.jobs.values():
        con.execute("INSERT INTO cron_job VALUES (?,?,?,?,?)",
                    (j.name, j.schedule, j.command, j.owner, int(j.enabled)))
    for table, rows in getattr(world, "app_tables", {}).get(name, {}).items():
        if not rows:
            continue
        cols = list(rows[0])
        con.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
        con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(cols))})",
                        [tuple(r[c] for c in cols) for r in rows])
    con.execute("PRAGMA query_only = ON")
    return con


@tool("database", READ, cost_s=10)
def run_sql(world: World, query: str, database: str | None = None) -> ToolOutput:
    """Run one read-only SELECT on SQL views of the database's statistics (pg_stat_activity,
    pg_stat_statements, pg_locks, pg_stat_user_tables, pg_indexes, cron_job) and any
    application tables exposed for investigation.

    Args:
        query: a single SELECT or WITH statement.
        database: database component (default: the primary).
    """
    name = _db(world, database)
    q = query.strip().rstrip(";")
    if not q.lower().startswith(("select", "with")) or ";" in q:
        raise ToolError("run_sql accepts exactly one read-only SELECT or WITH statement")
    con = _sqlite(world, name)
    try:
        cur = con.execute(q)
        cols = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(MAX_ROWS + 1)
    except sqlite3.Error as exc:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        raise ToolError(f"SQL error: {exc}. Tables: {', '.join(tables)}") from None
    finally:
        con.close()
    more = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    text = fmt.table(cols, [list(r) for r in rows]) if cols else "(no columns)"
    text += f"\n({len(rows)} rows{'; more not shown' if more else ''})"
    return ToolOutput(text, {"columns": cols, "rows": [list(r) for r in rows]})


@tool("database", WRITE, cost_s=30)
def kill_query(world: World, pid: int, database: str | None = None) -> ToolOutput:
    """Terminate one database backend (pg_terminate_backend), ending its transaction.

    Args:
        pid: backend process id from db_activity or db_locks.
        database: database component (default: the primary).
    """
    name = _db(world, database)
    db = world.head.databases[name]
    if not any(tx.pid == pid for tx in db.transactions):
        raise ToolError(f"no open transaction with pid {pid} on {name}; see db_activity")
    edited = world.edit_item("databases", name)
    edited.transactions = [tx for tx in edited.transactions if tx.pid != pid]
    world.record(name, "terminate", f"FATAL:  terminating connection due to administrator "
                                    f"command (pid {pid})")
    return ToolOutput(f"terminated backend {pid} on {name}", {"pid": pid, "database": name})
