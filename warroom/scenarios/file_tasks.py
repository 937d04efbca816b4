"""A scenario file's own fact tasks (a team's real tickets), played like the catalog's.

A scenario's ``fact_tasks`` entry ``n`` is the task ``<domain>/file:<n>@<scenario id>``
(template ``file``); its facts, decoys and reads are the file's, its world the scenario's
at the incident page. Catalog tasks come from ``fact_templates``; these need the scenario
itself (the id alone does not say where the file is).
"""

from __future__ import annotations

import re

from ..types import ToolCall
from .fact_tasks import FactTask
from .spec import Scenario

TEMPLATE = "file"
_ID = re.compile(r"^(?P<domain>[a-z_]+)/file:(?P<n>\d+)@(?P<sid>.+)$")


def task_id(scenario: Scenario, index: int) -> str:
    return f"{scenario.fact_tasks[index].domain}/{TEMPLATE}:{index}@{scenario.id}"


def is_file_task(task_id: str) -> bool:
    """Whether ``task_id`` names a scenario file's own task (``<domain>/file:<n>@...``)."""
    return _ID.match(task_id) is not None


def refs(scenario: Scenario, domain: str | None = None) -> list[dict[str, str]]:
    """``{id, domain, template, split, scenario}`` of the scenario's own fact tasks."""
    return [{"id": task_id(scenario, i), "domain": t.domain, "template": TEMPLATE,
             "split": scenario.split, "scenario": scenario.id}
            for i, t in enumerate(scenario.fact_tasks) if domain is None or t.domain == domain]


def open_file_task(scenario: Scenario, task_id: str, seed: int | None = None) -> FactTask:
    """The fact task ``task_id`` of ``scenario``; a ``KeyError`` names the valid ids."""
    m = _ID.match(task_id)
    valid = [r["id"] for r in refs(scenario)]
    if m is None or m["sid"] != scenario.id or int(m["n"]) >= len(scenario.fact_tasks) \
            or task_id not in valid:
        raise KeyError(f"unknown fact task {task_id!r} in scenario {scenario.id}; its tasks: "
                       f"{', '.join(valid) or '(none: the file has no fact_tasks)'}")
    spec = scenario.fact_tasks[int(m["n"])]
    return FactTask(task_id, spec.domain, TEMPLATE, scenario.split, scenario,
                    scenario.seed if seed is None else int(seed), spec.question,
                    tuple(spec.facts), tuple(spec.decoys),
                    tuple(ToolCall(r.tool, dict(r.arguments)) for r in spec.reads),
                    spec.step_budget)


def open_any(task_id: str, seed: int | None = None, scenario: Scenario | None = None
             ) -> FactTask:
    """A catalog fact task by id, or (with the scenario it belongs to) a file's own."""
    from .fact_templates import open_task

    if scenario is not None and scenario.fact_tasks and is_file_task(task_id):
        return open_file_task(scenario, task_id, seed)
    if is_file_task(task_id):
        raise KeyError(f"{task_id!r} is a scenario file's own task: give the scenario it "
                       "belongs to (make_domain(task_id, scenario='FILE.yaml'))")
    return open_task(task_id, seed)
