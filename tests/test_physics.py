"""Physics checks: symptoms follow from state, and changing the state changes them."""

from __future__ import annotations

from warroom.world import fleet, ops  # noqa: F401  (event handlers)
from warroom.world.build import build_world
from warroom.world.world import World


def healthy(topology: str = "shop", seed: int = 1) -> World:
    w = build_world(topology, seed)
    w.advance_to(w.incident_at)
    return w


def test_healthy_world_meets_its_slos() -> None:
    for topo in ("shop", "startup"):
        snap = healthy(topo).snapshot()
        for ep in snap.endpoints:
            assert ep.error_rps / ep.rps < 0.005, ep
            assert ep.p99_ms < ep.slo_p99_ms, ep


def test_bigger_pool_removes_waiting_connections() -> None:
    w = healthy()
    ops.set_config(w, "checkout", "DB_POOL_SIZE", 1, "test")
    small = w.snapshot()["checkout"]
    assert small.pool_waiting > 0 and small.causes.get("pool_timeout", 0) > 0
    w.advance(30)
    ops.set_config(w, "checkout", "DB_POOL_SIZE", 40, "test")
    big = w.snapshot()["checkout"]
    assert big.pool_waiting == 0 and "pool_timeout" not in big.causes
    assert big.error_frac < small.error_frac


def test_leak_grows_memory_until_oom_kills() -> None:
    w = build_world("shop", 2)
    w.advance_to(600)
    rel = ops.new_release(w, "orders", "dev", "cache in memory", {"leak_mb_per_min": 60})
    ops.start_rollout(w, "orders", rel.id)
    w.advance_to(900)
    early = w.snapshot()["orders"]
    w.advance_to(1020)
    later = w.snapshot()["orders"]
    assert later.mem_mb > early.mem_mb + 60
    w.advance_to(2400)
    pods = w.snapshot()["orders"].pods
    assert sum(p.restarts for p in pods) >= 3
    assert any(p.last_reason == "OOMKilled" for p in pods)


def test_slow_database_makes_callers_slow_then_failing() -> None:
    w = healthy()
    before = w.snapshot()
    db = w.edit_item("databases", "postgres-primary")
    db.jobs["nightly-report"].db_cpu_share = 0.9  # a job eating the database's CPU
    slow = w.snapshot()
    assert slow["postgres-primary"].mean_ms > 3 * before["postgres-primary"].mean_ms
    assert slow["checkout"].mean_ms > before["checkout"].mean_ms
    db = w.edit_item("databases", "postgres-primary")
    db.jobs["nightly-report"].db_cpu_share = 1.2
    worse = w.snapshot()
    assert worse["checkout"].error_frac > 0.05


def test_timeouts_and_retries_add_load() -> None:
    w = healthy()
    base = w.snapshot()["payments"].rps
    prov = w.edit_item("providers", "payment-provider")
    prov.error_pct = 40.0
    snap = w.snapshot()
    assert snap["payment-provider"].rps > 1.3 * base * 0 + snap["payments"].served_rps
    assert snap["payment-provider"].rps > base * 1.3  # two retries on 40% failures


def test_cache_restart_is_cold_and_loads_the_database() -> None:
    w = healthy()
    warm = w.snapshot()
    ops.restart(w, "redis", "test")
    w.advance(60)
    cold = w.snapshot()
    assert cold["redis"].extra["hit_ratio"] < warm["redis"].extra["hit_ratio"]
    assert cold["postgres-replica"].rps > warm["postgres-replica"].rps
    w.advance(3600)
    assert w.snapshot()["redis"].extra["hit_ratio"] > 0.9


def test_queue_grows_without_consumers_and_drains_after() -> None:
    w = healthy()
    ops.scale(w, "worker", 0, "test")
    w.advance(900)
    q = w.snapshot()["order-events"].extra
    assert q["depth"] > 1000 and q["lag_s"] > 60
    ops.scale(w, "worker", 4, "test")
    w.advance(1800)
    assert w.snapshot()["order-events"].extra["depth"] < q["depth"]


def test_expired_certificate_fails_clients_at_the_edge() -> None:
    w = healthy()
    edge = w.edit_single("edge")
    edge.cert_expires_at = w.now
    snap = w.snapshot()
    assert snap["edge-lb"].causes.get("tls", 0) > 0
    assert all(ep.error_rps / ep.rps > 0.9 for ep in snap.endpoints)


def test_rollout_pods_come_up_after_readiness_delay() -> None:
    w = healthy()
    ops.scale(w, "catalog", 8, "test")
    assert w.snapshot()["catalog"].ready == 6
    w.advance(45)
    assert w.snapshot()["catalog"].ready == 8


def test_telemetry_changes_after_a_fix() -> None:
    from warroom.world.telemetry import logs

    w = healthy()
    ops.set_config(w, "checkout", "DB_POOL_SIZE", 1, "test")
    w.advance(120)
    bad, _ = logs.search(w, "checkout", w.now - 60, w.now, "QueuePool", None, 50)
    assert bad
    ops.set_config(w, "checkout", "DB_POOL_SIZE", 20, "test")
    w.advance(300)
    good, _ = logs.search(w, "checkout", w.now - 60, w.now, "QueuePool", None, 50)
    assert not good


def _one_version(w: World) -> tuple[float, float]:
    """Two instants minutes apart within the longest-lived version of ``w``."""
    spans = [*(b.since - a.since for a, b in zip(w.versions, w.versions[1:], strict=False)),
             w.now - w.head.since]
    i = max(range(len(spans)), key=spans.__getitem__)
    t1 = w.versions[i].since + 60
    t2 = t1 + spans[i] - 120
    assert spans[i] >= 180 and w.version_index(t1) == w.version_index(t2) == i
    return t1, t2


def test_settings_read_once_per_version_still_follow_an_edit() -> None:
    # the solver keeps what it reads from a version (hosts, timeouts) across its instants
    w = healthy()
    t1, t2 = _one_version(w)
    first = w.snapshot(t1)["checkout"]
    plans = len(w._pod_plans)
    again = w.snapshot(t2)["checkout"]
    assert first.error_frac < 0.005 and again.error_frac < 0.005 and first.rps != again.rps
    assert len(w._pod_plans) == plans  # one version plan served both instants
    ops.set_config(w, "checkout", "PAYMENTS_HOST", "payments.prod.svc.cluster.local:1", "test")
    broken = w.snapshot()["checkout"]
    assert broken.causes.get("conn_refused:payments", 0.0) > 0
    assert w.snapshot(t2)["checkout"].causes == again.causes  # the past is unchanged


def test_a_ready_pod_without_a_leak_keeps_one_status() -> None:
    w = healthy()
    t1, t2 = _one_version(w)
    early, later = w.snapshot(t1), w.snapshot(t2)
    steady = {p.name: p for p in early["checkout"].pods}
    assert later["checkout"].pods and all(steady[p.name] is p for p in later["checkout"].pods)
    rel = ops.new_release(w, "orders", "dev", "cache in memory", {"leak_mb_per_min": 60})
    ops.start_rollout(w, "orders", rel.id)
    w.advance(300)
    a = w.snapshot()["orders"]
    w.advance(120)
    b = w.snapshot()["orders"]
    assert b.mem_mb > a.mem_mb + 60  # a leaking pod is re-derived at every instant
