"""Fact tasks of the errors and database domains: the domain oracle answers every dev task
(and a fixed sample of the other splits), facts and decoys are printed by the reads,
stuffing every id seen fails, and tasks are deterministic and plentiful per template."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fact_support import play
from warroom.scenarios.fact_templates import load, open_task, task_refs
from warroom.scoring.fact_grading import grade_answer, names

DOMAINS = ("errors", "database")
TEMPLATES = sorted(k for k, t in load().items() if t.domain in DOMAINS)
SAMPLE_PER_SPLIT = 5


def _ids(key: str, split: str | None = None) -> list[str]:
    domain, name = key.split("/")
    return sorted(r["id"] for r in task_refs(domain, split) if r["template"] == name)


def _sample(key: str, split: str) -> list[str]:
    """A fixed spread of up to ``SAMPLE_PER_SPLIT`` task ids of one template and split."""
    ids = _ids(key, split)
    step = max(1, len(ids) // SAMPLE_PER_SPLIT)
    return ids[::step][:SAMPLE_PER_SPLIT]


def _check(task_id: str) -> None:
    """The oracle scores 1.0; every fact and decoy is printed by the reads; stuffing,
    silence and a wrong id fail."""
    result, outputs = play(task_id)
    assert result["success"] and result["score"] == 1.0, (task_id, result)
    task = open_task(task_id)
    text = "\n".join(outputs)
    assert task.decoys, f"{task_id}: no decoy"
    assert 1 <= len(task.facts) <= 3 and 1 <= len(task.reads) <= 3, task_id
    for token in (*task.facts, *task.decoys):
        assert names(text, token), f"{task_id}: {token!r} not printed by the reads"
    steps = len(task.reads) + 1
    stuffed = grade_answer(" ".join((*task.facts, *task.decoys)), task.facts, task.decoys,
                           steps, steps)
    assert not stuffed["success"] and stuffed["score"] <= 0.5, task_id
    assert not grade_answer("", task.facts, task.decoys, steps, steps)["success"]
    assert not grade_answer(None, task.facts, task.decoys, steps, steps)["success"]
    wrong = " ".join(task.facts[1:] + task.decoys[:1])
    assert not grade_answer(wrong, task.facts, task.decoys, steps, steps)["success"]


@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_solves_every_dev_task(key: str) -> None:
    ids = _ids(key, "dev")
    assert ids, f"{key} has no dev task"
    for task_id in ids:
        _check(task_id)


@pytest.mark.parametrize("split", ["train", "test", "ood"])
@pytest.mark.parametrize("key", TEMPLATES)
def test_oracle_solves_a_sample_of_each_split(key: str, split: str) -> None:
    for task_id in _sample(key, split):
        _check(task_id)


@pytest.mark.parametrize("key", TEMPLATES)
def test_tasks_are_deterministic(key: str) -> None:
    task_id = _ids(key)[0]
    first, second = open_task(task_id), open_task(task_id)
    assert first == second


def test_each_template_has_enough_tasks() -> None:
    counts = Counter(f"{r['domain']}/{r['template']}" for d in DOMAINS for r in task_refs(d))
    assert len([k for k in TEMPLATES if k.startswith("errors/")]) >= 8
    assert len([k for k in TEMPLATES if k.startswith("database/")]) >= 8
    thin = {k: counts[k] for k in TEMPLATES if counts[k] < 20}
    assert not thin, f"templates with fewer than 20 catalog tasks: {thin}"


def test_reads_stay_in_the_domain() -> None:
    from warroom.tools.slices import DOMAINS as SLICES

    for key in TEMPLATES:
        task = open_task(_ids(key)[0])
        allowed = {s.name for s in SLICES[task.domain].tools()}
        assert {c.name for c in task.reads} <= allowed, key
