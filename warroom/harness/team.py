"""Run team episodes: one incident with a policy per role, and a team eval summary.

``run_team`` plays one ``TeamEpisode`` and returns ``{scenario, seed, team, state_hash,
result}``; ``eval_teams`` plays teams (and optionally single agents) on scenarios and
returns the ``warroom eval`` summary shape (``leaderboard`` rows with ``policy`` and
``success_rate``) plus per-role metrics and a single-agent vs team table; given ``out`` it
also writes a run directory (spec.json, episodes.jsonl, one trace per episode whose steps
carry the acting ``role``; the chat is in each result's ``team.transcript``).
"""

from __future__ import annotations

import time
from pathlib import Path
from statistics import mean
from typing import Any

from ..agents.team_base import RolePolicy, make_role_policy, parse_team, team_label
from ..env.roles import DEFAULT_ROLES
from ..env.team import TeamEpisode
from ..scenarios import get
from ..scenarios.spec import Scenario
from ..types import Observation, ToolCall
from .policies import parse


def build_team(spec: str | dict[str, str], roles: list[str] | tuple[str, ...] = DEFAULT_ROLES
               ) -> tuple[str, dict[str, RolePolicy]]:
    """(label, {role: policy}) from a team spec."""
    team = parse_team(spec, roles) if isinstance(spec, str) else dict(spec)
    policies = {}
    for role, text in team.items():
        ps = parse(text)
        policies[role] = make_role_policy(ps.name, **ps.kwargs)
    return team_label(team), policies


def play(ep: TeamEpisode, policies: dict[str, RolePolicy], seed: int | None = None
         ) -> dict[str, Any]:
    """Play ``ep`` to the end with one policy per role; returns the result."""
    return _play(ep, policies, seed)[0]


def _play(ep: TeamEpisode, policies: dict[str, RolePolicy], seed: int | None
          ) -> tuple[dict[str, Any], float]:
    """(result, simulated time of the incident page)."""
    page = ep.reset(seed)
    assert ep.world is not None
    start_t = ep.world.now
    for role in ep.roles:
        pol = policies[role]
        pol.reset(role, ep.roles, Observation(ep.view(role), page.data, None, True, None,
                                              page.time, 0),
                  ep.tools_for(role), ep.inner.seed,
                  list(ep.inner.truths) if pol.needs_truth else None)
    last = {r: Observation(ep.view(r), page.data, None, True, None, page.time, 0)
            for r in ep.roles}
    heard = dict.fromkeys(ep.roles, 0)
    while not ep.done:
        role = ep.current_role
        inbox = [m for m in ep.chat[heard[role]:] if m.sender != role
                 and m.to in ("all", role)]
        heard[role] = len(ep.chat)
        try:
            call = policies[role].act(last[role], inbox)
        except Exception as exc:  # a broken policy loses its turn, never the episode
            call = ToolCall("stand_by", {})
            last[role] = Observation(f"policy error: {exc}", None, None, False, str(exc))
        last[role] = ep.step(call).observation
    assert ep.result is not None
    return ep.result, start_t


def run_team(scenario: str | Scenario, spec: str, seed: int | None = None, **options: Any
             ) -> dict[str, Any]:
    return _run_team(scenario, spec, seed, **options)[0]


def _run_team(scenario: str | Scenario, spec: str, seed: int | None = None, **options: Any
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the ``run_team`` record, the trace: step records with the acting ``role``)."""
    from .episode import step_record

    sc = get(scenario) if isinstance(scenario, str) else scenario
    label, policies = build_team(spec)
    ep = TeamEpisode(sc, **options)
    result, start_t = _play(ep, policies, seed)
    trace = [dict(step_record(s, start_t), role=role)
             for role, s in zip(ep.actors, ep.inner.trace, strict=True)]
    return ({"scenario": sc.id, "seed": ep.inner.seed, "team": label,
             "state_hash": ep.state_hash(), "result": result}, trace)


def _row(label: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(results)
    return {"policy": label, "episodes": n,
            "success_rate": round(sum(r["success"] for r in results) / n, 4) if n else 0.0,
            "mean_score": round(mean(r["score"] for r in results), 4) if n else 0.0}


def role_metrics(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean credit (over episodes where it applied) and counts per role."""
    out: dict[str, dict[str, Any]] = {}
    roles = list(results[0]["team"]["roles"]) if results else []
    for r in roles:
        rows = [res["team"]["roles"][r] for res in results]
        credit = [x["credit"] for x in rows if x["credit"] is not None]
        out[r] = {"credit": round(mean(credit), 4) if credit else None,
                  "steps": round(mean(x["steps"] for x in rows), 2),
                  "invalid": round(mean(x["invalid"] for x in rows), 2),
                  "messages": round(mean(x["messages"] for x in rows), 2)}
    comm = [res["team"]["communication"]["score"] for res in results]
    out["team"] = {"communication": round(mean(comm), 4) if comm else None}
    return out


def eval_teams(scenarios: list[str], teams: list[str], singles: list[str] = (),  # type: ignore[assignment]
               seed: int | None = None, out: Path | None = None) -> dict[str, Any]:
    """Every team (and single-agent policy) on every scenario; the eval summary shape.
    With ``out``, every episode also goes to a run directory there (and ``run`` names it)."""
    from .episode import run_episode
    from .policies import build

    run = _team_run(out, scenarios, teams, singles, seed) if out is not None else None
    board, per_role, table = [], {}, {}
    for spec in teams:
        label = build_team(spec)[0]
        results = []
        for s in scenarios:
            began = time.perf_counter()
            record, trace = _run_team(s, spec, seed)
            results.append(record["result"])
            if run is not None:
                run.append(_team_record(spec, label, record, trace,
                                        time.perf_counter() - began), trace)
        board.append(_row(label, results))
        per_role[label] = role_metrics(results)
        table[label] = [round(r["score"], 4) for r in results]
    for spec in singles:
        ps = parse(spec)
        results = []
        for s in scenarios:
            sc = get(s)
            outcome = run_episode(build(ps), sc, sc.seed if seed is None else seed)
            results.append(outcome.result)
            if run is not None:
                from .tasks import Task, record_of

                task = Task(ps, sc.id, sc.seed if seed is None else seed)
                run.append(record_of(task, sc, outcome), outcome.trace)
        board.append(_row(ps.label, results))
        table[ps.label] = [round(r["score"], 4) for r in results]
    summary = {"scenarios": list(scenarios), "leaderboard": board, "roles": per_role,
               "single_vs_team": {"scenarios": list(scenarios), "scores": table}}
    if run is not None:
        from .stats import summarize

        run.write_summary(summarize(run.records()))
        summary["run"] = str(run.path)
    return summary


def _team_run(out: Path, scenarios: list[str], teams: list[str], singles: list[str],
              seed: int | None) -> Any:
    """A new run directory for a team eval (its spec lists teams as policies)."""
    from .. import __version__
    from .rundir import SPEC_VERSION, RunDir, git_revision

    policies = [{"label": build_team(t)[0], "team": t} for t in teams]
    policies += [parse(s).to_json() for s in singles]
    seeds = sorted({get(s).seed for s in scenarios}) if seed is None else [seed]
    spec = {"spec_version": SPEC_VERSION, "warroom_version": __version__,
            "git_revision": git_revision(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "kind": "team", "policies": policies, "scenarios": list(scenarios),
            "seeds": seeds, "reward_config": None, "selection": {"teams": list(teams)}}
    return RunDir.create(Path(out), spec)


def _team_record(spec: str, label: str, record: dict[str, Any], trace: list[dict[str, Any]],
                 wall_s: float) -> dict[str, Any]:
    """The episodes.jsonl row of a team episode: as a single agent's, plus ``team``."""
    from .metrics import episode_metrics

    sc = get(record["scenario"])
    team = record["result"]["team"]
    return {"key": f"{label}|{sc.id}|{record['seed']}", "policy": label,
            "scenario": sc.id, "seed": record["seed"], "tier": sc.tier, "family": sc.family,
            "split": sc.split, "fault": "+".join(f.type for f in sc.faults),
            "result": record["result"],
            "metrics": episode_metrics(record["result"], trace, sc, {}, None),
            "steps": len(trace), "state_hash": record["state_hash"], "usage": {},
            "error": None, "wall_s": round(wall_s, 4),
            "team": {"spec": spec, "roles": list(team["roles"]),
                     "order": list(team.get("order") or team["roles"])}}
