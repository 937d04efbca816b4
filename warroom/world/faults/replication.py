"""Replication under write load: a release ships a one-off backfill that rewrites a table on
the primary in unthrottled batches. The standby replays WAL on one process; the primary now
writes it faster than the standby replays it, so replay lag grows for as long as the backfill
runs (nothing is wrong on the standby itself). Past half a minute of lag, reads served by
the standby miss rows the primary has just written: not-found errors on the routes that
read from it, while the primary and the writer's own routes look healthy.

The fix ends the backfill session on the primary; the standby then catches up. Rolling back
the release that shipped it does not stop a session already running in the database, and
restarting the readers reconnects them to the same lagging standby.
"""

from __future__ import annotations

from typing import Any

from .. import noise
from ..state import Transaction
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    bad_release,
    call,
    path_to_edge,
    pick,
    register,
)

BACKFILLS = {  # writer -> (table, statement of one batch)
    "auth": ("sessions", "UPDATE sessions SET token_hash = digest(token, 'sha256') "
                         "WHERE id BETWEEN $1 AND $1 + 50000"),
    "checkout": ("carts", "UPDATE carts SET currency = 'EUR', total_minor = total * 100 "
                          "WHERE id BETWEEN $1 AND $1 + 50000"),
    "payments": ("payments", "UPDATE payments SET amount_minor = amount * 100 "
                             "WHERE id BETWEEN $1 AND $1 + 50000"),
    "orders": ("orders", "UPDATE orders SET total_cents = round(total * 100) "
                         "WHERE id BETWEEN $1 AND $1 + 50000"),
    "notifications": ("deliveries", "UPDATE deliveries SET channel = lower(channel) "
                                    "WHERE id BETWEEN $1 AND $1 + 50000"),
    "worker": ("order_events", "DELETE FROM order_events WHERE created_at < now() - "
                               "interval '90 days' AND id BETWEEN $1 AND $1 + 50000"),
}
COMMITS = ("Backfill {table} for the new column (runs once after deploy)",
           "One-off data migration: rewrite {table} in batches")


def _replica_of(world: World, primary: str) -> str | None:
    return next((n for n, db in world.head.databases.items() if db.replica_of == primary), None)


def backfill_targets(topo: Any) -> list[str]:
    """Services that write to a primary which has a streaming standby."""
    has_standby = any(d.kind == "db_read" for c in topo.components for d in c.deps)
    return [n for n in BACKFILLS if n in topo.names and has_standby
            and any(d.kind == "db" for d in topo[n].deps)]


def inject_backfill_lag(world: World, target: str, params: dict[str, Any]) -> Truth:
    primary = next(d.target for d in world.topology[target].deps if d.kind == "db")
    standby = _replica_of(world, primary)
    if standby is None:
        raise ValueError(f"{primary} has no standby to lag behind it")
    table, batch = BACKFILLS[target]
    onset_min = max((world.incident_at - world.now) / 60.0, 5.0)
    # enough WAL beyond replay that stale reads page a few minutes before the incident
    rate = float(params.get("lag_s_per_min") or round(max(20.0, 150.0 / (onset_min - 3.0)), 1))
    pid = 30000 + noise.bits(world.seed, 131, noise.sid(target)) % 9000
    app = f"{target}-backfill"
    current = world.head.releases[world.head.services[target].release]
    rid = bad_release(world, target, dict(current.behavior),
                      pick(world, COMMITS, noise.sid(target), 132).format(table=table))
    db = world.edit_item("databases", primary)
    db.transactions = [*db.transactions, Transaction(
        pid, f"{target}_rw", app, "active", world.now, batch, "", cpu_share=0.08,
        lag_s_per_min=rate)]
    readers = list(world.topology.callers_of(standby))
    return Truth(
        "replica_lag_write_load", "database", "database/replica_lag", target, str(pid),
        (target, primary, standby, *readers, *path_to_edge(world, readers[0])[1:]),
        (Evidence("query_metrics", "replication_lag_s", "replay falling further behind",
                  {"service": standby, "metric": "replication_lag_s", "minutes": 60}),
         Evidence("db_activity", app, "an unthrottled backfill writing on the primary",
                  {"database": primary}),
         Evidence("list_deploys", rid, "the release that started the backfill",
                  {"service": target})),
        (call("kill_query", pid=pid, database=primary),),
        params={"pid": pid, "primary": primary, "standby": standby},
        team=world.topology[target].team,
        wrong=(WrongFix(call("rollback_deploy", service=target),
                        "the backfill session keeps running in the database after a rollback"),
               WrongFix(call("restart_service", service=readers[0]),
                        "the readers reconnect to the same lagging standby")))


def resolved_backfill_lag(world: World, truth: Truth) -> bool:
    db = world.head.databases[truth.params["primary"]]
    return all(tx.pid != truth.params["pid"] for tx in db.transactions)


register(FaultType(
    "replica_lag_write_load", "database", "database/replica_lag",
    "A release's one-off backfill rewrites a table on the primary faster than the standby "
    "replays the WAL",
    "Replication lag climbing steadily with nothing running on the standby; not-found errors "
    "on the routes that read from it; an unthrottled UPDATE in batches from a backfill "
    "session on the primary, started with a deploy of one writer",
    "Rolling back the release leaves the session running; restarting or scaling the readers "
    "keeps reading from the lagging standby",
    backfill_targets, inject_backfill_lag, resolved_backfill_lag, topologies=("shop",),
    generation=3))
