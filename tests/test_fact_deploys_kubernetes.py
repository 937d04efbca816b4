"""Fact tasks of the deploys and kubernetes domains: the oracle answers every dev task, the
facts and decoys are in what its reads print, stuffing and wrong answers fail, tasks are
deterministic, a fixed sample of every other split plays too, and each template has tasks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.fact_support import play
from warroom.scenarios.fact_tasks import FactTask
from warroom.scenarios.fact_templates import load, open_task, task_refs
from warroom.scenarios.setup import start
from warroom.scoring.fact_grading import names
from warroom.tools.slices import DOMAINS

DOMAINS_HERE = ("deploys", "kubernetes")
TEMPLATES = sorted(k for k, t in load().items() if t.domain in DOMAINS_HERE)
MIN_TASKS = 20
SAMPLE = 5  # tasks per template per held-out split


def _ids(key: str, split: str | None = None) -> list[str]:
    domain, name = key.split("/")
    return [r["id"] for r in task_refs(domain=domain, split=split) if r["template"] == name]


def _sample(key: str, split: str) -> list[str]:
    """A fixed, spread-out sample: every k-th task of the split."""
    ids = _ids(key, split)
    step = max(1, len(ids) // SAMPLE)
    return ids[::step][:SAMPLE]


def _check_played(task_id: str) -> None:
    task = open_task(task_id)
    allowed = {s.name for s in DOMAINS[task.domain].tools()}
    assert task.reads and all(c.name in allowed for c in task.reads), task.reads
    assert 1 <= len(task.facts) <= 3, task.facts
    assert task.decoys, f"{task_id}: no decoy"
    for d in task.decoys:
        assert not any(names(f, d) or names(d, f) for f in task.facts), (task_id, d)
    res, outputs = play(task_id)
    assert res["success"] and res["score"] == 1.0, (task_id, res)
    seen = "\n".join(outputs)
    for token in (*task.facts, *task.decoys):
        assert names(seen, token), f"{task_id}: {token!r} is not in the reads' outputs"


@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_answers_every_dev_task(key: str) -> None:
    ids = _ids(key, "dev")
    for task_id in ids:
        _check_played(task_id)


@pytest.mark.parametrize("split", ["train", "test", "ood"])
@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_answers_a_sample_of_each_split(key: str, split: str) -> None:
    ids = _sample(key, split)
    assert ids, f"{key} has no {split} task"
    for task_id in ids:
        _check_played(task_id)


@pytest.mark.parametrize("key", TEMPLATES)
def test_stuffing_and_wrong_answers_fail(key: str) -> None:
    task_id = (_ids(key, "dev") or _ids(key, "test"))[0]
    task = open_task(task_id)
    stuffed, _ = play(task_id, " ".join((*task.facts, *task.decoys)))
    assert not stuffed["success"] and stuffed["decoys_named"] and stuffed["score"] <= 0.5
    decoys_only, _ = play(task_id, " ".join(task.decoys))
    assert not decoys_only["success"] and decoys_only["score"] == 0.0
    nothing, _ = play(task_id, "")
    assert not nothing["success"] and nothing["score"] == 0.0
    wrong, _ = play(task_id, "rel-0000 pod-nope-00000 nobody")
    assert not wrong["success"] and wrong["score"] == 0.0
    partial, _ = play(task_id, task.facts[0]) if len(task.facts) > 1 else (None, None)
    assert partial is None or not partial["success"]


# -- the facts are the right answer, read from the world state, not from any tool's output --
def _svc(task: FactTask) -> str:
    return next(str(c.arguments["service"]) for c in task.reads if "service" in c.arguments)


def _history(world: Any, service: str) -> list[Any]:
    return sorted((r for r in world.head.releases.values() if r.service == service
                   and r.deployed_at <= world.now), key=lambda r: (r.deployed_at, r.id))


def _before(world: Any, service: str, release: str) -> Any:
    ids = [r.id for r in _history(world, service)]
    return _history(world, service)[ids.index(release) - 1]


def _fault(truths: list[Any], *types: str) -> Any:
    return next(t for t in truths if t.fault in types)


def _minority(world: Any, service: str) -> str:
    pods = [p for p in world.snapshot()[service].pods if p.phase != "Terminated"]
    counts = Counter(p.release for p in pods)
    return min(counts, key=lambda r: counts[r])


def _live_key(world: Any, service: str) -> str:
    return next(r.text.split()[1] for r in world.records
                if r.source == service and r.kind == "config")


Check = Callable[[FactTask, Any, list[Any]], bool]
TRUE_FACTS: dict[str, Check] = {
    "deploys/live_release": lambda t, w, tr:
        t.facts[0] == w.head.services[_svc(t)].release,
    "deploys/pipeline_run": lambda t, w, tr:
        t.facts[1] == _history(w, _svc(t))[-1].id,
    "deploys/latest_deploy_commit": lambda t, w, tr: (lambda r: (r.id, r.commit) == t.facts)(
        max((r for r in w.head.releases.values() if r.deployed_at <= w.now),
            key=lambda r: r.deployed_at)),
    "deploys/rollback_target": lambda t, w, tr: t.facts[0] == _before(
        w, _svc(t), w.head.services[_svc(t)].release).id,
    "deploys/release_people": lambda t, w, tr: set(t.facts) == {
        _history(w, _svc(t))[-1].author, _history(w, _svc(t))[-1].reviewed_by},
    "deploys/unreviewed_release": lambda t, w, tr:
        w.head.releases[t.facts[0]].reviewed_by is None,
    "deploys/mixed_releases": lambda t, w, tr: t.facts[0] == _minority(w, _svc(t)),
    "deploys/config_change": lambda t, w, tr: t.facts[0] == _live_key(w, _svc(t)),
    "deploys/config_drift_value": lambda t, w, tr: t.facts[0] == _live_key(w, _svc(t))
        and str(w.head.services[_svc(t)].config[t.facts[0]]).lower() == t.facts[1].lower(),
    "deploys/flag_changed": lambda t, w, tr:
        w.head.flags[t.facts[0]].updated_by == t.facts[1],
    "kubernetes/previous_revision": lambda t, w, tr: t.facts[0] == _before(
        w, _svc(t), w.head.services[_svc(t)].release).id,
    "kubernetes/live_replicaset": lambda t, w, tr:
        t.facts[1] == w.head.services[_svc(t)].release,
    "kubernetes/image_version": lambda t, w, tr: list(t.facts) == [
        w.head.releases[w.head.services[_svc(t)].release].version,
        w.head.services[_svc(t)].release],
    "kubernetes/memory_limit_cut": lambda t, w, tr:
        t.facts[0] == f"{w.head.services[_svc(t)].mem_limit_mb}Mi",
    "kubernetes/odd_replicaset": lambda t, w, tr: t.facts[1] == _minority(w, _svc(t)),
    "kubernetes/saturated_node": lambda t, w, tr:
        t.facts[0] == _fault(tr, "noisy_neighbour").params["node"],
    "kubernetes/below_hpa_minimum": lambda t, w, tr: t.facts[0] == _fault(
        tr, "rogue_autoscaler", "rogue_bluffing_autoscaler", "scaled_to_zero",
        "partial_capacity_removed").component,
    "kubernetes/crash_setting": lambda t, w, tr: t.facts[0] == _fault(
        tr, "crash_loop_bad_setting", "missing_secret").culprit,
    "kubernetes/stuck_rollout": lambda t, w, tr: t.facts == (
        w.head.services[_svc(t)].release,
        w.head.services[_svc(t)].config["ROLLOUT_STRATEGY"]),
}


def test_every_template_has_a_truth_check() -> None:
    assert sorted(TRUE_FACTS) == TEMPLATES


@pytest.mark.parametrize("key", TEMPLATES)
def test_facts_match_the_world_state(key: str) -> None:
    for split in ("dev", "test", "ood"):
        for task_id in _sample(key, split)[:3]:
            task = open_task(task_id)
            world, truths, _ = start(task.scenario, task.seed)
            assert TRUE_FACTS[key](task, world, truths), (task_id, task.facts)


@pytest.mark.parametrize("key", TEMPLATES)
def test_tasks_are_deterministic(key: str) -> None:
    task_id = _ids(key)[0]
    assert open_task(task_id) == open_task(task_id)


def test_every_template_has_enough_tasks() -> None:
    counts = Counter(f"{r['domain']}/{r['template']}" for d in DOMAINS_HERE
                     for r in task_refs(domain=d))
    assert len([k for k in TEMPLATES if k.startswith("deploys/")]) >= 8
    assert len([k for k in TEMPLATES if k.startswith("kubernetes/")]) >= 8
    short = {k: counts[k] for k in TEMPLATES if counts[k] < MIN_TASKS}
    assert not short, f"templates with fewer than {MIN_TASKS} catalog tasks: {short}"
