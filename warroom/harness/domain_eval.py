"""Policies on domain fact tasks: one episode (``run_domain``), a sample of tasks
(``select_tasks``) and the eval over both (``eval_domain``).

``eval_domain`` returns the ``warroom eval`` summary shape: ``leaderboard`` rows (``policy``,
``n``, ``success_rate`` with its Wilson interval, ``score``, mean steps and tool calls,
invalid actions, decoy rate, errors, tokens), ``by_template`` rows (policy x template), and
one row per episode. Everything is a function of the task ids, policies and seeds: a policy
gets the seed ``policy_seed(task id, world seed)``, so two runs give equal rows.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable, Iterable
from statistics import mean
from typing import Any

from ..agents.base import Policy
from ..agents.domain_policies import DOMAIN_POLICIES, make_domain_policy
from ..env.domain import DomainEpisode
from ..scenarios.fact_tasks import FactTask
from ..scenarios.fact_templates import task_refs
from ..scenarios.file_tasks import open_any
from ..scenarios.spec import Scenario
from .episode import policy_seed, step_record
from .policies import PolicySpec, build
from .stats import wilson

BUILTIN = ("random", "heuristic", "oracle")
DEFAULT_PER_TEMPLATE = 10


def domain_policy(spec: PolicySpec, domain: str) -> Policy:
    """A domain policy: a built-in name (``oracle``, ``heuristic``, ``random``, ``llm``)
    for ``domain``, or an import path ``pkg.mod:factory`` (built as ``warroom eval``
    builds it)."""
    if spec.name in DOMAIN_POLICIES:
        return make_domain_policy(spec.name, domain, **spec.kwargs)
    if ":" in spec.name and "." in spec.name.split(":", 1)[0]:
        return build(spec)
    raise KeyError(f"unknown domain policy {spec.name!r}; valid: "
                   f"{', '.join(DOMAIN_POLICIES)} or an import path 'pkg.mod:factory'")


def run_domain(policy: Policy, task: FactTask, label: str = "") -> dict[str, Any]:
    """Play ``policy`` on ``task`` until it answers or the step budget ends; a policy that
    raises ends the episode unanswered, with ``error`` set. Returns the episode row."""
    ep = DomainEpisode(task.domain, task=task)
    error = None
    try:
        obs = ep.reset()
        if getattr(policy, "needs_task", False):
            policy.set_task(task)  # type: ignore[attr-defined]
        policy.reset(obs, ep.tools, policy_seed(task.id, task.seed), None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
    except Exception as exc:  # the policy's failure is this episode's error
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    result: dict[str, Any] = ep.finish() if ep.world is not None else {"success": False,
                                                                         "score": 0.0}
    usage = dict(getattr(policy, "usage", None) or {})
    return {"task": task.id, "domain": task.domain, "template": task.template,
            "split": task.split, "scenario": task.scenario.id, "seed": task.seed,
            "policy": label or policy.name, "success": bool(result.get("success")) and
            error is None, "score": float(result.get("score") or 0.0) if error is None else 0.0,
            "steps": len(ep.trace),
            "tool_calls": sum(s.call.name != "answer" for s in ep.trace),
            "invalid": sum(not s.ok for s in ep.trace), "answered": ep.answer is not None,
            "decoys_named": list(result.get("decoys_named") or []),
            "facts_found": list(result.get("facts_found") or []),
            "state_hash": ep.state_hash() if ep.world is not None else None,
            "usage": usage, "error": error,
            "trace": [step_record(s) for s in ep.trace]}


def unopened(task_id: str, seed: int | None, label: str, exc: Exception) -> dict[str, Any]:
    """The row of a task whose world or facts could not be built: a failure with the error."""
    key, _, sid = task_id.partition("@")
    domain, _, template = key.partition("/")
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"task": task_id, "domain": domain, "template": template.split(":")[0],
            "split": None, "scenario": sid, "seed": seed, "policy": label, "success": False,
            "score": 0.0, "steps": 0, "tool_calls": 0, "invalid": 0, "answered": False,
            "decoys_named": [], "facts_found": [], "state_hash": None, "usage": {},
            "error": f"opening the task failed: {error}", "trace": []}


def check_task(task: FactTask) -> dict[str, Any]:
    """Whether a task is answerable as written: its reads run, their outputs show every
    fact and every decoy, and the oracle's answer succeeds. ``problems`` says what not."""
    from ..scoring.fact_grading import names

    row = run_domain(make_domain_policy("oracle", task.domain), task, "oracle")
    outputs = " ".join(s["text"] for s in row["trace"][:-1])
    problems = [f"read {s['tool']} failed: {s['text'][:120]}" for s in row["trace"][:-1]
                if not s["ok"]]
    problems += [f"fact {f!r} is not in the reads' outputs" for f in task.facts
                 if not names(outputs, f)]
    problems += [f"decoy {d!r} is not in the reads' outputs" for d in task.decoys
                 if not names(outputs, d)]
    if not task.decoys:
        problems.append("no decoy: naming every id seen would pass")
    if not row["success"]:
        problems.append(f"the oracle's answer fails: {row['error'] or row['facts_found']}")
    return {"id": task.id, "ok": not problems, "problems": problems}


def _order(task_id: str) -> str:
    return hashlib.sha256(task_id.encode()).hexdigest()


def select_tasks(domain: str, split: str | None = "test", per_template: int | None =
                 DEFAULT_PER_TEMPLATE, templates: list[str] | None = None) -> list[str]:
    """Catalog task ids of ``domain`` (and ``split``; None: all): ``per_template`` of each
    template (None or 0: all), picked by a fixed hash order so the sample spans faults,
    tiers and targets; grouped by template, in template order."""
    by_template: dict[str, list[str]] = {}
    for r in task_refs(domain=domain, split=split):
        if templates is None or r["template"] in templates:
            by_template.setdefault(r["template"], []).append(r["id"])
    out: list[str] = []
    for name in sorted(by_template):
        ids = sorted(by_template[name], key=_order)
        out += ids[:per_template] if per_template else ids
    return out


def _row(label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    wins = sum(r["success"] for r in rows)

    def avg(key: str) -> float:
        return round(mean(float(r[key]) for r in rows), 4) if n else 0.0

    tokens = [int(r["usage"].get("tokens_in", 0) or 0) + int(r["usage"].get("tokens_out", 0)
                                                             or 0) for r in rows]
    steps = sum(r["steps"] for r in rows)
    lo, hi = wilson(wins, n)
    return {"policy": label, "n": n, "episodes": n,
            "success_rate": round(wins / n, 4) if n else 0.0,
            "success_ci": [round(lo, 4), round(hi, 4)],
            "score": avg("score"), "mean_score": avg("score"),
            "mean_steps": round(steps / n, 2) if n else 0.0,
            "mean_tool_calls": round(avg("tool_calls"), 2),
            "invalid_action_rate": round(sum(r["invalid"] for r in rows) / steps, 4)
            if steps else 0.0,
            "answer_rate": round(sum(r["answered"] for r in rows) / n, 4) if n else 0.0,
            "decoy_rate": round(sum(bool(r["decoys_named"]) for r in rows) / n, 4)
            if n else 0.0,
            "mean_tokens": round(mean(tokens), 1) if any(tokens) else None,
            "errors": sum(r["error"] is not None for r in rows)}


def eval_domain(task_ids: Iterable[str], policies: list[PolicySpec], domain: str,
                seeds: list[int] | None = None, scenario: Scenario | None = None,
                on_episode: Callable[[dict[str, Any]], None] | None = None,
                done: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """Every policy on every task (and world seed; None: the task's own), in that order.
    ``scenario``: the file whose own tasks some ids are. ``done``: episode rows already
    played (a resumed run), not played again. Returns the summary (module docstring)."""
    ids = list(task_ids)
    seed_list: list[int | None] = list(seeds) if seeds else [None]
    kept = {(r["policy"], r["task"], r.get("world_seed")): r for r in done}
    episodes: list[dict[str, Any]] = []
    board, groups = [], []
    for ps in policies:
        rows = []
        for tid in ids:
            for seed in seed_list:
                key = (ps.label, tid, seed)
                if key in kept:
                    rows.append(kept[key])
                    continue
                try:
                    task = open_any(tid, seed, scenario)
                except Exception as exc:  # a task that cannot be built fails, loudly
                    row = unopened(tid, seed, ps.label, exc)
                else:
                    row = run_domain(domain_policy(ps, domain), task, ps.label)
                row["world_seed"] = seed
                rows.append(row)
                if on_episode is not None:
                    on_episode(row)
        episodes += rows
        board.append(_row(ps.label, rows))
        by_template: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_template.setdefault(r["template"], []).append(r)
        for name in sorted(by_template):
            groups.append({"template": name, **_row(ps.label, by_template[name])})
    ranked = sorted(board, key=lambda e: (-e["success_rate"], -e["score"], e["policy"]))
    for rank, e in enumerate(ranked, 1):
        e["rank"] = rank
    return {"domain": domain, "tasks": ids, "seeds": seeds or "task", "leaderboard": ranked,
            "by_template": groups, "episodes": episodes}
