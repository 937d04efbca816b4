"""Policies by name: ``heuristic``, ``llm:model=qwen3,base_url=http://...``, ``ppo:PATH`` (a
policy saved by ``warroom train ppo``; short for ``ppo:path=PATH``) or an import path.

A policy spec is a registry name or ``package.module:factory``, optionally followed by
``:key=value,key=value`` options passed to the factory (values parsed as JSON when they
can be, else kept as strings). The spec string is the policy's label in every result.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..agents import ppo_policy as _ppo  # noqa: F401  (registers "ppo")
from ..agents.base import Policy, make_policy

BUILTIN = ("random", "heuristic", "oracle")


@dataclass(frozen=True)
class PolicySpec:
    """A policy to build: registry ``name`` (or import path) and keyword options."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A unique, parseable name: the registry name and its options."""
        if not self.kwargs:
            return self.name
        opts = ",".join(f"{k}={_show(v)}" for k, v in sorted(self.kwargs.items()))
        return f"{self.name}:{opts}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kwargs": dict(self.kwargs), "label": self.label}


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse(spec: str) -> PolicySpec:
    """``name``, ``name:k=v,...``, ``pkg.mod:factory`` or ``pkg.mod:factory:k=v,...``."""
    spec = spec.strip()
    if not spec:
        raise ValueError("empty policy spec")
    head, _, rest = spec.partition(":")
    if head == "ppo" and rest and "=" not in rest:
        return PolicySpec("ppo", {"path": rest})
    if "." in head and rest and "=" not in rest.split(":", 1)[0]:
        factory, _, rest = rest.partition(":")
        head = f"{head}:{factory}"
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, val = item.partition("=")
        if not eq or not key:
            raise ValueError(f"policy option {item!r} in {spec!r} must look like key=value")
        kwargs[key.strip()] = _value(val.strip())
    return PolicySpec(head, kwargs)


def parse_many(specs: str | list[str]) -> list[PolicySpec]:
    """Policies from a list or a ';'-separated string (',' also separates bare names)."""
    items = specs if isinstance(specs, list) else specs.split(";")
    out: list[PolicySpec] = []
    for item in items:
        if ":" not in item and "," in item:
            out.extend(parse(p) for p in item.split(",") if p.strip())
        elif item.strip():
            out.append(parse(item))
    return out


def build(spec: PolicySpec) -> Policy:
    """A fresh policy object for ``spec`` (registry name or import path)."""
    if ":" in spec.name and "." in spec.name.split(":", 1)[0]:
        module, attr = spec.name.split(":", 1)
        factory = getattr(importlib.import_module(module), attr)
        policy = factory(**spec.kwargs)
        if not isinstance(policy, Policy):
            raise TypeError(f"{spec.name} did not build a warroom Policy")
        return policy
    return make_policy(spec.name, **spec.kwargs)
