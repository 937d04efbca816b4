"""Flat vs hierarchical: the same incidents played by one agent with every tool, and by an
orchestrator over domain subagents (``HierarchyEpisode``).

``run_flat`` and ``run_hierarchical`` play one episode each and return ``{scenario, seed,
policy, result, state_hash, usage, error}``; ``usage`` counts the tool calls that touched
the world, the top level's calls, the subagents' calls, and the tokens that reached the top
model's context (characters / 4 of the page and of every observation it received; the tool
schemas it is sent apart, as ``schema_tokens``). ``eval_hierarchy`` plays every policy on
every scenario and returns the ``warroom eval`` summary shape: ``leaderboard`` rows whose
``policy`` is ``flat:<spec>`` or ``hierarchical:<spec>``.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping
from statistics import mean
from typing import Any

from ..agents.base import Policy
from ..agents.orch_base import Factory, make_orchestrator, subagents
from ..env.orchestrator import HierarchyEpisode, tokens
from ..scenarios import get
from ..scenarios.spec import Scenario
from ..tools.slices import DOMAINS
from ..types import Observation
from .episode import failed_result, policy_seed, run_episode
from .policies import PolicySpec, build, parse

FLAT, HIER = "flat", "hierarchical"


def run_flat(policy: Policy, scenario: Scenario, seed: int, label: str = "") -> dict[str, Any]:
    """One flat episode, with the characters of every observation the agent received."""
    chars = [0]

    def count(_: int, __: Any, obs: Observation) -> None:
        chars[0] += len(obs.text)

    outcome = run_episode(policy, scenario, seed, on_step=count)
    from ..env.episode import Episode

    schema = tokens(json.dumps(Episode(scenario).tools))
    usage = {"tool_calls": outcome.steps, "top_calls": outcome.steps, "subagent_calls": 0,
             "top_context_tokens": -(-chars[0] // 4), "schema_tokens": schema}
    return {"scenario": scenario.id, "seed": seed, "policy": label or policy.name,
            "result": outcome.result, "state_hash": outcome.state_hash, "usage": usage,
            "error": outcome.error}


def run_hierarchical(orchestrator: Policy, scenario: Scenario, seed: int,
                     agents: Mapping[str, Factory] | None = None, label: str = "",
                     max_steps: int | None = None, reward_config: str | None = None
                     ) -> dict[str, Any]:
    """One hierarchy episode; a failing orchestrator ends it with ``error`` set."""
    ep = HierarchyEpisode(scenario, agents or subagents(), max_steps=max_steps,
                          reward_config=reward_config)
    error = None
    try:
        obs = ep.reset(seed)
        orchestrator.reset(obs, ep.tools, policy_seed(scenario.id, seed),
                           list(ep.truths) if orchestrator.needs_truth else None)
        while not ep.done:
            obs = ep.step(orchestrator.act(obs)).observation
    except Exception as exc:  # the orchestrator's failure is this episode's error
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    result = dict(ep.result) if ep.result is not None else failed_result(ep.inner)
    usage = {"tool_calls": len(ep.trace), "top_calls": ep.usage.get("top_calls", 0),
             "subagent_calls": ep.usage.get("subagent_calls", 0),
             "top_context_tokens": ep.top_context_tokens, "schema_tokens": ep.schema_tokens}
    return {"scenario": scenario.id, "seed": seed, "policy": label or orchestrator.name,
            "result": result, "state_hash": ep.state_hash() if ep.world is not None else None,
            "usage": usage, "error": error}


def parse_subagents(text: str | None) -> dict[str, Any] | None:
    """``--subagents``: ``heuristic`` (default), one spec for every domain
    (``llm:model=M,base_url=U``, an import path), or ``domain=spec`` parts joined by ';'
    (domains left out stay heuristic)."""
    if not text or text.strip() == "heuristic":
        return None
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        head, eq, rest = part.partition("=")
        domains, spec = ([head.strip()], rest) if eq and head.strip() in DOMAINS \
            else (list(DOMAINS), part)
        value = _subagent(parse(spec))
        for d in domains:
            out[d] = value
    return out


def _subagent(ps: PolicySpec) -> Any:
    if ps.name == "heuristic":
        return "heuristic"
    if ps.name == "llm":
        return {"llm": dict(ps.kwargs)}
    return lambda: build(ps)


def _row(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(runs)

    def avg(key: str) -> float:
        return round(mean(r["usage"][key] for r in runs), 2) if n else 0.0

    scores = [r["result"]["score"] for r in runs]
    return {"policy": label, "level": label.split(":", 1)[0], "n": n, "episodes": n,
            "success_rate": round(sum(bool(r["result"]["success"]) for r in runs) / n, 4)
            if n else 0.0,
            "score": round(mean(scores), 4) if n else 0.0,
            "mean_score": round(mean(scores), 4) if n else 0.0,
            "mean_tool_calls": avg("tool_calls"), "mean_top_calls": avg("top_calls"),
            "mean_subagent_calls": avg("subagent_calls"),
            "mean_top_context_tokens": avg("top_context_tokens"),
            "schema_tokens": avg("schema_tokens"),
            "errors": sum(r["error"] is not None for r in runs)}


def _flat_play(ps: PolicySpec) -> Callable[[Scenario, int, str], dict[str, Any]]:
    return lambda sc, seed, label: run_flat(build(ps), sc, seed, label)


def _hier_play(ps: PolicySpec, factories: Mapping[str, Factory]
               ) -> Callable[[Scenario, int, str], dict[str, Any]]:
    return lambda sc, seed, label: run_hierarchical(
        make_orchestrator(ps.name, **ps.kwargs), sc, seed, factories, label)


def eval_hierarchy(scenarios: list[str], flat: list[PolicySpec], hierarchical: list[PolicySpec],
                   seeds: list[int] | None = None, agents: Mapping[str, Any] | None = None,
                   on_episode: Callable[[dict[str, Any]], None] | None = None
                   ) -> dict[str, Any]:
    """Every flat policy and every orchestrator (over ``agents``, default heuristic
    experts) on every scenario and seed; the eval summary shape plus per-episode rows."""
    factories = subagents(dict(agents) if agents else None)
    suffix = "" if not agents else "[subagents=" + ",".join(
        f"{d}:{v if isinstance(v, str) else 'llm' if isinstance(v, dict) else 'custom'}"
        for d, v in sorted(agents.items())) + "]"
    seeds = list(seeds or [0])
    board, episodes = [], []
    plays: list[tuple[str, Callable[[Scenario, int, str], dict[str, Any]]]] = []
    for ps in flat:
        plays.append((f"{FLAT}:{ps.label}", _flat_play(ps)))
    for ps in hierarchical:
        plays.append((f"{HIER}:{ps.label}{suffix}", _hier_play(ps, factories)))
    for label, play in plays:
        runs = []
        for sid in scenarios:
            sc = get(sid)
            for seed in seeds:
                rec = play(sc, seed, label)
                runs.append(rec)
                episodes.append({k: rec[k] for k in ("scenario", "seed", "policy",
                                                     "state_hash", "usage", "error")}
                                | {"success": rec["result"]["success"],
                                   "score": rec["result"]["score"]})
                if on_episode is not None:
                    on_episode(rec)
        board.append(_row(label, runs))
    return {"scenarios": list(scenarios), "seeds": seeds, "leaderboard": board,
            "by_tier": by_tier(episodes), "episodes": episodes}


def by_tier(episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Success and score per (policy, tier), in leaderboard order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in episodes:
        groups.setdefault((e["policy"], get(e["scenario"]).tier), []).append(e)
    return [{"policy": p, "tier": t, "n": len(rows),
             "success_rate": round(sum(bool(r["success"]) for r in rows) / len(rows), 4),
             "score": round(mean(r["score"] for r in rows), 4)}
            for (p, t), rows in groups.items()]
