"""Imitation before PPO: behaviour cloning of the structured oracle, then DAgger.

Round 0 lets the expert (``ppo_expert.expert_action``, which reads the ground truth) play
``episodes`` train incidents and records (observation, mask, expert action); the network is
fitted to them (``ppo_teacher.clone``: masked cross-entropy). Each later round lets the
*student* play (greedy over the mask), labels every state it reaches with the expert's
action for that state, adds those to the data and refits: the student learns what to do
in the states its own mistakes lead to (DAgger, Ross et al. 2011). The student only ever
sees its dashboard; the ground truth is used for labels at training time only.
Episodes are seeded from (seed, round, episode), so the same seed gives the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ppo_expert import expert_action
from .ppo_teacher import clone

Data = tuple[list[Any], list[Any], list[int]]


def collect(env: Any, episodes: int, seed: int, student: Any = None,
            tick: Callable[[], None] | None = None) -> tuple[Data, list[dict[str, Any]]]:
    """Expert-labelled states from ``episodes`` runs: the expert drives when ``student`` is
    None, else the student's greedy choice does. Returns the data and the episodes' grades."""
    import numpy as np

    obs_l: list[Any] = []
    mask_l: list[Any] = []
    act_l: list[int] = []
    scores = []
    for e in range(episodes):
        obs, _ = env.reset(seed=seed * 100_003 + e)
        done, info = False, {}
        while not done:
            mask = env.unwrapped.action_masks()
            label = expert_action(env)
            obs_l.append(obs)
            mask_l.append(mask)
            act_l.append(label)
            action = label
            if student is not None:
                action = int(student.predict(obs, action_masks=np.asarray(mask),
                                             deterministic=True)[0])
            obs, _, term, trunc, info = env.step(action)
            done = term or trunc
        scores.append(dict(info.get("result") or {}))
        if tick is not None:
            tick()
    return (obs_l, mask_l, act_l), scores


def imitate(model: Any, env: Any, episodes: int, rounds: int, seed: int,
            epochs: int = 30, tick: Callable[[], None] | None = None) -> dict[str, Any]:
    """Behaviour cloning then ``rounds - 1`` DAgger rounds of ``episodes`` each, in place
    on ``model.policy``; returns per-round figures (samples, mean score of the round's
    driver, first and last loss)."""
    data: Data = ([], [], [])
    log = []
    for r in range(rounds):
        (obs, masks, acts), grades = collect(env, episodes, seed * 1_009 + r,
                                             student=None if r == 0 else model, tick=tick)
        data[0].extend(obs)
        data[1].extend(masks)
        data[2].extend(acts)
        losses = clone(model, data[0], data[1], data[2], epochs=epochs, seed=seed + r)
        log.append({"round": r, "driver": "expert" if r == 0 else "student",
                    "score": round(sum(float(g.get("score", 0.0)) for g in grades)
                                   / max(1, len(grades)), 4),
                    "success": round(sum(bool(g.get("success")) for g in grades)
                                     / max(1, len(grades)), 4),
                    "samples": len(data[2]), "loss_first": round(losses[0], 4),
                    "loss_last": round(losses[-1], 4)})
    return {"episodes": episodes, "rounds": log,
            "expert_score": log[0]["score"] if log else 0.0,
            "student_score": log[-1]["score"] if len(log) > 1 else None,
            "loss_first": log[0]["loss_first"] if log else 0.0,
            "loss_last": log[-1]["loss_last"] if log else 0.0}
