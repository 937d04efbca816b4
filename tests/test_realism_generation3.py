"""Generation 3 of the catalog: targets added to older fault types (``newer_targets``) and
three fault types from physics (replication under primary write load, a release that blinds
the log pipeline, autoscaler thrash on a dependency limit). Older ids keep their targets and
second faults; the new ids are solved by the oracle; each mechanism shows in the telemetry
and its wrong fixes do not hold."""

from __future__ import annotations

import pytest

from warroom import ToolCall
from warroom.agents import make_policy
from warroom.env.episode import Episode
from warroom.harness.checker import check
from warroom.scenarios import catalog
from warroom.scenarios.splits import SPLITS
from warroom.world.faults import FAULTS
from warroom.world.faults.base import targets_known
from warroom.world.physics.stores import PREFILL_REFUSED
from warroom.world.telemetry.logs import shipping_delay_s
from warroom.world.topology import TOPOLOGIES

NEW_FAULTS = ("replica_lag_write_load", "verbose_logging_release", "autoscaler_readiness_thrash")
SHOP = TOPOLOGIES["shop"]()


def _grown() -> list[tuple[str, str, str]]:
    """(fault, target, tier) of every target an older fault type gained in generation 3."""
    out = []
    for name, ft in sorted(FAULTS.items()):
        if ft.newer_targets is None:
            continue
        for tier in catalog.TIERS:
            topo = TOPOLOGIES[catalog.topology_for(name, tier)]()
            old = set(targets_known(ft, topo, 2))
            out += [(name, t, tier) for t in catalog.targets_for(name, tier) if t not in old]
    return out


def test_the_catalog_grows_past_4700_scenarios_in_every_split() -> None:
    scenarios = catalog.all_scenarios()
    assert len(scenarios) >= 4770
    assert {s.split for s in scenarios} == set(SPLITS)
    assert len({s.id for s in scenarios}) == len(scenarios)
    assert {n for n in NEW_FAULTS} <= {s.faults[0].type for s in scenarios}
    assert all(FAULTS[n].generation == 3 for n in NEW_FAULTS)


def test_older_ids_never_meet_a_generation3_target_or_fault() -> None:
    for name, ft in FAULTS.items():
        if ft.generation > 2:
            continue
        for target in catalog.targets_for(name, "hard"):
            if target not in targets_known(ft, SHOP, ft.generation):
                continue  # a generation-3 id itself
            for v in range(0, 10, 3):
                pair = catalog.second_fault(name, target, f"{name}/{target}/hard/v{v}", v)
                if pair:
                    other = FAULTS[pair[0]]
                    assert other.generation <= ft.generation, (name, target, pair)
                    assert pair[1] in targets_known(other, SHOP, ft.generation), (name, pair)


def test_two_faults_never_both_set_the_autoscaler_policy() -> None:
    for target in catalog.targets_for("autoscaler_readiness_thrash", "hard"):
        for v in range(10):
            sc = catalog.build("autoscaler_readiness_thrash", target, "hard", v)
            assert not {f.type for f in sc.faults[1:]} & catalog.AUTOSCALER, sc.id


@pytest.mark.parametrize("name,target,tier", _grown())
def test_a_target_added_to_an_older_fault_is_solved(name: str, target: str, tier: str) -> None:
    sc = catalog.build(name, target, tier, 1)
    report = check(sc, sc.seed)
    assert report.ok, report


def _episode(sid: str) -> Episode:
    sc = catalog.get(sid)
    ep = Episode(sc, max_steps=200)
    ep.reset(seed=sc.seed)
    return ep


def _lag(ep: Episode) -> float:
    assert ep.world is not None
    return float(ep.world.snapshot()["postgres-replica"].extra["replication_lag_s"])


def test_replica_lag_grows_with_the_primary_backfill_and_drains_once_it_ends() -> None:
    ep = _episode("replica_lag_write_load/orders/medium/v1")
    world, truth = ep.world, ep.truths[0]
    assert world is not None
    first = _lag(ep)
    assert first > 30.0  # past the stale-read threshold at the page
    assert world.snapshot()["orders"].causes.get("stale_read", 0.0) > 0
    standby = world.head.databases["postgres-replica"]
    assert not standby.transactions  # nothing on the standby holds replay back
    world.advance(300.0)
    grown = _lag(ep)
    assert grown > first + 60.0
    ep.step(ToolCall("kill_query", {"pid": truth.params["pid"], "database": "postgres-primary"}))
    world.advance(600.0)
    assert _lag(ep) < grown - 300.0


def test_a_heavier_backfill_makes_the_lag_grow_faster() -> None:
    rates = []
    for rate in (20.0, 60.0):
        sc = catalog.get("replica_lag_write_load/payments/medium/v2")
        sc = sc.model_copy(update={"faults": [sc.faults[0].model_copy(
            update={"params": {"lag_s_per_min": rate}})]})
        ep = Episode(sc, max_steps=200)
        ep.reset(seed=sc.seed)
        assert ep.world is not None
        before = _lag(ep)
        ep.world.advance(600.0)
        rates.append(_lag(ep) - before)
    assert rates[1] > 2.5 * rates[0] > 0


def test_a_verbose_release_blinds_the_log_search_of_its_service_only() -> None:
    ep = _episode("verbose_logging_release/checkout/medium/v1")
    world = ep.world
    assert world is not None
    delay = shipping_delay_s(world, "checkout", world.now)
    assert delay > 5 * 60
    assert shipping_delay_s(world, "orders", world.now) == 0.0
    recent = ep.step(ToolCall("search_logs", {"service": "checkout", "minutes": 5}))
    assert recent.observation.data["total"] == 0
    other = ep.step(ToolCall("search_logs", {"service": "orders", "minutes": 5}))
    assert "[orders]" in other.observation.text
    older = ep.step(ToolCall("search_logs", {"service": "checkout", "query": "request dump",
                                             "minutes": 120}))
    assert "request dump" in older.observation.text
    ep.step(ToolCall("rollback_deploy", {"service": "checkout",
                                         "to_release": ep.truths[0].fix[0]["arguments"][
                                             "to_release"]}))
    world.advance(600.0)
    assert shipping_delay_s(world, "checkout", world.now) == 0.0


def test_the_runbook_solves_the_verbose_release_without_logs() -> None:
    """Its CPU-after-a-release rule needs no log line: the blinded pipeline costs it
    nothing (agents that lean on log search are the ones it hampers)."""
    sc = catalog.get("verbose_logging_release/catalog/medium/v3")
    ep = Episode(sc)
    obs = ep.reset(seed=sc.seed)
    policy = make_policy("heuristic")
    policy.reset(obs, ep.tools, sc.seed, None)
    while not ep.done:
        obs = ep.step(policy.act(obs)).observation
    assert (ep.result or {}).get("success")


def test_thrash_pods_past_the_headroom_fail_and_starve_every_client() -> None:
    ep = _episode("autoscaler_readiness_thrash/checkout/medium/v1")
    world = ep.world
    assert world is not None
    snap = world.snapshot()
    pods = snap["checkout"].pods
    failing = [p for p in pods if not p.ready]
    assert failing and all(p.crash_message == PREFILL_REFUSED for p in failing)
    assert len(pods) - len(failing) == ep.truths[0].params["base"]
    for other in ("auth", "orders", "payments"):
        assert snap[other].causes.get("db_error:too_many_clients", 0.0) > 0, other


def test_scaling_back_without_pausing_the_autoscaler_is_undone() -> None:
    ep = _episode("autoscaler_readiness_thrash/orders/medium/v2")
    world, truth = ep.world, ep.truths[0]
    assert world is not None
    base, desired = truth.params["base"], truth.params["desired"]
    ep.step(ToolCall("scale_service", {"service": "orders", "replicas": base}))
    world.advance(600.0)
    assert world.head.services["orders"].replicas == desired
    ep.step(ToolCall("pause_agent", {"agent": "autoscaler", "reason": "thrash"}))
    ep.step(ToolCall("scale_service", {"service": "orders", "replicas": base}))
    world.advance(600.0)
    assert world.head.services["orders"].replicas == base
    snap = world.snapshot()
    assert all(p.ready for p in snap["orders"].pods)
    assert snap["auth"].causes.get("db_error:too_many_clients", 0.0) == 0.0


@pytest.mark.parametrize("name", ("replica_lag_write_load", "autoscaler_readiness_thrash"))
def test_a_runbook_heuristic_misses_the_replication_and_thrash_faults(name: str) -> None:
    for tier in ("medium", "hard"):
        sc = catalog.build(name, catalog.targets_for(name, tier)[-1], tier, 4)
        ep = Episode(sc)
        obs = ep.reset(seed=sc.seed)
        policy = make_policy("heuristic")
        policy.reset(obs, ep.tools, sc.seed, None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
        assert not (ep.result or {}).get("success"), sc.id
