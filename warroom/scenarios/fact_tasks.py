"""Fact tasks: a question about one domain of a scenario's world, answered by exact tokens.

A ``FactTask`` is opened from its id (``open_task``); its facts and decoys are read from the
world of its scenario at the incident page, so listing ids (``task_refs``) needs no world.
The generators live in ``warroom.scenarios.fact_templates``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..types import ToolCall
from .spec import Scenario

_EDGE = r"[A-Za-z0-9_]"


def names(text: str, token: str) -> bool:
    """Whether ``text`` contains ``token`` as a whole token (case-insensitive), the rule the
    fact grader reads answers by: ``v12`` is not named by ``v123``, nor ``pid 41`` by
    ``pid 410``."""
    if not token:
        return False
    pattern = rf"(?<!{_EDGE}){re.escape(token)}(?!{_EDGE})"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


@dataclass(frozen=True)
class FactTask:
    """One fact-finding question: its answer must contain every fact and no decoy.

    ``reads`` are tool calls whose outputs contain the facts (the oracle's path); decoys are
    look-alikes that appear in those outputs too, so naming every id seen fails.
    """

    id: str
    domain: str
    template: str
    split: str
    scenario: Scenario
    seed: int
    question: str
    facts: tuple[str, ...]
    decoys: tuple[str, ...] = ()
    reads: tuple[ToolCall, ...] = field(default_factory=tuple)
    step_budget: int = 12

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "domain": self.domain, "template": self.template,
                "split": self.split, "scenario": self.scenario.id}
