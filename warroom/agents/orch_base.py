"""Orchestrator policies: the top level of a ``HierarchyEpisode``, and subagent factories.

An orchestrator is a ``Policy`` whose tools are ``ask_<domain>(question)`` and
``submit_report``. ``ORCHESTRATORS`` holds them by name (``heuristic``, ``oracle``,
``llm``), apart from the flat ``POLICIES`` because a flat episode has no ``ask_`` tools.
``subagents(spec)`` builds a factory per domain: heuristic experts, an OpenAI-compatible
model (each domain may have its own model and endpoint) or any Policy factory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from ..tools.registry import WRITE
from ..tools.slices import DOMAINS, domain_of
from ..types import ToolCall
from .base import Policy

ORCHESTRATORS: dict[str, Callable[..., Policy]] = {}
Factory = Callable[[], Policy]


def register_orchestrator(name: str) -> Callable[[Callable[..., Policy]],
                                                 Callable[..., Policy]]:
    def deco(factory: Callable[..., Policy]) -> Callable[..., Policy]:
        ORCHESTRATORS[name] = factory
        return factory

    return deco


def make_orchestrator(name: str, **kwargs: Any) -> Policy:
    """An orchestrator by name; a ``KeyError`` lists the valid names."""
    from . import orch_heuristic, orch_llm, orch_oracle  # noqa: F401  (register)

    if name not in ORCHESTRATORS:
        raise KeyError(f"unknown orchestrator {name!r}; valid: {', '.join(sorted(ORCHESTRATORS))}")
    return ORCHESTRATORS[name](**kwargs)


def ask(call: ToolCall, natural: str = "") -> ToolCall:
    """The ``ask_<domain>`` call that has the tool's specialist run exactly ``call``."""
    domain = domain_of(call.name)
    if domain is None:
        raise ValueError(f"{call.name} belongs to no subagent domain")
    exact = f"{call.name} {json.dumps(call.arguments, sort_keys=True)}"
    question = f"{natural} [{exact}]" if natural else exact
    return ToolCall(f"ask_{domain}", {"question": question})


def subagent_prompt(domain: str) -> str:
    """The system prompt of an LLM subagent of ``domain``."""
    d = DOMAINS[domain]
    text = resources.files("warroom.agents").joinpath("prompts/subagent.md").read_text("utf-8")
    writes = ("Execute exactly the changes you are told, in order, and say what each did; "
              "change nothing else." if d.kind == WRITE else "You can only read.")
    return text.format(domain=domain, title=d.title, writes=writes)


def llm_subagent(domain: str, **kwargs: Any) -> Factory:
    """A factory of LLM subagents for ``domain`` (``LLMPolicy`` options; its own model
    and endpoint); the domain's system prompt unless ``system_prompt`` is given."""
    from .llm import LLMPolicy

    opts = dict(kwargs)
    opts.setdefault("system_prompt", subagent_prompt(domain))
    return lambda: LLMPolicy(**opts)


def heuristic_subagent(domain: str) -> Factory:
    from .subagents import heuristic_expert

    return lambda: heuristic_expert(domain)


def _same(policy: Policy) -> Factory:
    return lambda: policy


def subagents(spec: Mapping[str, Any] | str | None = None) -> dict[str, Factory]:
    """A factory per domain. ``spec``: ``None``/``"heuristic"`` (every domain heuristic),
    ``{"errors": "llm", ...}`` style mapping whose values are ``"heuristic"``,
    ``{"llm": {...LLMPolicy options}}``, a zero-argument factory, a Policy class or a Policy
    object (reset before every question); domains left out stay heuristic."""
    out = {d: heuristic_subagent(d) for d in DOMAINS}
    if spec is None or spec == "heuristic":
        return out
    if isinstance(spec, str):
        raise ValueError(f"unknown subagent spec {spec!r}: give 'heuristic' or a mapping")
    for domain, value in spec.items():
        if domain not in DOMAINS:
            raise KeyError(f"unknown domain {domain!r}; valid: {', '.join(DOMAINS)}")
        if value == "heuristic":
            continue
        if isinstance(value, dict) and set(value) == {"llm"}:
            out[domain] = llm_subagent(domain, **value["llm"])
        elif isinstance(value, Policy):  # one object, reset before every question
            out[domain] = _same(value)
        elif callable(value):
            out[domain] = value
        else:
            raise ValueError(f"subagent for {domain}: {value!r} is not 'heuristic', "
                             "{'llm': {...}} or a factory")
    return out
