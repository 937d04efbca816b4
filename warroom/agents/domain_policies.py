"""Policies for domain fact tasks (a ``DomainEpisode``): oracle, heuristic, random, llm.

- ``oracle``: plays the task's ``reads``, then answers with its facts. The only policy that
  sees the task (``needs_task``: the harness calls ``set_task`` before ``reset``).
- ``heuristic``: the domain's heuristic expert (``subagents.heuristic_expert``), the one an
  orchestrator asks; it reads by keywords and answers with everything its reads showed.
- ``random``: a few random valid calls of the domain's tools, with arguments drawn from
  what it saw, then an answer of one to three id-like tokens drawn from the outputs.
- ``llm``: the OpenAI-compatible agent with the domain specialist's system prompt.

``make_domain_policy(name, domain, **options)`` builds one; an unknown name is a
``KeyError`` listing the valid ones. Any other ``Policy`` plays domain tasks too: it gets
the question on reset (``observation.data["question"]``) and the domain's tools.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..types import Observation, ToolCall
from ..world.faults import Truth
from ..world.topology import TOPOLOGIES
from .base import Policy
from .random_policy import BUCKET, RandomPolicy

if TYPE_CHECKING:
    from ..scenarios.fact_tasks import FactTask

ANSWER = "answer"
#: Tokens the random policy may answer with: words holding a digit or a dash (ids, pods,
#: releases, pids, times), as the tools print them.
TOKEN = re.compile(r"(?<![\w-])(?=[\w.:-]*[\d-])[A-Za-z0-9][\w.:-]*[A-Za-z0-9]")
SERVICE_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]{3,}")
#: Component names of every topology (public: the service map shows them).
COMPONENTS = frozenset(n for make in TOPOLOGIES.values() for n in make().names)


def _bucket(arg: str) -> str | None:
    """The vocabulary an argument draws from (``from_release`` too), if any."""
    return "release" if arg.endswith("_release") else BUCKET.get(arg)


class DomainOracle(Policy):
    """Plays the task's reads in order, then answers with exactly its facts."""

    name = "oracle"
    needs_task = True

    def __init__(self) -> None:
        super().__init__()
        self.task: FactTask | None = None
        self.plan: list[ToolCall] = []

    def set_task(self, task: FactTask) -> None:
        self.task = task

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed, truths)
        if self.task is None:
            raise ValueError("the domain oracle needs the fact task: call set_task(task) "
                             "before reset")
        self.plan = [ToolCall(c.name, dict(c.arguments)) for c in self.task.reads]
        self.plan.append(ToolCall(ANSWER, {"text": " ".join(self.task.facts)}))

    def act(self, observation: Observation) -> ToolCall:
        if not self.plan:
            raise RuntimeError("the domain oracle has already answered")
        return self.plan.pop(0)


class DomainRandom(RandomPolicy):
    """Random valid domain calls, then an answer of tokens drawn from what they printed."""

    name = "random"

    def __init__(self, max_calls: int = 4, max_tokens: int = 3) -> None:
        super().__init__(min_steps=1)
        self.max_calls, self.max_tokens = max_calls, max_tokens

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed, truths)
        self.opening = []
        budget = int((observation.data or {}).get("step_budget", 12))
        self.steps_left = self.rng.randint(1, max(1, min(self.max_calls, budget - 1))) + 1
        question = str((observation.data or {}).get("question") or observation.text)
        for word in SERVICE_WORD.findall(question.lower()):
            if word in COMPONENTS:
                self._add("component", word)
        self.seen: list[str] = []

    def _drawable(self) -> list[str]:
        """The domain's tools whose required ids it has seen (all of them, if none)."""
        tools = sorted(n for n in self.tools if n != ANSWER)
        ready = [n for n in tools if all(
            self.vocab.get(_bucket(a) or "") for a in self.tools[n].get("required", [])
            if _bucket(a) and a != "key")]
        return ready or tools

    def _learn(self, observation: Observation) -> None:
        if self.last is not None:
            for tok in TOKEN.findall(observation.text or ""):
                if tok not in self.seen:
                    self.seen.append(tok)
        super()._learn(observation)
        self._services(observation.data, 0)

    def _services(self, data: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(data, dict):
            for k, v in data.items():
                if k in ("service", "component") and isinstance(v, str):
                    self._add("component", v)
                self._services(v, depth + 1)
        elif isinstance(data, list):
            for v in data[:40]:
                self._services(v, depth + 1)

    def _value(self, tool: str, name: str, prop: dict[str, Any], args: dict[str, Any]) -> Any:
        if name.endswith("_release") and "enum" not in prop:
            return self._pick("release", "unknown")
        return super()._value(tool, name, prop, args)

    def _report(self) -> ToolCall:
        k = self.rng.randint(1, self.max_tokens)
        picked = self.rng.sample(self.seen, min(k, len(self.seen))) if self.seen else []
        return ToolCall(ANSWER, {"text": " ".join(picked) or "no idea"})


def _heuristic(domain: str) -> Policy:
    from .subagents import heuristic_expert

    return heuristic_expert(domain)


def _llm(domain: str, **kwargs: Any) -> Policy:
    from .llm import LLMPolicy
    from .orch_base import subagent_prompt

    opts = dict(kwargs)
    opts.setdefault("system_prompt", subagent_prompt(domain))
    return LLMPolicy(**opts)


DOMAIN_POLICIES: dict[str, Callable[..., Policy]] = {
    "oracle": lambda domain: DomainOracle(),
    "heuristic": _heuristic,
    "random": lambda domain, **kw: DomainRandom(**kw),
    "llm": _llm,
}


def make_domain_policy(name: str, domain: str, **kwargs: Any) -> Policy:
    """A built-in domain policy for ``domain``; a ``KeyError`` lists the valid names."""
    if name not in DOMAIN_POLICIES:
        raise KeyError(f"unknown domain policy {name!r}; valid: "
                       f"{', '.join(DOMAIN_POLICIES)} or an import path 'pkg.mod:factory'")
    return DOMAIN_POLICIES[name](domain, **kwargs)
