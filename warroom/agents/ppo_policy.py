"""A policy trained with masked PPO on the structured face (``warroom train ppo``).

``PPOPolicy(path)`` loads an sb3-contrib ``MaskablePPO`` zip and plays it through the usual
``Policy`` interface: it keeps the same ``Dashboard`` the structured Gymnasium face keeps,
asks the network for the best valid action (deterministic argmax over the mask), and returns
that action's tool calls one at a time. Needs the ``rl`` extra (torch, stable-baselines3,
sb3-contrib); they are imported when a policy is built, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy, register_policy
from .structured import ACTIONS, Dashboard


def load_model(path: str | Path) -> Any:
    """The MaskablePPO model saved at ``path`` (a ``.zip``), on the CPU."""
    from sb3_contrib import MaskablePPO

    p = Path(path)
    if not p.exists() and not p.suffix and p.with_suffix(".zip").exists():
        p = p.with_suffix(".zip")
    if not p.exists():
        raise FileNotFoundError(f"no trained PPO policy at {path}")
    return MaskablePPO.load(str(p), device="cpu")


@register_policy("ppo")
class PPOPolicy(Policy):
    """A trained masked-PPO network acting on the structured dashboard."""

    name = "ppo"

    def __init__(self, path: str | Path | None = None, model: Any = None,
                 deterministic: bool = True) -> None:
        super().__init__()
        if model is None and path is None:
            raise ValueError("ppo needs path=PATH (the .zip written by `warroom train ppo`)")
        self.model = model if model is not None else load_model(str(path))
        self.deterministic = deterministic
        self.board: Dashboard | None = None
        self.queue: list[ToolCall] = []
        self.pending: ToolCall | None = None

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed)  # ground truth is never kept
        self.board = Dashboard(observation.data or {})
        self.queue = []
        self.pending = None

    def act(self, observation: Observation) -> ToolCall:
        import numpy as np

        board = self.board
        if board is None:
            raise RuntimeError("reset() first")
        if self.pending is not None:
            board.absorb(self.pending, observation.data, observation.ok)
        for _ in range(len(ACTIONS)):  # a focus makes no call: choose again
            if self.queue:
                break
            mask = np.asarray(board.mask(), dtype=bool)
            obs = np.asarray(board.features(), dtype=np.float32)
            action, _ = self.model.predict(obs, action_masks=mask,
                                           deterministic=self.deterministic)
            index = int(action)
            calls = board.calls(ACTIONS[index]) if mask[index] else []
            if mask[index]:
                board.taken(index)
            self.queue = calls if calls or mask[index] else [ToolCall("invalid_action", {})]
        if not self.queue:
            self.queue = [ToolCall("invalid_action", {})]
        self.pending = self.queue.pop(0)
        return self.pending
