"""The rubric tree: each node keeps its own score in [0, 1], so a result explains itself.

A leaf has a score and a note saying why. An inner node combines its children either as a
weighted mean over the children that apply (``mean``; weights are renormalized, so a
criterion that does not apply to a task neither helps nor hurts), as a product
(``product``; gates), or as 1 minus the sum of what each child lost (``deduct``; penalties,
each child being 1 minus one penalty). A node that does not apply is kept in
the tree with ``applies: false`` and its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Combine = Literal["leaf", "mean", "product", "deduct"]


def clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else float(x)


@dataclass
class Node:
    name: str
    score: float = 0.0
    weight: float = 1.0
    combine: Combine = "leaf"
    children: list[Node] = field(default_factory=list)
    note: str = ""
    applies: bool = True

    def __post_init__(self) -> None:
        if self.combine != "leaf":
            self.score = self._combined()
        self.score = clamp(self.score)

    def _combined(self) -> float:
        live = [c for c in self.children if c.applies]
        if self.combine == "deduct":
            return 1.0 - sum(1.0 - c.score for c in live)
        if self.combine == "product":
            out = 1.0
            for c in live:
                out *= c.score
            return out
        total = sum(c.weight for c in live)
        return sum(c.weight * c.score for c in live) / total if total > 0 else 0.0

    def child(self, name: str) -> Node:
        for c in self.children:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no child {name!r}")

    def find(self, path: str) -> Node:
        """A descendant by dotted path, e.g. ``achievement.diagnosis.component``."""
        node = self
        for part in path.split("."):
            node = node.child(part)
        return node

    def flat(self, prefix: str = "") -> dict[str, float]:
        """Every applicable node's score keyed by its dotted path (the root is ``""``)."""
        key = f"{prefix}.{self.name}" if prefix else self.name
        out = {key: self.score} if self.applies else {}
        for c in self.children:
            out.update(c.flat(key))
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "score": round(self.score, 6),
                             "weight": self.weight}
        if self.combine != "leaf":
            d["combine"] = self.combine
        if self.note:
            d["note"] = self.note
        if not self.applies:
            d["applies"] = False
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d


def leaf(name: str, score: float, note: str = "", weight: float = 1.0) -> Node:
    return Node(name, score, weight, "leaf", [], note)


def not_applicable(name: str, why: str, weight: float = 1.0) -> Node:
    return Node(name, 0.0, weight, "leaf", [], why, applies=False)


def mean(name: str, children: list[Node], weight: float = 1.0, note: str = "") -> Node:
    return Node(name, 0.0, weight, "mean", children, note)


def product(name: str, children: list[Node], weight: float = 1.0, note: str = "") -> Node:
    return Node(name, 0.0, weight, "product", children, note)


def deduct(name: str, children: list[Node], weight: float = 1.0, note: str = "") -> Node:
    return Node(name, 0.0, weight, "deduct", children, note)


def weighted(node: Node, weight: float) -> Node:
    node.weight = weight
    return node
