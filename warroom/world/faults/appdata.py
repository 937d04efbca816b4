"""Application data faults, "find the needle": a data-dependent failure the error tracker
and the application tables pin down. Each also has a fix, but the report must carry task
facts (the issue id, the client's team UUID, a function name, an exact count) and must not
name the near-identical decoys that sit beside them in the same tables.

The tables are exposed read-only to ``run_sql`` through ``world.app_tables``.
"""

from __future__ import annotations

from typing import Any

from .. import noise
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    bad_release,
    call,
    live_behavior,
    path_to_edge,
    person,
    previous_release,
    primaries,
    register,
    route_services,
)
from .deploy import _endpoint, _issue


def _uuid(world: World, *keys: int) -> str:
    h = noise.hexid(world.seed, 32, 93, *keys)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _near(u: str, k: int) -> str:
    """A UUID that differs from ``u`` only in its last two hex digits."""
    tail = (int(u[-2:], 16) + 17 * (k + 1)) % 256
    return f"{u[:-2]}{tail:02x}"


def _tables(world: World, db: str) -> dict[str, list[dict[str, Any]]]:
    tables = getattr(world, "app_tables", None)
    if tables is None:
        tables = {}
        world.app_tables = tables  # type: ignore[attr-defined]
    return tables.setdefault(db, {})


def _primary(world: World) -> str:
    return primaries(world.topology)[0]


def _requests(world: World, team: str, decoys: list[str], path: str, bad: int,
              field: str, bad_value: Any, good_value: Any) -> list[dict[str, Any]]:
    """An api_requests table: ``bad`` failing rows from ``team``, decoys' rows succeed."""
    rows = []
    teams = [team, *decoys]
    n = bad + 3 * len(decoys) + 6
    for i in range(n):
        who = team if i < bad else teams[1 + i % len(decoys)] if decoys else team
        failing = i < bad
        rows.append({"request_id": noise.hexid(world.seed, 16, 94, i), "team_id": who,
                     "route": path, field: bad_value(i) if failing else good_value(i),
                     "status": 500 if failing else 200})
    order = sorted(range(n), key=lambda i: noise.bits(world.seed, 95, i))
    return [rows[i] for i in order]


# -- clients sending a tool-call id where a UUID is expected ----------------------------------
def inject_tool_call_ids(world: World, target: str, params: dict[str, Any]) -> Truth:
    path = _endpoint(world, target, 100)
    team = _uuid(world, 1)
    decoys = [_near(team, 0), _uuid(world, 2), _near(team, 1)]
    bad = int(params.get("count", 23 + noise.bits(world.seed, 101) % 40))
    call_id = f"call_{noise.hexid(world.seed, 24, 102)}"
    exc = (f"ValueError: badly formed hexadecimal UUID string: '{call_id}' "
           f"(conversation_id from team {team})")
    rid = bad_release(world, target, {"raise": [{"endpoint": path, "rate": 0.12, "exc": exc,
                                                 "frame": "app/ids.py:23 in parse_uuid"}]},
                      "Parse conversation ids as UUIDs at the API boundary")
    prev = previous_release(world, target)
    _tables(world, _primary(world))["api_requests"] = _requests(
        world, team, decoys, path, bad, "conversation_id",
        lambda i: f"call_{noise.hexid(world.seed, 24, 103, i)}",
        lambda i: _uuid(world, 104, i))
    issue = _issue(world, target, exc)
    return Truth(
        "client_tool_call_ids", "appdata", "appdata/invalid_identifier", target, issue,
        path_to_edge(world, target),
        (Evidence("list_issues", "badly formed hexadecimal UUID", "the parsing error",
                  {"service": target}),
         Evidence("get_issue", team, "which team sends them", {"issue_id": issue}),
         Evidence("run_sql", str(bad), "how many requests failed", {
             "query": "SELECT team_id, COUNT(*) AS failed FROM api_requests WHERE status = 500 "
                      "AND conversation_id LIKE 'call_%' GROUP BY team_id"})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        facts=(issue, team, str(bad)), decoys=tuple(decoys),
        wrong=(WrongFix(call("restart_service", service=target),
                        "the same parser rejects the same ids"),))


def resolved_release(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "raise")


register(FaultType(
    "client_tool_call_ids", "appdata", "appdata/invalid_identifier",
    "A client integration sends tool-call ids where the API expects UUIDs",
    "500s on one route from one team's requests; the error tracker's event names the team "
    "and the malformed id; api_requests holds the exact count",
    "Restarting does not change the parser",
    route_services, inject_tool_call_ids, resolved_release))


# -- payloads over a size limit ---------------------------------------------------------------
def inject_payload_limit(world: World, target: str, params: dict[str, Any]) -> Truth:
    path = _endpoint(world, target, 110)
    team = _uuid(world, 11)
    decoys = [_near(team, 2), _uuid(world, 12)]
    bad = int(params.get("count", 17 + noise.bits(world.seed, 111) % 30))
    limit = 262144
    largest = limit + 1 + noise.bits(world.seed, 112) % 900000
    exc = f"PayloadTooLarge: request body {largest} bytes exceeds limit {limit} (team {team})"
    rid = bad_release(world, target, {"raise": [{"endpoint": path, "rate": 0.1, "exc": exc,
                                                 "frame": "app/middleware.py:61 in __call__"}]},
                      "Enforce a 256 KiB request body limit")
    prev = previous_release(world, target)

    def size(i: int) -> int:
        return largest if i == 0 else limit + 1 + noise.bits(world.seed, 113, i) % (
            largest - limit - 1)

    _tables(world, _primary(world))["api_requests"] = _requests(
        world, team, decoys, path, bad, "body_bytes", size,
        lambda i: 2048 + noise.bits(world.seed, 114, i) % 200000)
    issue = _issue(world, target, exc)
    return Truth(
        "payload_over_limit", "appdata", "appdata/payload_limit", target, issue,
        path_to_edge(world, target),
        (Evidence("list_issues", "PayloadTooLarge", "bodies rejected", {"service": target}),
         Evidence("get_issue", team, "the team sending them", {"issue_id": issue}),
         Evidence("run_sql", str(largest), "the largest rejected body", {
             "query": "SELECT team_id, COUNT(*) AS rejected, MAX(body_bytes) AS largest FROM "
                      "api_requests WHERE status = 500 GROUP BY team_id"})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        facts=(issue, team, str(bad)), decoys=tuple(decoys),
        wrong=(WrongFix(call("restart_service", service=target),
                        "the same limit applies after a restart"),))


register(FaultType(
    "payload_over_limit", "appdata", "appdata/payload_limit",
    "A new body-size limit rejects one team's large payloads with 500s",
    "500s on one route for one team; the error names body sizes over a limit; api_requests "
    "shows which team and how many",
    "Restarting keeps the limit",
    route_services, inject_payload_limit, resolved_release))


# -- a billing edge case: negative balances ---------------------------------------------------
def billing_targets(topo: Any) -> list[str]:
    return [n for n in ("checkout", "app") if n in topo.names]


def inject_negative_balance(world: World, target: str, params: dict[str, Any]) -> Truth:
    path = _endpoint(world, target, 120)
    n_neg = int(params.get("count", 11 + noise.bits(world.seed, 121) % 25))
    accounts = []
    for i in range(n_neg + 30):
        acct = f"acct_{noise.hexid(world.seed, 12, 122, i)}"
        cents = -(100 + noise.bits(world.seed, 123, i) % 90000) if i < n_neg else (
            0 if i % 7 == 0 else noise.bits(world.seed, 124, i) % 500000)
        accounts.append({"account_id": acct, "balance_cents": cents,
                         "plan": ("free", "team", "business")[i % 3]})
    first = str(accounts[0]["account_id"])
    zero = [str(a["account_id"]) for a in accounts if a["balance_cents"] == 0][:2]
    exc = (f"ValueError: amount must be non-negative, got {accounts[0]['balance_cents']} "
           f"cents (account {first})")
    rid = bad_release(world, target, {"raise": [{"endpoint": path, "rate": 0.08, "exc": exc,
                                                 "frame": "app/billing.py:203 in apply_credit"}]},
                      "Apply account credit before capturing payment")
    prev = previous_release(world, target)
    order = sorted(range(len(accounts)), key=lambda i: noise.bits(world.seed, 125, i))
    _tables(world, _primary(world))["accounts"] = [accounts[i] for i in order]
    issue = _issue(world, target, exc)
    return Truth(
        "negative_balance_edge_case", "appdata", "appdata/billing_edge_case", target, issue,
        path_to_edge(world, target),
        (Evidence("list_issues", "amount must be non-negative", "the billing error",
                  {"service": target}),
         Evidence("get_issue", first, "an affected account", {"issue_id": issue}),
         Evidence("run_sql", str(n_neg), "how many accounts can hit it", {
             "query": "SELECT COUNT(*) AS negative FROM accounts WHERE balance_cents < 0"})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        facts=(issue, str(n_neg)), decoys=tuple(zero),
        wrong=(WrongFix(call("restart_service", service=target),
                        "the same accounts fail after a restart"),))


register(FaultType(
    "negative_balance_edge_case", "appdata", "appdata/billing_edge_case",
    "A billing change fails for accounts whose balance is negative",
    "A slice of purchases failing with a non-negative amount error naming an account; the "
    "accounts table tells how many accounts are exposed",
    "Restarting does not change the accounts",
    billing_targets, inject_negative_balance, resolved_release))


# -- a job named print_hello hammering the database -------------------------------------------
def inject_print_hello(world: World, target: str, params: dict[str, Any]) -> Truth:
    from ..state import CronJob, Transaction

    owner = person(world, 130)
    pid = 41000 + noise.bits(world.seed, 131) % 17000
    runs = int(params.get("runs", 2400 + noise.bits(world.seed, 132) % 1200))
    db = world.edit_item("databases", target)
    db.jobs = dict(db.jobs)
    lookalikes = ("print_hello_world", "print_help", "print-hello")
    for i, name in enumerate(("print_hello", *lookalikes)):
        db.jobs[name] = CronJob(name, "* * * * *" if i == 0 else "0 4 * * *", owner if i == 0
                                else person(world, 133, i), f"SELECT {name.replace('-', '_')}()",
                                True)
    db.transactions = [*db.transactions, Transaction(
        pid, owner, "pg_cron", "active", world.now,
        "SELECT print_hello() FROM generate_series(1, 1000000)", "",
        cpu_share=float(params.get("cpu_share", 1.1)))]
    _tables(world, target)["cron_job_run_details"] = [
        {"jobname": name, "runs_last_24h": runs if name == "print_hello" else 1,
         "status": "running" if name == "print_hello" else "succeeded"}
        for name in ("print_hello", *lookalikes)]
    return Truth(
        "print_hello_job", "appdata", "appdata/runaway_function", target, "print_hello",
        path_to_edge(world, target),
        (Evidence("db_activity", "print_hello", "the function running in a loop",
                  {"database": target}),
         Evidence("run_sql", str(runs), "how often it ran", {
             "query": "SELECT jobname, runs_last_24h FROM cron_job_run_details "
                      "ORDER BY runs_last_24h DESC", "database": target}),
         Evidence("query_metrics", "cpu", "database CPU saturated",
                  {"service": target, "metric": "cpu", "minutes": 60})),
        (call("kill_query", pid=pid, database=target),),
        params={"pid": pid}, team=world.topology[target].team,
        facts=("print_hello", str(runs)), decoys=lookalikes[:2],
        wrong=(WrongFix(call("restart_service",
                             service=world.topology.callers_of(target)[0]),
                        "the clients are victims; the database is still saturated"),))


def resolved_print_hello(world: World, truth: Truth) -> bool:
    return all(tx.pid != truth.params["pid"]
               for tx in world.head.databases[truth.component].transactions)


register(FaultType(
    "print_hello_job", "appdata", "appdata/runaway_function",
    "A scheduled job named print_hello runs a function in a loop and saturates the database",
    "Database CPU saturated, every query slow; db_activity shows print_hello() running; "
    "cron tables list look-alike job names that are innocent",
    "Restarting the clients leaves the job running",
    primaries, inject_print_hello, resolved_print_hello))
