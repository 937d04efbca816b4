"""Fact-task templates of the database domain (see ``warroom.scenarios.fact_templates``):
PostgreSQL sessions, locks, statements, connections, tables, disk and settings, the cache's
clients and the queue's partitions. Facts and decoys are read from the outputs of the
task's own reads (``observe``), so both are printed where the oracle looks.
"""

from __future__ import annotations

from typing import Any

from ...types import ToolCall
from ...world.faults import Truth
from ...world.world import World
from ..spec import Scenario
from . import Draft, observe, template
from .errors import any_fault, finish


def _primary(world: World) -> str:
    return world.topology.kind_of("postgres")[0]


def _fault_db(world: World, truths: list[Truth], types: tuple[str, ...]) -> str:
    """The database the first fault of ``types`` was injected into (else the primary)."""
    dbs = world.topology.kind_of("postgres")
    return next((t.component for t in truths if t.fault in types and t.component in dbs),
                _primary(world))


# -- sessions: a lock holder, a bulk load, an analytics query, a runaway job ------------------
SESSION_FAULTS = ("long_transaction_locks", "db_disk_exhausted", "replica_lag",
                  "runaway_db_job", "print_hello_job")


def _culprit_pid(truths: list[Truth]) -> int | None:
    return next((int(t.params["pid"]) for t in truths if t.fault in SESSION_FAULTS
                 and "pid" in t.params), None)


@template("database", applies=any_fault(*SESSION_FAULTS), weight=6)
def culprit_session(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The session behind a database fault: with a lock, the blocking pid and the statements
    waiting on it, or the locked table when more than two wait (decoys: the busiest
    statements that do not wait, their tables); otherwise the pid and application of the
    long-running session (decoys: the client applications)."""
    fault = next(t for t in truths if t.fault in SESSION_FAULTS)
    db = _fault_db(world, truths, (fault.fault,))
    pid = _culprit_pid([fault])
    if fault.fault == "long_transaction_locks":
        lock_reads = (ToolCall("db_locks", {"database": db}),
                      ToolCall("db_slow_queries", {"database": db}))
        outs = observe(world, lock_reads)
        lock = next(r for r in outs[0][1] if r["blocking_pid"] == pid)
        waiting = list(lock["waiting_statements"])
        busy = [r["queryid"] for r in outs[1][1] if r["queryid"] not in waiting]
        if len(waiting) > 2:
            tables = [_table_of(r["query"]) for r in outs[1][1] if r["queryid"] not in waiting]
            return finish(f"Writes on {db} are stuck behind a lock. Which backend pid holds "
                          f"it, and on which table?", (str(pid), lock["relation"]),
                          [*busy[:2], *tables], lock_reads, outs)
        return finish(f"Writes on {db} are stuck behind a lock. Which backend pid holds it, and "
                      f"which statements (queryids) wait on it?", (str(pid), *waiting),
                      busy[:3], lock_reads, outs)
    reads = (ToolCall("db_activity", {"database": db}),)
    outs = observe(world, reads)
    rows = outs[0][1]["rows"]
    session = next(r for r in rows if r.get("pid") == pid)
    clients = sorted((r for r in rows if r.get("pid") != pid),
                     key=lambda r: (-r["count"], r["application"]))
    return finish(f"A long-running session on {db} is behind the trouble. Give its backend pid "
                  f"and its application_name.", (str(pid), session["application"]),
                  [r["application"] for r in clients[:4]] +
                  [str(r["pid"]) for r in rows if r.get("pid") not in (None, pid)],
                  reads, outs)


# -- connections ----------------------------------------------------------------------------
CONNECTION_FAULTS = ("db_connection_leak", "pool_size_too_small", "max_connections_too_low")


@template("database", applies=any_fault(*CONNECTION_FAULTS), weight=6)
def connection_pressure(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """Who runs out of database connections: with the limit lowered, max_connections and
    what the clients want (decoys: the per-client maxima); with a leak, the clients whose
    pools are exhausted (else the one holding the most connections); with a pool too small,
    that client and its pool size (decoys: the other clients and their figures)."""
    fault = next(t for t in truths if t.fault in CONNECTION_FAULTS)
    db = fault.component if fault.component in world.head.databases else next(
        d.target for d in world.topology[fault.component].deps if d.kind == "db")
    reads = (ToolCall("db_connections", {"database": db}),)
    outs = observe(world, reads)
    text, data = outs[0]
    clients = data["clients"]
    if fault.fault == "max_connections_too_low":
        limit = f"{data['max_connections']:.0f}"
        wanted = text.split("clients want ", 1)[1].split()[0]
        return finish(f"Clients of {db} are refused connections. What is its max_connections, "
                      f"and how many connections do its clients want?", (limit, wanted),
                      [str(c["max_client_connections"]) for c in clients], reads, outs)
    if fault.fault == "db_connection_leak":
        full = [c["application"] for c in clients if c["pool_size"]
                and round(c["in_use"]) >= c["max_client_connections"] > 0]
        if not 1 <= len(full) <= 3:
            holding = sorted(clients, key=lambda c: (-c["in_use"], c["application"]))
            top = holding[0]
            if round(top["in_use"]) <= round(holding[1]["in_use"]):
                raise ValueError("no client with its pool exhausted or holding the most")
            return finish(f"Which client application holds the most connections in use on "
                          f"{db}, and how many does it hold?",
                          (top["application"], str(round(top["in_use"]))),
                          [c["application"] for c in holding[1:4]] +
                          [str(round(c["in_use"])) for c in holding[1:3]], reads, outs)
        return finish(f"Which client applications of {db} have every pooled connection in "
                      f"use right now?", full,
                      [c["application"] for c in clients if c["application"] not in full],
                      reads, outs)
    pools = sorted((c for c in clients if c["pool_size"] is not None),
                   key=lambda c: (c["pool_size"], c["application"]))
    if len(pools) < 2 or pools[0]["pool_size"] >= pools[1]["pool_size"]:
        raise ValueError("no single client with the smallest pool")
    top = pools[0]
    return finish(f"Requests to {db} queue for pooled connections in one client. Which client "
                  f"application runs with the smallest connection pool, and what size is it?",
                  (top["application"], str(top["pool_size"])),
                  [c["application"] for c in pools[1:4]] + [str(c["pool_size"]) for c in pools],
                  reads, outs)


# -- statements -----------------------------------------------------------------------------
def _table_of(query: str) -> str | None:
    words = query.replace(",", " ").split()
    for key in ("FROM", "INTO", "UPDATE"):
        if key in words and words.index(key) + 1 < len(words):
            return words[words.index(key) + 1]
    return None


SLOW_FAULTS = ("missing_index", "autovacuum_off_bloat")


@template("database")
def slow_statement(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The statement with the highest mean time on the database a statement fault slows
    (else the primary) and the table it reads (decoys: the statement with the most total
    time, the next slowest)."""
    db = _primary(world)
    for t in truths:
        for ev in t.evidence:
            if t.fault in SLOW_FAULTS and ev.tool == "db_slow_queries":
                db = str(ev.args.get("database", db))
    reads = (ToolCall("db_slow_queries", {"database": db}),)
    outs = observe(world, reads)
    rows = outs[0][1]
    by_mean = sorted(rows, key=lambda r: (-r["mean_ms"], r["queryid"]))
    if len(by_mean) < 2 or by_mean[0]["mean_ms"] <= by_mean[1]["mean_ms"]:
        raise ValueError("no single slowest statement")
    top = by_mean[0]
    table = _table_of(top["query"])
    by_total = sorted(rows, key=lambda r: (-r["total_s"], r["queryid"]))
    decoys = [r["queryid"] for r in (by_total[0], *by_mean[1:3])]
    return finish(f"Which statement on {db} has the highest mean execution time, and which "
                  f"table does it touch? Give its queryid and the table name.",
                  (top["queryid"], *([table] if table else [])), decoys, reads, outs)


# -- tables and disk ------------------------------------------------------------------------
@template("database")
def dead_tuples(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The table with the largest share of dead tuples and when it was last autovacuumed
    (decoys: the next table and its time)."""
    db = _fault_db(world, truths, ("autovacuum_off_bloat",))
    reads = (ToolCall("db_table_stats", {"database": db}),)
    outs = observe(world, reads)
    rows = outs[0][1]
    if len(rows) < 2:
        raise ValueError("fewer than two tables")
    if rows[0]["dead_pct"] > rows[1]["dead_pct"]:
        return finish(f"Which table on {db} has the largest share of dead tuples, and when was "
                      f"it last autovacuumed (as the view prints it)?",
                      (rows[0]["relname"], rows[0]["last_autovacuum"]),
                      (rows[1]["relname"], rows[1]["last_autovacuum"]), reads, outs)
    by_dead = sorted(rows, key=lambda r: (-r["n_dead_tup"], r["relname"]))
    if by_dead[0]["n_dead_tup"] == by_dead[1]["n_dead_tup"]:
        raise ValueError("no single most bloated table")
    return finish(f"Which table on {db} holds the most dead tuples, and when was it last "
                  f"autovacuumed (as the view prints it)?",
                  (by_dead[0]["relname"], by_dead[0]["last_autovacuum"]),
                  (by_dead[1]["relname"], by_dead[1]["last_autovacuum"]), reads, outs)


@template("database")
def disk_usage(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """How full the data volume is and its largest relation (decoy: the next largest)."""
    db = _fault_db(world, truths, ("db_disk_exhausted",))
    reads = (ToolCall("db_disk_usage", {"database": db}),)
    outs = observe(world, reads)
    text = outs[0][0]
    use = next(w for w in text.splitlines()[1].split() if w.endswith("%"))
    largest = [line.split()[0] for line in text.splitlines() if line.startswith("  ")]
    if len(largest) < 2:
        raise ValueError("fewer than two relations")
    return finish(f"How full is the data volume of {db} (Use%), and which relation is the "
                  f"largest?", (use, largest[0]), largest[1:3], reads, outs)


# -- settings -------------------------------------------------------------------------------
@template("database")
def statement_timeout(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The primary's statement_timeout (decoy: its lock_timeout)."""
    db = _primary(world)
    reads = (ToolCall("db_settings", {"database": db}),)
    outs = observe(world, reads)
    data = outs[0][1]
    return finish(f"What statement_timeout is {db} running with?",
                  (str(data["statement_timeout"]),),
                  (str(data["lock_timeout"]),), reads, outs)


# -- pg_cron --------------------------------------------------------------------------------
def has_scheduled_job(scenario: Scenario) -> bool:
    return any(d.type == "scheduled_job" for d in scenario.distractors)


@template("database", applies=has_scheduled_job)
def running_cron_job(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The pg_cron job running now and its owner (decoys: the idle jobs and their owners)."""
    db = _primary(world)
    reads = (ToolCall("db_cron_jobs", {"database": db}),)
    outs = observe(world, reads)
    jobs = outs[0][1]
    running = [j for j in jobs if j["running"]]
    if len(running) != 1:
        raise ValueError("not exactly one running job")
    job = running[0]
    idle = [j for j in jobs if not j["running"]]
    return finish(f"Which pg_cron job is running on {db} right now, and which user owns it?",
                  (job["jobname"], job["owner"]),
                  [j["jobname"] for j in idle] + [j["owner"] for j in idle], reads, outs)


# -- cache ----------------------------------------------------------------------------------
CACHE_FAULTS = ("cache_crashloop", "cache_eviction_storm", "cache_ttl_too_short",
                "cache_auth_rotated")


def shop(scenario: Scenario) -> bool:
    return scenario.topology == "shop"


@template("database", applies=shop)
def cache_clients(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The cache's busiest (else quietest) client and the credential the server requires
    (decoys: the other clients, a stale credential a client still presents)."""
    cache = world.topology.kind_of("redis")[0]
    reads = (ToolCall("cache_clients", {"cache": cache}),)
    outs = observe(world, reads)
    rows = sorted(outs[0][1], key=lambda r: (-r["connections"], r["application"]))
    if len(rows) < 2:
        raise ValueError("fewer than two cache clients")
    if rows[0]["connections"] > rows[1]["connections"]:
        which, client = "most", rows[0]
    elif rows[-1]["connections"] < rows[-2]["connections"]:
        which, client = "fewest", rows[-1]
    else:
        raise ValueError("no single busiest or quietest cache client")
    server = str(world.head.services[cache].config.get("requirepass"))
    return finish(f"Which application holds the {which} connections to {cache}, and which "
                  f"credential reference does {cache} require?", (client["application"], server),
                  [r["application"] for r in rows if r is not client] +
                  [str(r["auth_ref"]) for r in rows if str(r["auth_ref"]) != server],
                  reads, outs)


# -- queue ----------------------------------------------------------------------------------
BACKLOG_FAULTS = ("consumer_backlog", "visibility_timeout_too_low", "poison_message")


def backlog_first(scenario: Scenario) -> bool:
    """The main fault backs the queue up (as a second fault it may start too late, or its
    publishers may be down, so the partitions show no lag)."""
    return scenario.faults[0].type in BACKLOG_FAULTS


@template("database", applies=backlog_first, weight=12)
def partition_lag(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The partition of the backed-up topic with the most lag, and that lag (decoys: the
    next partitions' lags)."""
    topic = sorted(world.head.topics)[0]
    reads = (ToolCall("queue_consumers", {"topic": topic}),)
    outs = observe(world, reads)
    rows: list[dict[str, Any]] = sorted(outs[0][1], key=lambda r: (-r["lag"], r["partition"]))
    if len(rows) < 2 or rows[0]["lag"] <= rows[1]["lag"]:
        raise ValueError("no single most lagging partition")
    top = rows[0]
    return finish(f"Topic {topic} is backing up. Which partition has the largest consumer lag, "
                  f"and how many messages is it behind?",
                  (str(top["partition"]), str(top["lag"])),
                  [str(r["lag"]) for r in rows[1:3]], reads, outs)
