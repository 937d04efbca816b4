"""A runbook written in the structured actions, and behaviour cloning into a PPO network.

``teacher_action(board)`` plays the heuristic runbook's order with the structured face's
templates: the sweeps, the alerting services' logs, store and config reads where the errors
point, a confirming read, the best hypothesis's fix, a status update, paging, the report.
It sees only the ``Dashboard`` (tool outputs), like the learner; the tests use it to drive
the face. ``clone`` fits the network's masked action distribution to given actions
(cross-entropy); ``warroom train ppo`` uses it with the structured oracle's labels
(``ppo_imitation``), not with this runbook's.
"""

from __future__ import annotations

import re
from typing import Any

from ..agents import heuristic_infra as infra
from ..agents.heuristic_signs import provider_errors
from ..agents.structured import ACTIONS, FAMILIES, Action, Dashboard

INDEX = {(a.kind, a.name, a.slot, a.family): i for i, a in enumerate(ACTIONS)}
SWEEPS = ("get_service_map", "list_categories", "list_deploys", "list_issues", "get_events",
          "list_fleet_actions")


def teacher_action(board: Dashboard) -> int:
    """The runbook's next action index (always a valid one)."""
    mask = board.mask()

    def ok(kind: str, name: str, slot: int = -1, family: str = "") -> int | None:
        i = INDEX.get((kind, name, slot, family))
        return i if i is not None and mask[i] else None

    n = board.notes
    room = board.budget - board.used > 7
    plan: list[int | None] = [ok("global", g) for g in SWEEPS]
    if room:
        plan += [ok("symptom", "logs", k) for k in range(3)]
        seen = "\n".join(n.text_of(s) for s in n.components)
        if re.search("lock timeout|statement timeout", seen):
            plan.append(ok("global", "db_locks"))
        if provider_errors(n):
            plan += [ok("global", "provider_status"), ok("global", "list_flags")]
        if infra.wants_db_reads(n):
            plan += [ok("read", "db_activity", board.slots.index(c)) for c in n.components
                     if n.kind(c) == "postgres" and c in board.slots]
        plan += [ok("read", "config", board.slots.index(c))
                 for c in infra.config_suspects(n)[:2] if c in board.slots]
        plan.append(ok("ranked", "confirm", 0))
    plan += [ok("ranked", "remediate", 0), ok("comms", "post_update"),
             ok("comms", "page_owner"), ok("ranked", "report", 0)]
    for i in plan:
        if i is not None:
            return i
    return _fallback_report(board, mask)


def _fallback_report(board: Dashboard, mask: list[bool]) -> int:
    sym = [c for c in board.notes.symptoms() if c in board.slots]
    slot = board.slots.index(sym[0]) if sym else 0
    for fam in ("deploy", *FAMILIES):
        i = INDEX.get(("report", "report", slot, fam))
        if i is not None and mask[i]:
            return i
    return next((i for i, m in enumerate(mask) if m), 0)


def demonstrations(env: Any, episodes: int, seed: int) -> tuple[list[Any], list[Any],
                                                                 list[int], list[float]]:
    """(observations, masks, teacher actions, episode scores) from ``episodes`` runs."""
    obs_l, mask_l, act_l, scores = [], [], [], []
    for e in range(episodes):
        obs, _ = env.reset(seed=seed * 100_003 + e)
        done = False
        info: dict[str, Any] = {}
        while not done:
            board = env.unwrapped.dashboard
            a = teacher_action(board)
            obs_l.append(obs)
            mask_l.append(env.unwrapped.action_masks())
            act_l.append(a)
            obs, _, term, trunc, info = env.step(a)
            done = term or trunc
        scores.append(float((info.get("result") or {}).get("score", 0.0)))
    return obs_l, mask_l, act_l, scores


def clone(model: Any, obs: list[Any], masks: list[Any], actions: list[int], epochs: int = 60,
          batch: int = 128, lr: float = 1e-3, seed: int = 0) -> list[float]:
    """Fit ``model.policy`` to the demonstrations; returns the mean loss per epoch."""
    import numpy as np
    import torch

    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
    m = np.asarray(masks, dtype=bool)
    y = torch.as_tensor(np.asarray(actions), dtype=torch.long)
    opt = torch.optim.Adam(model.policy.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        for start in range(0, len(y), batch):
            idx = order[start:start + batch]
            dist = model.policy.get_distribution(x[idx], action_masks=m[idx.numpy()])
            loss = -dist.log_prob(y[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(y))
    return losses


__all__ = ["Action", "clone", "demonstrations", "teacher_action"]
