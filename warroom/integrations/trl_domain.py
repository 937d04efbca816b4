"""One domain subagent as a TRL environment: train it alone on its domain's fact tasks.

``make_domain_env_class("errors")`` is a class for ``GRPOTrainer(environment_factory=...)``,
like ``warroom.train.grpo.make_env_class``, whose tools are the domain's tools (from
``warroom.tools.slices.DOMAINS``) and ``answer(text)``, generated from the registry
(signature, type hints, Google docstring). Its episode is a ``DomainEpisode`` on the fact
task the dataset row names (``task``, and optionally ``seed``); ``reset`` returns the
question and the domain's tool names. The reward is the fact grade of the answer: ``score``
(facts found times efficiency, halved when a decoy is named) or ``success`` (0/1), and
``unfinished_reward`` when the model stopped before answering. A call the episode rejects
(a tool outside the domain, bad arguments) raises, so TRL shows the error to the model.

``Warroom<Domain>Env`` (``WarroomErrorsEnv``, ...) is the default class of each read
domain, built on first use; ``domain_rows(domain, split)`` gives the rows.

    >>> from warroom.integrations.trl_domain import WarroomErrorsEnv, domain_rows
    >>> trainer = GRPOTrainer(model, args=config, train_dataset=domain_rows("errors"),
    ...                       environment_factory=WarroomErrorsEnv)
"""

from __future__ import annotations

from typing import Any

from ..agents.llm import load_system_prompt
from ..agents.orch_base import subagent_prompt
from ..env.domain import ANSWER, ANSWER_SCHEMA, DomainEpisode
from ..scenarios.fact_templates import open_task, task_refs
from ..tools.registry import Param, ToolOutput, ToolSpec
from ..tools.slices import DOMAINS, READ_DOMAINS
from ..train.grpo import Reward, ToolCallError, WarroomToolEnv, tool_method


def _never(*_: Any, **__: Any) -> ToolOutput:
    raise RuntimeError("answer is graded by the domain episode, not run by the registry")


def answer_spec() -> ToolSpec:
    """``answer(text)`` as a tool spec (from the episode's own schema), so its method is
    generated like the registry's; its kind is ``answer``, so it takes no ``page``."""
    fn = ANSWER_SCHEMA["function"]
    text = fn["parameters"]["properties"]["text"]
    param = Param("text", str, True, None, text["description"], {"type": "string"})
    return ToolSpec(ANSWER, "answer", ANSWER, 0.0, fn["description"], (param,), _never)


def domain_specs(domain: str) -> dict[str, ToolSpec]:
    """A read domain's tools in the episode's order: the domain's, then ``answer``."""
    if domain not in READ_DOMAINS:
        raise ValueError(f"no fact tasks in domain {domain!r}; read domains: "
                         f"{', '.join(READ_DOMAINS)}")
    return {**{s.name: s for s in DOMAINS[domain].tools()}, ANSWER: answer_spec()}


class DomainToolEnv(WarroomToolEnv):
    """Base of the generated domain environments: opens a ``DomainEpisode`` on a fact task."""

    _domain: str = ""

    def reset(self, **row: Any) -> str:
        """Open the fact task the row names (``task``, optional ``seed``); return the
        question with the domain's tools."""
        task_id = row.get("task")
        if not task_id:
            raise ValueError(f"a domain dataset row needs a 'task' column (a fact-task id); "
                             f"got {sorted(row)}")
        task = open_task(str(task_id))
        if task.domain != self._domain:
            raise ValueError(f"task {task_id} is a {task.domain} task; this environment "
                             f"trains the {self._domain} subagent")
        seed = row.get("seed")
        self._row = row
        self._episode = DomainEpisode(self._domain, task=task)
        return str(self._episode.reset(seed=None if seed is None else int(seed)).text)

    def get_reward(self) -> float:
        """The fact grade's ``score`` (or ``success``); ``unfinished_reward`` without an
        answer."""
        episode = self._episode
        if episode is None or episode.answer is None:
            return float(self._unfinished_reward)
        return float(episode.result[self._reward])

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        if self._episode is not None and self._episode.done:
            raise ToolCallError("The episode is over: the answer was given or the step "
                                "budget is spent. Stop calling tools.")
        return super()._call(name, arguments)


def make_domain_env_class(domain: str, reward: Reward = "score",
                          unfinished_reward: float = 0.0,
                          name: str | None = None) -> type[DomainToolEnv]:
    """An ``environment_factory`` class that trains ``domain``'s subagent (see the module
    docstring).

    Args:
        domain: a read domain (errors, database, deploys, kubernetes, observability, fleet).
        reward: ``score`` (partial credit) or ``success`` (0/1) of the fact grade.
        unfinished_reward: reward when the model stopped before answering.
        name: class name (default ``Warroom<Domain>Env``); TRL logs ``rewards/<name>/mean``.
    """
    if reward not in ("score", "success"):
        raise ValueError(f"reward must be 'score' or 'success', got {reward!r}")
    specs = domain_specs(domain)
    clash = [n for n in specs if hasattr(DomainToolEnv, n)]
    if clash:
        raise ValueError(f"tool name(s) {clash} clash with the environment's own methods")
    cls_name = name or f"Warroom{domain.title()}Env"
    body: dict[str, Any] = {n: tool_method(s) for n, s in specs.items()}
    body.update(_tool_names=tuple(specs), _reward=reward, _domain=domain,
                _unfinished_reward=float(unfinished_reward),
                __module__=__name__, __qualname__=cls_name, __doc__=DomainToolEnv.__doc__)
    return type(cls_name, (DomainToolEnv,), body)


def domain_rows(domain: str, split: str = "train", n: int | None = None, seed: int = 0,
                system_prompt: str | None = None) -> list[dict[str, Any]]:
    """One row per fact task of the domain and split (``n`` of them, in a seeded order,
    when given): ``prompt`` (the subagent's system prompt, or ``system_prompt``: a file or
    the text itself, and an empty user turn that TRL fills with the question), ``task``,
    ``scenario``, ``template`` and ``split``."""
    import random

    domain_specs(domain)  # an unknown or write domain fails here
    refs = task_refs(domain=domain, split=split)
    if not refs:
        raise ValueError(f"no {domain} fact tasks in split {split!r}")
    if n is not None:
        refs = random.Random(seed).sample(refs, min(n, len(refs)))
    system = load_system_prompt(system_prompt) if system_prompt else subagent_prompt(domain)
    head = [{"role": "system", "content": system},
            {"role": "user", "content": ""}]
    return [{"prompt": head, "task": r["id"], "scenario": r["scenario"],
             "template": r["template"], "split": r["split"]} for r in refs]


def __getattr__(attr: str) -> Any:
    """``Warroom<Domain>Env``: the default class of a read domain (score reward)."""
    for domain in READ_DOMAINS:
        if attr == f"Warroom{domain.title()}Env":
            cls = make_domain_env_class(domain)
            globals()[attr] = cls
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
