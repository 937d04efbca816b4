"""Fact tasks of the observability and fleet domains: the oracle answers every dev task and a
fixed sample of the other splits, facts and decoys are printed by the reads, stuffing or a
wrong answer fails, tasks are deterministic and every template has enough tasks."""

from __future__ import annotations

import collections

import pytest

from warroom.scenarios.fact_templates import load, open_task, task_refs
from warroom.scoring.fact_grading import grade_answer, names
from warroom.tools.slices import DOMAINS

from .fact_support import play

MINE = ("observability", "fleet")
TEMPLATES = sorted(k for k, t in load().items() if t.domain in MINE)


def refs(key: str, split: str | None = None) -> list[str]:
    domain, name = key.split("/")
    return [r["id"] for r in task_refs(domain=domain, split=split) if r["template"] == name]


def check(task_id: str) -> None:
    """Oracle success, facts and decoys in the reads, and wrong answers failing."""
    task = open_task(task_id)
    tools = {s.name for s in DOMAINS[task.domain].tools()}
    assert task.reads and all(c.name in tools for c in task.reads), task_id
    assert 1 <= len(task.facts) <= 3 and task.decoys, task_id
    result, outputs = play(task_id)
    assert result["success"] and result["score"] == 1.0, (task_id, result)
    seen = "\n".join(outputs)
    for token in (*task.facts, *task.decoys):
        assert names(seen, token), f"{task_id}: {token!r} is not in the read outputs"
    facts, decoys = task.facts, task.decoys
    steps = len(task.reads) + 1
    stuffed = grade_answer(" ".join((*facts, *decoys)), facts, decoys, steps, steps)
    assert not stuffed["success"] and stuffed["score"] <= 0.5, task_id
    assert not grade_answer("", facts, decoys, steps, steps)["success"], task_id
    assert not grade_answer(decoys[0], facts, decoys, steps, steps)["success"], task_id


@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_solves_every_dev_task(key: str) -> None:
    ids = refs(key, "dev")
    assert ids, f"{key} has no dev task"
    for task_id in ids:
        check(task_id)


@pytest.mark.parametrize("split", ["train", "test", "ood"])
@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_solves_a_sample_of_other_splits(key: str, split: str) -> None:
    ids = refs(key, split)
    assert len(ids) >= 5, f"{key} has only {len(ids)} {split} tasks"
    step = len(ids) // 5
    for task_id in ids[::step][:5]:
        check(task_id)


def test_stuffed_answer_fails_in_the_episode() -> None:
    for key in TEMPLATES:
        task_id = refs(key, "dev")[0]
        task = open_task(task_id)
        result, _ = play(task_id, " ".join((*task.facts, *task.decoys)))
        assert not result["success"] and result["decoys_named"], task_id
        result, _ = play(task_id, "I could not find it.")
        assert not result["success"] and result["score"] == 0.0, task_id


@pytest.mark.parametrize("key", TEMPLATES)
def test_tasks_are_deterministic(key: str) -> None:
    task_id = refs(key, "dev")[0]
    assert open_task(task_id) == open_task(task_id)


def test_every_template_has_enough_tasks() -> None:
    per_domain = {d: collections.Counter(r["template"] for r in task_refs(domain=d))
                  for d in MINE}
    for d in MINE:
        mine = [k.split("/")[1] for k in TEMPLATES if k.startswith(f"{d}/")]
        assert len(mine) >= 8, f"{d} has only {len(mine)} templates"
        for name in mine:
            assert per_domain[d][name] >= 20, (d, name, per_domain[d][name])


def test_rogue_templates_apply_only_to_rogue_agent_scenarios() -> None:
    from warroom.scenarios.catalog import get
    from warroom.world.faults import FAULTS

    for name in ("rogue_first_change", "rogue_change"):
        for task_id in refs(f"fleet/{name}")[:50]:
            sc = get(task_id.split("@", 1)[1])
            assert any(FAULTS[f.type].family == "rogue_agent" for f in sc.faults), task_id
