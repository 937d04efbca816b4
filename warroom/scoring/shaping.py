"""Dense rewards, potential-based on rubric progress.

The potential of a state is the rubric score computed on what has happened so far (nodes
that need the report or the fast-forward count 0 until then; no gates). At the last step
the potential is the final score. Each step's reward is ``gamma * phi' - phi``, so the
rewards of an episode telescope: their sum (discounted by ``gamma`` per step) is exactly
``gamma**T`` times the final score, whatever the agent did. Repeating a read, a fix, a flag
or a page does not change the potential, so it earns nothing; undoing progress gives back
what it earned.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Shaper:
    gamma: float = 1.0
    phi: float = 0.0
    nodes: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    discounted: float = 0.0
    steps: int = 0

    def step(self, phi: float, nodes: dict[str, float]) -> tuple[float, dict[str, float]]:
        """The reward for moving to potential ``phi``, and each node's change of score."""
        reward = self.gamma * phi - self.phi
        delta: dict[str, float] = {}
        if nodes is not self.nodes:
            delta = {k: round(v - self.nodes.get(k, 0.0), 6) for k, v in nodes.items()
                     if abs(v - self.nodes.get(k, 0.0)) > 1e-12}
            delta.update({k: round(-v, 6) for k, v in self.nodes.items()
                          if k not in nodes and abs(v) > 1e-12})
        self.discounted += self.gamma ** self.steps * reward
        self.steps += 1
        self.total += reward
        self.phi, self.nodes = phi, nodes
        return reward, delta
