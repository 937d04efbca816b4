"""Database faults: leaked connections, lock holders, a dropped index, a full disk, replica
lag and a disabled standby, bloat with autovacuum off, a runaway job and a lowered
connection limit. Symptoms come from the PostgreSQL model (CPU queueing, locks, scans,
disk, replication) and reach callers as latency, timeouts and errors."""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import noise, ops
from ..physics import stores
from ..state import Transaction
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    bad_release,
    call,
    config_text,
    db_clients,
    kinds,
    lang_token,
    live_behavior,
    path_to_edge,
    person,
    pick,
    previous_release,
    primaries,
    register,
    replicas,
)

POOL_WORDS = {"java": "HikariPool", "go": "pgxpool", "python": "QueuePool"}
LEAK_COMMITS = ("Refactor order persistence into repository layer",
                "Move receipt rendering into request handler",
                "Batch writes in order sync")


def _pid(world: World, *keys: int) -> int:
    return 41000 + noise.bits(world.seed, 91, *keys) % 17000


def _db_of(world: World, service: str) -> str:
    return next(d.target for d in world.topology[service].deps if d.kind == "db")


def _clients(world: World, db: str) -> list[str]:
    return [c for c in world.topology.callers_of(db)]


# -- connection leak --------------------------------------------------------------------------
def inject_conn_leak(world: World, target: str, params: dict[str, Any]) -> Truth:
    pool = world.head.services[target].config.get("DB_POOL_SIZE", 20)
    onset_min = (world.incident_at - world.now) / 60.0
    rate = float(params.get("leak_per_min", round(float(pool) / min(12.0, max(
        3.0, onset_min - 3.0)), 2)))
    rid = bad_release(world, target, {"conn_leak_per_min": rate},
                      LEAK_COMMITS[world.seed % len(LEAK_COMMITS)])
    prev = previous_release(world, target)
    comp = world.topology[target]
    db = _db_of(world, target)
    return Truth(
        "db_connection_leak", "database", "database/connection_leak", target, rid,
        (*path_to_edge(world, target), db),
        (Evidence("list_deploys", rid, "the release that started the leak", {"service": target}),
         Evidence("query_metrics", "db_pool_in_use", "pool saturation of the service",
                  {"service": target, "metric": "db_pool_in_use", "minutes": 60}),
         Evidence("search_logs", lang_token(world, target, POOL_WORDS),
                  "pool timeout errors in the service's logs",
                  {"service": target, "level": "ERROR"})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"rate": rate}, team=comp.team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "fresh pods start with empty pools that leak full again"),
               WrongFix(call("scale_service", service=target,
                             replicas=min(30, world.head.services[target].replicas * 4)),
                        "every new pod opens and leaks its own pool against max_connections",
                        second=db)))


def resolved_conn_leak(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "conn_leak_per_min")


register(FaultType(
    "db_connection_leak", "database", "database/connection_leak",
    "A release leaks database connections until the pool is exhausted",
    "5xx and latency on routes served by the service; pool in use at its size with waiters; "
    "pool timeout errors in its logs; the database itself is healthy",
    "Restarting frees the pool for a while and the leak comes back; adding replicas opens "
    "more connections and can exhaust the database's connection slots",
    db_clients, inject_conn_leak, resolved_conn_leak))


# -- a transaction holding locks --------------------------------------------------------------
LOCK_STATEMENTS = {
    "orders": "UPDATE orders SET status = 'archived' WHERE created_at < now() - interval '2 y'",
    "payments": "UPDATE payments SET status = 'settled' WHERE status = 'captured'",
    "sessions": "DELETE FROM sessions WHERE expires_at < now()",
    "items": "UPDATE items SET owner_id = owner_id WHERE owner_id IS NOT NULL",
    "jobs_log": "DELETE FROM jobs_log WHERE created_at < now() - interval '90 days'",
}


def _locked_table(world: World, db: str) -> str:
    tables = [q.table for q in world.head.databases[db].queries.values()
              if q.table in LOCK_STATEMENTS and q.calls_share > 0]
    return str(pick(world, sorted(set(tables)), noise.sid(db)))


def inject_lock_holder(world: World, target: str, params: dict[str, Any]) -> Truth:
    table = params.get("table") or _locked_table(world, target)
    pid = _pid(world, noise.sid(table))
    who = person(world, noise.sid(table), 4)
    db = world.edit_item("databases", target)
    db.transactions = [*db.transactions, Transaction(
        pid, who, "psql", "idle in transaction", world.now, LOCK_STATEMENTS[table],
        f"RowExclusiveLock on {table}")]
    victims = sorted({q.service for q in db.queries.values() if q.table == table})
    return Truth(
        "long_transaction_locks", "database", "database/lock_contention", target, str(pid),
        (target, *victims, *path_to_edge(world, victims[0])[1:]),
        (Evidence("db_locks", str(pid), "one session blocks every writer of the table",
                  {"database": target}),
         Evidence("db_activity", "idle in transaction", "a session left open in a transaction",
                  {"database": target}),
         Evidence("search_logs", "lock timeout", "statements cancelled waiting for the lock",
                  {"service": target, "level": "ERROR"})),
        (call("kill_query", pid=pid, database=target),),
        params={"pid": pid, "table": table}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=victims[0]),
                        "the clients reconnect and queue behind the same lock"),
               WrongFix(call("scale_service", service=victims[0],
                             replicas=world.head.services[victims[0]].replicas * 2),
                        "more clients waiting on the same lock")))


def session_ended(world: World, truth: Truth) -> bool:
    """The culprit database session (``params['pid']``) is gone."""
    return all(tx.pid != truth.params["pid"]
               for tx in world.head.databases[truth.component].transactions)


register(FaultType(
    "long_transaction_locks", "database", "database/lock_contention",
    "A manual session left idle in a transaction holds row locks on a hot table",
    "Writes to one table time out with lock timeouts; db_locks shows one blocking pid idle "
    "in transaction for many minutes; other tables are fine",
    "Restarting or scaling the clients adds waiters behind the same lock",
    primaries, inject_lock_holder, session_ended))


# -- an index dropped by a migration ----------------------------------------------------------
INDEX_DROPS = {  # service whose release drops it -> (table, index)
    "orders": ("orders", "orders_user_id_idx"),
    "app": ("items", "items_owner_id_idx"),
}


def index_targets(topo: Any) -> list[str]:
    return [s for s in INDEX_DROPS if s in topo.names]


def inject_missing_index(world: World, target: str, params: dict[str, Any]) -> Truth:
    table, index = INDEX_DROPS[target]
    primary = primaries(world.topology)[0]
    reader = next((d.target for d in world.topology[target].deps if d.kind == "db_read"),
                  primary)
    rid = bad_release(world, target, {"ddl_drop_index": {
        "database": primary, "table": table, "index": index}},
        "Drop indexes with zero scans on the primary (pg_stat_user_indexes)")
    prev = previous_release(world, target)
    qid = next(q.queryid for q in world.head.databases[reader].queries.values()
               if q.index_on == index)
    return Truth(
        "missing_index", "database", "database/missing_index", target, rid,
        (target, reader, *path_to_edge(world, target)[1:]),
        (Evidence("db_slow_queries", qid, "one statement now scans the whole table",
                  {"database": reader}),
         Evidence("search_logs", f"DROP INDEX CONCURRENTLY {index}", "the migration's DDL",
                  {"service": primary, "query": "DROP INDEX", "minutes": 120}),
         Evidence("list_deploys", rid, "the release that shipped the migration",
                  {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid, "index": index, "table": table}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=target,
                             replicas=world.head.services[target].replicas * 2),
                        "more clients send more full scans to the same database"),
               WrongFix(call("restart_service", service=reader),
                        "a restarted database runs the same scans")))


def resolved_missing_index(world: World, truth: Truth) -> bool:
    return all(truth.params["index"] in db.tables[truth.params["table"]].indexes
               for db in world.head.databases.values() if truth.params["table"] in db.tables)


register(FaultType(
    "missing_index", "database", "database/missing_index",
    "A migration drops an index that only the replica's queries used",
    "One statement's mean time up by orders of magnitude, database CPU saturated, slow and "
    "failing reads on the routes that use it; a DROP INDEX in the database log after a deploy",
    "Scaling the clients sends more scans; restarting the database changes no plan",
    index_targets, inject_missing_index, resolved_missing_index))


# -- disk full from a bulk write --------------------------------------------------------------
def inject_disk_full(world: World, target: str, params: dict[str, Any]) -> Truth:
    db = world.head.databases[target]
    cap = float(world.head.services[target].config.get("disk_gb", 500))
    onset_s = world.incident_at - world.now
    fill_in_s = max(onset_s - float(params.get("full_before_page_s", 300)), 120.0)
    used = stores.disk_used_gb(db, world.head.since, world.now)
    rate = (cap - used) / (fill_in_s / 3600.0)
    pid = _pid(world, 5)
    app = pick(world, ("audit-backfill", "etl-loader", "events-import"), 5)
    edited = world.edit_item("databases", target)
    edited.transactions = [*edited.transactions, Transaction(
        pid, "etl", app, "active", world.now,
        "COPY audit_events FROM STDIN WITH (FORMAT binary)", "", cpu_share=0.05,
        write_gb_per_h=rate)]
    return Truth(
        "db_disk_exhausted", "database", "database/disk_full", target, str(pid),
        path_to_edge(world, target),
        (Evidence("query_metrics", "disk_used_gb", "the data volume filled up",
                  {"service": target, "metric": "disk_used_gb", "minutes": 60}),
         Evidence("search_logs", "No space left on device", "writes failing",
                  {"service": target, "level": "ERROR"}),
         Evidence("db_activity", app, "a bulk load writing into the database",
                  {"database": target})),
        (call("kill_query", pid=pid, database=target),
         call("set_config", service=target, key="disk_gb", value=int(cap * 2))),
        params={"pid": pid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the database comes back to a full disk"),
               WrongFix(call("kill_query", pid=pid, database=target),
                        "stopping the load leaves the volume full")))


def resolved_disk_full(world: World, truth: Truth) -> bool:
    db = world.head.databases[truth.component]
    cap = float(world.head.services[truth.component].config.get("disk_gb", 500))
    used = stores.disk_used_gb(db, world.head.since, world.now)
    writing = sum(tx.write_gb_per_h for tx in db.transactions)
    return used < 0.9 * cap and writing < 1.0


register(FaultType(
    "db_disk_exhausted", "database", "database/disk_full",
    "A bulk load fills the database volume; writes fail",
    "Writes failing with 'No space left on device', disk_used_gb at the volume size, a COPY "
    "session writing fast in db_activity; reads still work",
    "Restarting returns to a full disk; stopping the load alone leaves no room to write",
    primaries, inject_disk_full, resolved_disk_full))


# -- replica lag ------------------------------------------------------------------------------
def inject_replica_lag(world: World, target: str, params: dict[str, Any]) -> Truth:
    pid = _pid(world, 6)
    rate = float(params.get("lag_s_per_min", 30.0))
    db = world.edit_item("databases", target)
    db.transactions = [*db.transactions, Transaction(
        pid, "analyst", "metabase", "active", world.now,
        "SELECT date_trunc('week', o.created_at), sum(i.qty) FROM orders o JOIN order_items i "
        "ON i.order_id = o.id GROUP BY 1", "", lag_s_per_min=rate)]
    readers = [c for c in world.topology.callers_of(target)]
    return Truth(
        "replica_lag", "database", "database/replica_lag", target, str(pid),
        (target, *readers, *path_to_edge(world, readers[0])[1:]),
        (Evidence("query_metrics", "replication_lag_s", "replay falling behind",
                  {"service": target, "metric": "replication_lag_s", "minutes": 60}),
         Evidence("db_activity", "metabase", "a long analytics query on the standby",
                  {"database": target}),
         Evidence("list_issues", "NotFoundError", "reads missing rows just written",
                  {"service": "orders"} if "orders" in readers else {})),
        (call("kill_query", pid=pid, database=target),),
        params={"pid": pid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=readers[0]),
                        "clients reconnect to the same lagging standby"),
               WrongFix(call("scale_service", service=readers[0],
                             replicas=world.head.services[readers[0]].replicas * 2),
                        "more readers of stale data")))


def resolved_replica_lag(world: World, truth: Truth) -> bool:
    db = world.head.databases[truth.component]
    return all(tx.pid != truth.params["pid"] for tx in db.transactions)


register(FaultType(
    "replica_lag", "database", "database/replica_lag",
    "A long analytics query on the standby holds back WAL replay",
    "Replication lag climbing steadily, reads that miss rows written moments before "
    "(not-found errors), an hours-long query from an analytics tool on the replica",
    "Restarting or scaling the readers keeps reading from the lagging standby",
    replicas, inject_replica_lag, resolved_replica_lag, topologies=("shop",)))


# -- standby not serving reads ----------------------------------------------------------------
def inject_replica_down(world: World, target: str, params: dict[str, Any]) -> Truth:
    who = person(world, 7)
    ops.set_config(world, target, "hot_standby", "off", who)
    ops.restart(world, target, who)
    readers = [c for c in world.topology.callers_of(target)]
    return Truth(
        "replica_not_serving", "database", "database/replica_down", target, "hot_standby",
        (target, *readers, *path_to_edge(world, readers[0])[1:]),
        (Evidence("search_logs", "Hot standby mode is disabled", "the standby refuses reads",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text("hot_standby", "off"), "the setting",
                  {"service": target}),
         Evidence("search_logs", "hot_standby", "who changed it",
                  {"service": target, "query": "hot_standby", "minutes": 120})),
        (call("set_config", service=target, key="hot_standby", value="on"),
         call("restart_service", service=target)),
        params={}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the standby restarts with hot_standby still off"),
               WrongFix(call("restart_service", service=readers[0]),
                        "the readers reconnect to a standby that refuses them")))


def resolved_replica_down(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].config.get("hot_standby") == "on"


register(FaultType(
    "replica_not_serving", "database", "database/replica_down",
    "The read replica was restarted with hot_standby off and refuses reads",
    "Every read from the standby refused ('Hot standby mode is disabled'); catalog and order "
    "history failing; the primary healthy",
    "Restarting the standby or its clients changes nothing while the setting is off",
    replicas, inject_replica_down, resolved_replica_down, topologies=("shop",)))


# -- bloat with autovacuum off ----------------------------------------------------------------
BLOAT_TABLES = {"shop": "products", "startup": "items"}


def inject_bloat(world: World, target: str, params: dict[str, Any]) -> Truth:
    table = BLOAT_TABLES[world.topology.name]
    dead = float(params.get("dead_pct", 99.0))
    who = person(world, 8)
    ops.set_config(world, target, "autovacuum", "off", who)
    for name, db in world.head.databases.items():
        if name == target or db.replica_of == target:
            edited = world.edit_item("databases", name)
            edited.tables[table] = dataclasses.replace(
                edited.tables[table], dead_pct=dead, last_autovacuum=-5 * 86400.0)
    world.schedule(world.now + 60.0, "autovacuum", database=target)
    qid = next(q.queryid for db in world.head.databases.values() for q in db.queries.values()
               if q.table == table)
    reader = next(n for n, db in world.head.databases.items()
                  if any(q.table == table and q.calls_share > 0 for q in db.queries.values()))
    return Truth(
        "autovacuum_off_bloat", "database", "database/table_bloat", target, "autovacuum",
        (target, reader, *path_to_edge(world, reader)[1:]),
        (Evidence("run_sql", table, "a table that is mostly dead rows, never vacuumed", {
            "query": "SELECT relname, n_live_tup, n_dead_tup, last_autovacuum FROM "
                     "pg_stat_user_tables ORDER BY 1.0 * n_dead_tup / (n_live_tup + 1) DESC "
                     "LIMIT 5",
            "database": target}),
         Evidence("get_config", config_text("autovacuum", "off"), "autovacuum disabled",
                  {"service": target}),
         Evidence("db_slow_queries", qid, "statements on that table slow",
                  {"database": reader})),
        (call("set_config", service=target, key="autovacuum", value="on"),),
        params={"table": table}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a restart does not remove dead rows"),
               WrongFix(call("scale_service", service=world.topology.callers_of(reader)[0],
                             replicas=12),
                        "more clients scan the same bloated table")))


def resolved_bloat(world: World, truth: Truth) -> bool:
    cfg = world.head.services[truth.component].config
    return cfg.get("autovacuum") == "on" and all(
        db.tables[truth.params["table"]].dead_pct < 20 for db in world.head.databases.values())


register(FaultType(
    "autovacuum_off_bloat", "database", "database/table_bloat",
    "Autovacuum was turned off; a hot table is now mostly dead rows",
    "Database CPU high and every statement on one table slow; pg_stat_user_tables shows far "
    "more dead than live tuples and no autovacuum for days; autovacuum=off in the config",
    "Restarting keeps the dead rows; more clients scan more of them",
    primaries, inject_bloat, resolved_bloat))


# -- a runaway job ----------------------------------------------------------------------------
RUNAWAY_JOBS = (("rollup-rebuild", "SELECT rebuild_sales_rollups(full_refresh => true)"),
                ("search-reindex", "SELECT refresh_search_documents()"),
                ("ledger-reconcile", "SELECT reconcile_ledger(since => '2020-01-01')"))


def inject_runaway_job(world: World, target: str, params: dict[str, Any]) -> Truth:
    job, query = pick(world, RUNAWAY_JOBS, 9)
    pid = _pid(world, 9)
    share = float(params.get("cpu_share", 1.15))
    db = world.edit_item("databases", target)
    db.transactions = [*db.transactions, Transaction(
        pid, "analytics", f"pg_cron:{job}", "active", world.now, query, "", cpu_share=share)]
    clients = _clients(world, target)
    return Truth(
        "runaway_db_job", "database", "database/runaway_job", target, job,
        path_to_edge(world, target),
        (Evidence("db_activity", f"pg_cron:{job}", "a scheduled job running for a long time",
                  {"database": target}),
         Evidence("query_metrics", "cpu", "database CPU saturated",
                  {"service": target, "metric": "cpu", "minutes": 60}),
         Evidence("search_logs", "statement timeout", "client statements cancelled",
                  {"service": target, "level": "ERROR"})),
        (call("kill_query", pid=pid, database=target),),
        params={"pid": pid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=clients[0]),
                        "the clients come back to the same saturated database"),
               WrongFix(call("scale_service", service=clients[0],
                             replicas=world.head.services[clients[0]].replicas * 2),
                        "more clients add load to a saturated database")))


register(FaultType(
    "runaway_db_job", "database", "database/runaway_job",
    "A scheduled database job runs away and saturates the database CPU",
    "Database CPU at 100%, every query slow, statement timeouts in many services; one "
    "pg_cron session active far longer than usual",
    "Restarting or scaling the clients adds load to a saturated database",
    primaries, inject_runaway_job, session_ended))


# -- max_connections lowered ------------------------------------------------------------------
def inject_max_conn(world: World, target: str, params: dict[str, Any]) -> Truth:
    m = world.snapshot()[target]
    wanted = m.extra.get("connections_wanted", 100.0)
    old = world.head.services[target].config.get("max_connections", 300)
    new = int(params.get("max_connections", max(10, int(wanted * 0.55) // 10 * 10)))
    ops.set_config(world, target, "max_connections", new, person(world, 10))
    return Truth(
        "max_connections_too_low", "database", "database/max_connections", target,
        "max_connections", path_to_edge(world, target),
        (Evidence("search_logs", "too many clients", "connections refused by the database",
                  {"service": target, "level": "ERROR"}),
         Evidence("db_activity", f"max_connections={new}", "the limit below what clients hold",
                  {"database": target}),
         Evidence("get_config", config_text("max_connections", new), "the lowered setting",
                  {"service": target})),
        (call("set_config", service=target, key="max_connections", value=old),),
        params={"need": wanted}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "after the restart the same limit applies"),))


def resolved_max_conn(world: World, truth: Truth) -> bool:
    limit = world.head.services[truth.component].config.get("max_connections", 300)
    return isinstance(limit, int) and limit >= truth.params["need"] * 1.3


register(FaultType(
    "max_connections_too_low", "database", "database/max_connections",
    "max_connections was lowered below what the clients' pools hold",
    "'sorry, too many clients already' from PostgreSQL, errors spread over every client "
    "service, db_activity showing clients wanting more connections than allowed",
    "Restarting keeps the same limit",
    kinds("postgres"), inject_max_conn, resolved_max_conn))
