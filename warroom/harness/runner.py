"""The eval job: run a spec's tasks into a run directory, resumably, and summarise.

Finished episodes are committed one by one (see ``rundir``); on resume the tasks that
already have a line are skipped, so nothing is lost or run twice.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .batch import run_tasks
from .plan import tasks_of
from .progress import RunProgress
from .rundir import RunDir
from .stats import summarize


def start(out: Path, spec: dict[str, Any], resume: bool = False) -> RunDir:
    """A new run directory for ``spec``, or the existing one at ``out`` when resuming (whose
    stored spec then wins)."""
    if resume:
        run = RunDir.open(out)
        run.repair()
        return run
    return RunDir.create(out, spec)


def execute_run(run: RunDir, backend: str = "local", workers: int = 1,
                address: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every task of ``run``'s spec that has no record yet; write and return the
    summary."""
    spec = run.spec()
    began = time.perf_counter()
    tasks = tasks_of(spec)
    records = run.records()
    done = {r["key"] for r in records}
    todo = [t for t in tasks if t.key not in done]
    wanted = {t.key for t in tasks}
    prior = [r for r in records if r["key"] in wanted]
    bar = RunProgress(tasks, prior, enabled=progress)
    with bar:
        for record, trace in run_tasks(todo, backend, workers, address):
            run.append(record, trace)
            bar.advance(record)
    return finish(run, time.perf_counter() - began, ran=len(todo), backend=backend,
                  workers=workers)


def finish(run: RunDir, wall_s: float | None = None, **info: Any) -> dict[str, Any]:
    """Summarise the records on disk into summary.json."""
    spec = run.spec()
    summary = summarize(run.records())
    summary["run"] = {"path": str(run.path), "policies": [p["label"] for p in spec["policies"]],
                      "scenarios": len(spec["scenarios"]), "seeds": spec["seeds"],
                      "tasks": len(spec["scenarios"]) * len(spec["seeds"])
                      * len(spec["policies"]),
                      "reward_config": spec.get("reward_config"),
                      "selection": spec.get("selection", {}),
                      "git_revision": spec.get("git_revision"),
                      "warroom_version": spec.get("warroom_version"),
                      "wall_s": None if wall_s is None else round(wall_s, 2), **info}
    run.write_summary(summary)
    return summary
