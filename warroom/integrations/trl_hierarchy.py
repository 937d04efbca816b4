"""The orchestrator as a TRL environment: train the top level over fixed domain subagents.

``make_hierarchy_env_class(subagents="heuristic")`` is a class for
``GRPOTrainer(environment_factory=...)``, like ``warroom.train.grpo.make_env_class``, whose
tools are the orchestrator's and nothing else: ``ask_<domain>(question)`` for every domain of
``warroom.tools.slices.DOMAINS`` and ``submit_report``, generated from the hierarchy's own
schemas (signature, type hints, Google docstring). Its episode is a ``HierarchyEpisode``: an
``ask_<domain>`` call runs that domain's fixed subagent policy on the live world and returns
the subagent's answer. The reward is the grader's ``score`` (partial credit) or ``success``
(0/1) on the whole episode, the same grader as for a flat agent.

    >>> OrchestratorEnv = make_hierarchy_env_class(subagents="heuristic")
    >>> trainer = GRPOTrainer(model, args=config, train_dataset=hierarchy_rows("train"),
    ...                       environment_factory=OrchestratorEnv)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..agents.orch_base import subagents as build_subagents
from ..env.orchestrator import ASK, REPORT, HierarchyEpisode, ask_schema
from ..scenarios import get
from ..tools.registry import REGISTRY, Param, ToolOutput, ToolSpec, load_all
from ..tools.slices import DOMAINS
from ..train.grpo import Reward, WarroomToolEnv, tool_method

SubagentSpec = str | Mapping[str, Any] | None


def _never(*_: Any, **__: Any) -> ToolOutput:
    raise RuntimeError("ask_<domain> is answered by the hierarchy episode, not the registry")


def ask_spec(domain: str) -> ToolSpec:
    """``ask_<domain>`` as a tool spec (from ``ask_schema``), so its method is generated like
    the registry's; its kind is ``ask``, so it takes no ``page`` argument."""
    fn = ask_schema(domain)["function"]
    question = fn["parameters"]["properties"]["question"]
    param = Param("question", str, True, None, question["description"], {"type": "string"})
    return ToolSpec(fn["name"], domain, "ask", 0.0, fn["description"], (param,), _never)


def orchestrator_specs() -> dict[str, ToolSpec]:
    """The orchestrator's tools in the episode's order: every ``ask_<domain>``, then the
    report."""
    load_all()
    specs = {f"{ASK}{d}": ask_spec(d) for d in DOMAINS}
    specs[REPORT] = REGISTRY[REPORT]
    return specs


class HierarchyToolEnv(WarroomToolEnv):
    """Base of the generated orchestrator environments: opens a ``HierarchyEpisode``."""

    _subagents: SubagentSpec = "heuristic"

    def _open(self, scenario: str) -> Any:
        return HierarchyEpisode(get(scenario), build_subagents(self._subagents),
                                **self._make_options)


def make_hierarchy_env_class(subagents: SubagentSpec = "heuristic", reward: Reward = "score",
                             unfinished_reward: float = 0.0, name: str = "WarroomOrchestratorEnv",
                             **make_options: Any) -> type[HierarchyToolEnv]:
    """An ``environment_factory`` class that trains the orchestrator (see the module
    docstring).

    Args:
        subagents: the fixed subagents, as ``warroom.make_hierarchy`` takes them:
            ``"heuristic"`` (every domain's heuristic expert) or ``{domain: "heuristic" |
            {"llm": {...}} | factory}`` (domains left out stay heuristic).
        reward: ``score`` (partial credit) or ``success`` (0/1) from the grader.
        unfinished_reward: reward when the model stopped before the episode ended.
        name: class name; TRL logs the reward as ``rewards/<name>/mean``.
        make_options: passed to ``HierarchyEpisode`` (``max_steps``, ``sub_steps``,
            ``reward_config``).
    """
    if reward not in ("score", "success"):
        raise ValueError(f"reward must be 'score' or 'success', got {reward!r}")
    spec = subagents if isinstance(subagents, str) or subagents is None else dict(subagents)
    build_subagents(spec)  # a bad spec fails here, not in the first rollout
    specs = orchestrator_specs()
    body: dict[str, Any] = {n: tool_method(s) for n, s in specs.items()}
    body.update(_tool_names=tuple(specs), _reward=reward, _subagents=spec,
                _unfinished_reward=float(unfinished_reward), _make_options=dict(make_options),
                __module__=__name__, __qualname__=name, __doc__=HierarchyToolEnv.__doc__)
    return type(name, (HierarchyToolEnv,), body)


def hierarchy_rows(split: str = "train", tier: str | None = None, n: int | None = None,
                   seed: int = 0, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Training rows as ``warroom.train.datasets.scenario_rows`` makes them, with the
    orchestrator's system prompt unless another is given."""
    from ..agents.orch_llm import orchestrator_prompt
    from ..train.datasets import scenario_rows

    return scenario_rows(split=split, tier=tier, n=n, seed=seed,
                         system_prompt=system_prompt or orchestrator_prompt())
