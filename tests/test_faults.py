"""The fault catalog: coverage, and per fault that the injection is a state change whose
symptoms come from the physics, that a declared wrong fix does not mitigate, and that the
second failures a wrong fix is declared to cause really happen where declared."""

from __future__ import annotations

import pytest

from warroom.env.episode import Episode
from warroom.harness.checker import check, check_wrong_fix
from warroom.scenarios.catalog import build, targets_for
from warroom.tools.domains.report import categories
from warroom.world.faults import FAULTS
from warroom.world.faults.base import FAMILIES
from warroom.world.faults.distractors import DISTRACTORS

ISSUE_FAMILIES = {"compute", "config", "deploy", "capacity", "database", "cache", "queue",
                  "network", "external", "rogue_agent", "appdata", "rollout", "security"}


def easy_scenario(fault: str):  # type: ignore[no-untyped-def]
    """The fault alone (no red herrings, low noise) on its first easy target."""
    return build(fault, targets_for(fault, "easy")[0], "easy", 0)


def test_catalog_has_forty_faults_across_every_family() -> None:
    assert len(FAULTS) >= 40
    by_family: dict[str, int] = {}
    for ft in FAULTS.values():
        by_family[ft.family] = by_family.get(ft.family, 0) + 1
        assert ft.category.startswith(ft.family + "/") and ft.category.count("/") == 1
        assert ft.title and ft.sees and ft.wrong_fixes
    assert set(by_family) == ISSUE_FAMILIES == set(FAMILIES)
    assert by_family["rogue_agent"] >= 5
    # one kind per fault, up to generation 2; generation 3 files its mechanisms under kinds
    # the taxonomy has, so list_categories reads the same for every older id
    older = [ft for ft in FAULTS.values() if ft.generation <= 2]
    assert len({ft.category for ft in older}) == len(older)
    assert {ft.category for ft in FAULTS.values()} == {ft.category for ft in older}
    assert set(categories()) == {ft.category for ft in FAULTS.values()}
    assert not any(c.startswith("distractor") for c in categories())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_injection_changes_state_and_declares_its_ground_truth(fault: str) -> None:
    sc = easy_scenario(fault)
    ep = Episode(sc)
    ep.reset(seed=sc.seed)
    assert ep.world is not None
    truth = ep.truths[0]
    ft = FAULTS[fault]
    assert truth.fault == fault and truth.category == ft.category
    assert truth.component in ep.world.topology.names
    assert truth.path[0] == truth.component or truth.component in truth.path
    assert set(truth.path) <= set(ep.world.topology.names)
    assert truth.evidence and truth.fix and truth.wrong
    assert not ft.resolved(ep.world, truth), "the root condition is present after injection"
    for f in truth.fix:
        assert f["name"] in {"rollback_deploy", "set_config", "restart_service", "scale_service",
                             "set_resources", "set_flag", "pause_agent", "flag_rogue_agent",
                             "kill_query", "page_team"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_symptoms_come_from_physics_and_the_fix_restores_slos(fault: str) -> None:
    """Alerts (metric thresholds) fire at the page, each evidence token really appears in
    its tool's output, and the declared fix holds through the durable check."""
    report = check(easy_scenario(fault), 0)
    assert report.alerts, fault
    assert all(seen for _, _, seen in report.evidence), (fault, report.evidence)
    assert report.mitigated and not report.errors, (fault, report)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_wrong_fix_does_not_mitigate(fault: str) -> None:
    sc = easy_scenario(fault)
    out = check_wrong_fix(sc, 0, sc.seed)
    assert out["ok"], out["text"]
    assert not out["mitigated"], f"{fault}: wrong fix mitigated: {out['text']}"


def _declared_seconds() -> list[tuple[str, int]]:
    out = []
    for name in sorted(FAULTS):
        sc = easy_scenario(name)
        ep = Episode(sc)
        ep.reset(seed=sc.seed)
        out += [(name, i) for i, w in enumerate(ep.truths[0].wrong) if w.second]
    return out


def test_declared_second_failures_happen_where_declared() -> None:
    seconds = _declared_seconds()
    assert len(seconds) >= 4
    for name, i in seconds:
        sc = easy_scenario(name)
        d = check_wrong_fix(sc, i, sc.seed)["second"]
        worse = (d["error_after"] > d["error_before"] + 0.01
                 or d["cpu_after"] > d["cpu_before"] * 1.2
                 or d["ms_after"] > d["ms_before"] * 1.5)
        assert worse, (name, i, d)


def test_distractors_are_harmless_state_changes() -> None:
    from warroom.scenarios.spec import FaultSpec, Scenario
    from warroom.scoring import durable

    for name, d in sorted(DISTRACTORS.items()):
        for topo in ("shop", "startup"):
            from warroom.world.topology import TOPOLOGIES

            targets = d.targets(TOPOLOGIES[topo]())
            if not targets:
                continue
            sc = Scenario(id=f"test/{name}/{topo}", topology=topo,  # type: ignore[arg-type]
                          faults=[FaultSpec(type="scaled_to_zero", target="catalog"
                                            if topo == "shop" else "app", onset_min=0)],
                          distractors=[FaultSpec(type=name, target=targets[0],
                                                 onset_min=15)])
            ep = Episode(sc)
            ep.reset(seed=3)
            assert ep.world is not None
            assert ep.distractors[0].family == "distractor"
            assert ep.distractors[0].category not in categories()
            w = ep.world
            w.advance(600)
            before = durable.slo_violations(w)
            # the distractor alone: undo the fault, and every SLO holds
            from warroom.world import ops

            ops.scale(w, sc.faults[0].target, w.topology[sc.faults[0].target].replicas, "t")
            w.advance(900)
            assert before, "the fault itself breaks SLOs"
            assert not durable.slo_violations(w), (name, topo, durable.slo_violations(w))
