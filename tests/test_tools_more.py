"""The tools added after v1 (error tracker, PostgreSQL admin, brokers, deploy platform,
Kubernetes workloads, metric/log/trace/alert views, the edge, the fleet audit): each runs,
reveals the fault it should on catalog scenarios, rejects bad arguments with a ToolError
that lists valid values, and gives the same output for the same world."""

from __future__ import annotations

from typing import Any

import pytest

import warroom
from warroom import ToolCall
from warroom.agents.random_policy import V1_TOOLS
from warroom.tools.registry import REGISTRY, WRITE, load_all
from warroom.tools.slices import DOMAINS, READ_DOMAINS

load_all()
NEW_TOOLS = sorted(set(REGISTRY) - set(V1_TOOLS))


def more_valid_calls(ep: Any) -> dict[str, dict[str, Any]]:
    """One valid argument set per post-v1 tool on any world, ids read from outputs."""
    world = ep.world
    topo = world.topology
    app = next(c.name for c in topo.components if c.kind == "service")
    db = topo.kind_of("postgres")[0]
    cache = topo.kind_of("redis")[0]
    issues = ep.step(ToolCall("list_issues", {})).observation.data
    issue = issues[0]["id"] if issues else None
    pods = ep.step(ToolCall("list_pods", {"service": app})).observation.data
    rels = sorted((r for r in world.head.releases.values() if r.service == app),
                  key=lambda r: r.deployed_at)
    query = sorted(world.head.databases[db].queries)[0]
    topic = sorted(world.head.topics)[0]
    flag = sorted(world.head.flags)[0]
    node = sorted(world.head.nodes)[0]
    route = f"{topo.endpoints[0].method} {topo.endpoints[0].path}"
    calls: dict[str, dict[str, Any]] = {
        "search_issues": {"query": f"is:unresolved service:{app}"}, "release_health":
        {"service": app},
        "db_explain": {"queryid": query}, "db_index_usage": {}, "db_replication": {},
        "db_connections": {"database": db}, "db_settings": {"name": "max_connections"},
        "db_table_stats": {}, "db_disk_usage": {}, "db_cron_jobs": {}, "db_wait_events": {},
        "db_long_transactions": {"min_seconds": 30},
        "cache_info": {"cache": cache, "section": "memory"}, "cache_clients": {"cache": cache},
        "queue_topics": {}, "queue_consumers": {"topic": topic},
        "queue_dead_letters": {"topic": topic},
        "diff_releases": {"from_release": rels[0].id, "to_release": rels[-1].id},
        "release_commits": {"release_id": rels[-1].id}, "rollout_progress": {"service": app},
        "list_pipeline_runs": {"hours": 240}, "get_build_log": {"release_id": rels[-1].id},
        "config_history": {"service": app}, "config_drift": {"service": app},
        "get_flag": {"flag": flag}, "flag_history": {"minutes": 60},
        "list_deployments": {}, "describe_deployment": {"service": app},
        "list_replicasets": {"service": app}, "rollout_status": {"service": app},
        "rollout_history": {"service": app},
        "pod_logs": {"pod": pods[0]["pod"], "minutes": 5}, "top_pods": {"service": app},
        "top_nodes": {}, "node_conditions": {}, "describe_node": {"node": node},
        "hpa_status": {"service": app}, "get_endpoints": {"service": app},
        "get_resource_quota": {},
        "list_metrics": {"service": app},
        "compare_windows": {"service": app, "metric": "error_rate", "minutes": 10},
        "top_routes": {"by": "latency", "k": 3}, "golden_signals": {"service": app},
        "metric_changes": {"minutes": 20}, "list_alert_rules": {}, "alert_history": {},
        "slo_status": {}, "log_patterns": {"service": app, "minutes": 5},
        "log_volume": {"minutes": 2}, "trace_breakdown": {"route": route, "minutes": 2},
        "service_dependencies": {"service": app}, "edge_upstreams": {},
        "tls_certificates": {}, "dns_lookup": {"host": f"{app}.prod.svc.cluster.local:8080"},
        "provider_usage": {}, "get_agent_policy": {"agent": "autoscaler"},
        "agent_decisions": {"agent": "config-sync", "minutes": 30},
        "fleet_changes": {"target": app}, "fleet_summary": {},
        "fleet_action_context": {"agent": "lb-tuner"},
    }
    if issue is not None:
        calls.update({name: {"issue_id": issue} for name in (
            "issue_events", "issue_breadcrumbs", "issue_tags", "issue_releases",
            "issue_trend", "issue_suspect_commits", "resolve_issue")})
        calls["assign_issue"] = {"issue_id": issue, "team": topo[app].team}
    return calls


def test_registry_has_at_least_100_tools_and_every_new_one_a_valid_call() -> None:
    assert len(REGISTRY) >= 100
    assert list(REGISTRY)[:len(V1_TOOLS)] == [n for n in REGISTRY if n in V1_TOOLS]
    ep = warroom.make("db_connection_leak/checkout/medium/v1", max_steps=300)
    ep.reset(seed=0)
    calls = more_valid_calls(ep)
    assert set(NEW_TOOLS) <= set(calls), set(NEW_TOOLS) - set(calls)
    for name in NEW_TOOLS:
        res = ep.step(ToolCall(name, calls[name]))
        assert res.observation.ok, (name, res.observation.text)
        assert res.observation.text and res.observation.data is not None, name
        assert len(res.observation.text) <= 2200, name


def test_every_read_domain_grew() -> None:
    counts = {d: len(DOMAINS[d].tools()) for d in READ_DOMAINS}
    assert all(n >= 6 for n in counts.values()), counts
    assert {"resolve_issue", "assign_issue"} <= {s.name for s in DOMAINS["operations"].tools()}


def _run(sid: str, name: str, args: dict[str, Any]) -> Any:
    ep = warroom.make(sid, max_steps=50)
    ep.reset(seed=0)
    obs = ep.step(ToolCall(name, args)).observation
    assert obs.ok, (sid, name, obs.text)
    return obs


# (scenario, tool, arguments, a token the output must show because of the fault)
REVEALS = [
    ("replica_lag/postgres-replica/easy/v0", "db_replication", {}, "streaming"),
    ("replica_not_serving/postgres-replica/easy/v0", "db_replication", {}, "| off "),
    ("autovacuum_off_bloat/postgres/easy/v0", "db_table_stats", {}, "99.0"),
    ("db_disk_exhausted/postgres/easy/v0", "db_disk_usage", {}, "100%"),
    ("long_transaction_locks/postgres/easy/v0", "db_long_transactions", {},
     "idle in transaction"),
    ("long_transaction_locks/postgres/easy/v0", "db_wait_events", {}, "Lock"),
    ("max_connections_too_low/postgres/easy/v0", "db_settings", {"name": "max_connections"},
     "| 30 "),
    ("missing_index/app/easy/v0", "db_explain", {"queryid": "q_items_owner"},
     "Seq Scan on items"),
    ("pool_size_too_small/app/easy/v0", "config_drift", {"service": "app"}, "+DB_POOL_SIZE=1"),
    ("pool_size_too_small/app/easy/v0", "config_history", {"service": "app"},
     "DB_POOL_SIZE changed 20 -> 1"),
    ("wrong_dependency_host/app/easy/v0", "config_drift", {"service": "app"}, "+POSTGRES_HOST"),
    ("cache_auth_rotated/redis/easy/v0", "cache_clients", {"cache": "redis"}, "NOAUTH"),
    ("consumer_backlog/worker/easy/v0", "queue_consumers", {}, "workers"),
    ("pod_quota_exhausted/catalog/easy/v0", "get_resource_quota", {}, "pods       51      51"),
    ("scaled_to_zero/app/easy/v0", "list_deployments", {}, "0/0"),
    ("tls_cert_expired/edge-lb/easy/v0", "tls_certificates", {}, "-0.0        serving"),
    ("lb_weights_to_draining/edge-lb/easy/v0", "edge_upstreams", {}, "draining"),
    ("edge_dns_misconfig/edge-lb/easy/v0", "dns_lookup",
     {"host": "app.prod-legacy.svc.cluster.local:8080"}, "NXDOMAIN"),
    ("provider_key_expired/payment-provider/easy/v0", "provider_usage", {}, "expires in -0.0"),
    ("provider_rate_limited/payment-provider/easy/v0", "provider_usage", {}, "of limit 17/s"),
    ("recreate_rollout_outage/app/easy/v0", "rollout_status", {"service": "app"}, "Recreate"),
    ("bad_feature_flag/app/easy/v0", "flag_history", {}, "False -> True"),
    ("bad_release_exception/app/easy/v0", "rollout_history", {"service": "app"}, "<- current"),
    ("rogue_autoscaler/app/easy/v0", "fleet_changes", {"target": "app"}, "replicas 5 -> 1"),
    ("rogue_autoscaler/app/easy/v0", "fleet_action_context", {"agent": "autoscaler"},
     "ready_pods=1"),
    ("traffic_spike/catalog/easy/v0", "top_routes", {"by": "rps", "k": 1}, "/api/products"),
]


@pytest.mark.parametrize(("sid", "name", "args", "token"), REVEALS)
def test_tool_reveals_the_fault(sid: str, name: str, args: dict[str, Any], token: str) -> None:
    assert token in _run(sid, name, args).text


def test_healthy_looking_counterparts_do_not_show_the_token() -> None:
    assert "NXDOMAIN" not in _run("edge_dns_misconfig/edge-lb/easy/v0", "dns_lookup",
                                  {"host": "app.prod.svc.cluster.local"}, ).text
    assert "draining" not in _run("tls_cert_expired/edge-lb/easy/v0", "edge_upstreams", {}).text
    assert "Seq Scan" not in _run("missing_index/app/easy/v0", "db_explain",
                                  {"queryid": "q_me"}).text


def test_canary_exception_comes_from_the_canary_pod() -> None:
    ep = warroom.make("bad_canary/app/easy/v0", max_steps=50)
    ep.reset(seed=0)
    issue = ep.step(ToolCall("list_issues", {})).observation.data[0]["id"]
    progress = ep.step(ToolCall("rollout_progress", {"service": "app"})).observation.data
    assert len(progress["by_release"]) == 2
    canary = next(p["pod"] for p in progress["pods"] if p["release"] == progress["target"])
    tags = ep.step(ToolCall("issue_tags", {"issue_id": issue, "key": "server_name"}))
    assert tags.observation.data["server_name"] == [{"value": canary, "share": 1.0}]
    rels = ep.step(ToolCall("issue_releases", {"issue_id": issue})).observation.data
    assert [r["release"] for r in rels] == [progress["target"]]
    health = ep.step(ToolCall("release_health", {"service": "app"})).observation.data
    by = {r["release"]: r for r in health}
    assert by[progress["target"]]["error_free"] < 0.9 < min(
        r["error_free"] for k, r in by.items() if k != progress["target"])


def test_suspect_commit_is_the_release_that_broke_the_query() -> None:
    ep = warroom.make("schema_migration_breaks_query/app/easy/v0", max_steps=50)
    ep.reset(seed=0)
    issue = ep.step(ToolCall("list_issues", {})).observation.data[0]
    out = ep.step(ToolCall("issue_suspect_commits", {"issue_id": issue["id"]})).observation
    assert out.data["release"] == ep.world.head.services["app"].release
    assert "Rename" in out.text
    diff = ep.step(ToolCall("diff_releases", {"from_release": out.data["previous_release"],
                                               "to_release": out.data["release"]})).observation
    assert out.data["commit"][:12] in diff.text


BAD = [
    ("issue_events", {"issue_id": "NOPE-000"}, "unknown issue"),
    ("issue_events", {"issue_id": "NOPE-000", "limit": 0}, "unknown issue"),
    ("search_issues", {"query": "colour:red"}, "valid keys"),
    ("search_issues", {"query": "is:sleeping"}, "Valid: unresolved"),
    ("db_explain", {"queryid": "q_nope"}, "valid: q_"),
    ("db_settings", {"name": "fsync_please"}, "valid: autovacuum"),
    ("db_long_transactions", {"min_seconds": 0}, "between 1 and 86400"),
    ("cache_info", {"cache": "memcached"}, "Valid: redis"),
    ("queue_consumers", {"topic": "nope"}, "Valid:"),
    ("diff_releases", {"from_release": "rel-1", "to_release": "rel-2"}, "unknown release"),
    ("get_flag", {"flag": "nope"}, "Valid:"),
    ("pod_logs", {"pod": "nope"}, "unknown pod"),
    ("describe_node", {"node": "nope"}, "Valid:"),
    ("rollout_status", {"service": "nope"}, "Valid:"),
    ("compare_windows", {"service": "checkout", "metric": "bogons"}, "Valid: rps"),
    ("top_routes", {"k": 99}, "between 1 and 20"),
    ("trace_breakdown", {"route": "GET /nope"}, "Valid: GET"),
    ("get_agent_policy", {"agent": "skynet"}, "Valid: autoscaler"),
    ("fleet_changes", {"target": "nope"}, "Valid:"),
    ("assign_issue", {"issue_id": "NOPE-000", "team": "checkout"}, "unknown issue"),
    ("dns_lookup", {"host": " "}, "must not be empty"),
]


def test_bad_arguments_are_tool_errors_listing_valid_values() -> None:
    ep = warroom.make("db_connection_leak/checkout/medium/v1", max_steps=100)
    ep.reset(seed=0)
    for name, args, hint in BAD:
        obs = ep.step(ToolCall(name, args)).observation
        assert not obs.ok, (name, args)
        assert hint in obs.text, (name, obs.text)


def test_outputs_are_deterministic() -> None:
    texts = []
    for _ in range(2):
        ep = warroom.make("bad_canary/app/easy/v0", max_steps=200)
        ep.reset(seed=3)
        calls = more_valid_calls(ep)
        out = []
        for name in NEW_TOOLS:
            if REGISTRY[name].kind == WRITE:
                continue
            obs = ep.step(ToolCall(name, calls[name])).observation
            out.append((name, obs.text, repr(obs.data)))
        texts.append((out, ep.world.state_hash()))
    assert texts[0] == texts[1]


def test_resolve_and_assign_show_only_in_the_tracker_views() -> None:
    ep = warroom.make("bad_release_exception/app/easy/v0", max_steps=50)
    ep.reset(seed=0)
    world = ep.world
    issue = ep.step(ToolCall("list_issues", {})).observation.data[0]["id"]
    before = {n: REGISTRY[n].fn(world).text for n in ("list_issues", "list_alerts",
                                                      "get_events")}
    REGISTRY["resolve_issue"].fn(world, issue_id=issue)
    REGISTRY["assign_issue"].fn(world, issue_id=issue, team="backend")
    assert before == {n: REGISTRY[n].fn(world).text for n in before}
    found = REGISTRY["search_issues"].fn(world, query="is:assigned assigned:backend")
    assert [r["id"] for r in found.data] == [issue]
    assert found.data[0]["status"] == "resolved"
    ep.step(ToolCall("list_alerts", {}))  # time passes: the issue fires again
    again = ep.step(ToolCall("search_issues", {"query": "is:regressed"})).observation
    assert [r["id"] for r in again.data] == [issue]
    assert not ep.step(ToolCall("resolve_issue", {"issue_id": "NOPE-1"})).observation.ok


def test_random_baseline_draws_only_v1_tools() -> None:
    from warroom.agents.random_policy import RandomPolicy

    ep = warroom.make("bad_canary/app/easy/v0", max_steps=60)
    obs = ep.reset(seed=0)
    p = RandomPolicy()
    p.reset(obs, ep.tools, seed=5)
    drawn = {n for n in p._drawable()}
    assert drawn and drawn <= set(V1_TOOLS) and len(ep.tools) >= 100
