"""Masked PPO on the structured face, warm-started by imitating the structured oracle.

Library: sb3-contrib's ``MaskablePPO`` (stable-baselines3, the maintained reference PPO;
its masked variant takes ``action_masks()`` from the env, which the structured face has).

``train_ppo(make_env, out_dir)`` first imitates the structured oracle (``ppo_expert``: it
reads the ground truth, at training time only) on the train split: behaviour cloning of its
episodes, then DAgger rounds where the student plays and the oracle labels the states the
student reached (``ppo_imitation``). Then it fine-tunes with PPO on the scenarios
``make_env(tiers)`` draws from with a tier curriculum (easy, then easy+medium, then all), in
chunks of whole rollouts. The student sees only its dashboard throughout.
Every chunk starts from a fresh env seeded from (seed, chunk) and reseeds torch, so a run
resumed from a checkpoint (``out_dir/checkpoints``; the imitation's network is kept there
too and reused by a later run with the same imitation settings) is the same run as one
never stopped: same seed, same curve. Writes ``policy.zip``, ``curve.json`` (the
imitation rounds, and one point per finished PPO training episode: timestep, tier stage,
score, success) and ``curve.png``.
Needs the ``rl`` extra (torch, stable-baselines3, sb3-contrib, matplotlib).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CURRICULUM: tuple[tuple[tuple[str, ...], float], ...] = (
    (("easy",), 0.25), (("easy", "medium"), 0.35), (("easy", "medium", "hard"), 0.40))
N_STEPS = 256  # env steps per rollout; a chunk is a whole number of rollouts
DEFAULT_TIMESTEPS = 2048
DEFAULT_WARM_EPISODES = 250  # train episodes per imitation round
DEFAULT_ROUNDS = 6  # behaviour cloning, then five DAgger rounds
# A gentle fine-tune: the imitation already chose well; PPO adjusts from the reward.
HYPER = {"learning_rate": 1e-4, "n_steps": N_STEPS, "batch_size": 64, "n_epochs": 4,
         "gamma": 0.99, "gae_lambda": 0.95, "ent_coef": 0.0, "clip_range": 0.1}
NET = [128, 128]

MakeEnv = Callable[[Sequence[str]], Any]  # tiers -> a structured env with set_tiers()


@dataclass
class TrainResult:
    policy_path: Path
    curve_path: Path
    curve_json: Path
    timesteps: int
    episodes: int


def stage_of(step: int, total: int,
             curriculum: Sequence[tuple[tuple[str, ...], float]] = CURRICULUM) -> int:
    """The curriculum stage a timestep falls in."""
    edge = 0.0
    for i, (_, share) in enumerate(curriculum):
        edge += share * total
        if step < edge:
            return i
    return len(curriculum) - 1


def _masks(env: Any) -> Any:
    return env.unwrapped.action_masks()


def _seed_all(seed: int) -> None:
    import torch
    from stable_baselines3.common.utils import set_random_seed

    set_random_seed(seed)
    torch.manual_seed(seed)


def train_ppo(make_env: MakeEnv, out_dir: str | Path, total_timesteps: int = DEFAULT_TIMESTEPS,
              seed: int = 0, chunk_rollouts: int = 2, resume: bool = True,
              progress: bool = True, warm_episodes: int = DEFAULT_WARM_EPISODES,
              hyper: dict[str, Any] | None = None, stop_after: int | None = None,
              curriculum: Sequence[tuple[tuple[str, ...], float]] = CURRICULUM,
              dagger_rounds: int = DEFAULT_ROUNDS) -> TrainResult:
    """Train, checkpointing after every chunk; see the module docstring. ``hyper``
    overrides PPO settings (``HYPER``); ``stop_after`` stops after that many chunks (a
    later call with ``resume`` continues the same run)."""
    import torch
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.wrappers import ActionMasker
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor

    torch.set_num_threads(1)  # deterministic and fair on a shared laptop
    out = Path(out_dir)
    ckpt = out / "checkpoints"
    ckpt.mkdir(parents=True, exist_ok=True)
    params = {**HYPER, **(hyper or {})}
    chunk = int(params["n_steps"]) * chunk_rollouts
    n_chunks = max(1, -(-total_timesteps // chunk))
    state_file = ckpt / "state.json"
    curve: list[dict[str, Any]] = []
    start = stage = 0
    model: Any = None
    state: dict[str, Any] = {}

    base = make_env(curriculum[0][0])
    env = ActionMasker(Monitor(base), _masks)

    def chunk_seed(k: int) -> int:
        return seed * 1_000_003 + k

    if resume and state_file.exists():
        state = json.loads(state_file.read_text())
        if state.get("seed") == seed and state.get("chunk") == chunk \
                and state.get("chunks") == n_chunks and state.get("hyper") == params:
            start = int(state["chunks_done"])
            curve = list(state["curve"])
            model = MaskablePPO.load(str(ckpt / "latest.zip"), env=env, device="cpu",
                                     **(hyper or {}))
    warm: dict[str, Any] = {}
    if model is None:
        _seed_all(seed)
        model = MaskablePPO("MlpPolicy", env, seed=seed, device="cpu", verbose=0,
                            policy_kwargs={"net_arch": NET}, **params)
        if warm_episodes > 0:
            warm = _imitation(model, make_env(curriculum[-1][0]), ckpt, warm_episodes, seed,
                              dagger_rounds, resume, progress)
        model.save(str(ckpt / "latest.zip"))
        state_file.write_text(json.dumps({"seed": seed, "chunk": chunk, "chunks": n_chunks,
                                          "hyper": params,
                                          "chunks_done": 0, "curve": [], "warm": warm}))
    else:
        warm = dict(state.get("warm", {}))

    class Curve(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                res = info.get("result")
                if res is not None:
                    curve.append({"t": int(self.num_timesteps), "stage": stage,
                                  "score": round(float(res.get("score", 0.0)), 6),
                                  "success": bool(res.get("success"))})
            if bar is not None:
                bar.update(task, completed=min(self.num_timesteps, n_chunks * chunk))
            return True

    bar, task = _progress(progress, n_chunks * chunk, start * chunk)
    last = n_chunks if stop_after is None else min(n_chunks, start + stop_after)
    try:
        for k in range(start, last):
            stage = stage_of(k * chunk, n_chunks * chunk, curriculum)
            base.set_tiers(curriculum[stage][0])
            model.set_env(env)
            _seed_all(chunk_seed(k))
            model.set_random_seed(chunk_seed(k))
            model._last_obs = None  # every chunk starts from a reset seeded by (seed, chunk)
            model.learn(chunk, reset_num_timesteps=False, callback=Curve())
            model.save(str(ckpt / "latest.zip"))
            state_file.write_text(json.dumps({"seed": seed, "chunk": chunk, "chunks": n_chunks,
                                              "hyper": params,
                                              "chunks_done": k + 1, "curve": curve,
                                              "warm": warm}))
    finally:
        if bar is not None:
            bar.stop()
    if last < n_chunks:  # stopped early on purpose: the checkpoint is the result so far
        return TrainResult(ckpt / "latest.zip", out / "curve.png", state_file,
                           last * chunk, len(curve))
    policy_path = out / "policy.zip"
    model.save(str(policy_path))
    curve_json = out / "curve.json"
    curve_json.write_text(json.dumps({"seed": seed, "timesteps": n_chunks * chunk,
                                      "warm_start": warm,
                                      "curriculum": [list(t) for t, _ in curriculum],
                                      "episodes": curve}, indent=1))
    curve_png = plot_curve(curve, out / "curve.png", curriculum,
                           teacher=warm.get("expert_score"),
                           rounds=warm.get("rounds", []))
    return TrainResult(policy_path, curve_png, curve_json, n_chunks * chunk, len(curve))


def _imitation(model: Any, env: Any, ckpt: Path, episodes: int, seed: int, rounds: int,
               reuse: bool, progress: bool) -> dict[str, Any]:
    """The warm start, or the one ``ckpt`` kept from a run with the same imitation settings
    (``imitation.pt`` holds the network, ``imitation.json`` the figures): PPO settings can
    change between runs without redoing it."""
    import torch

    key = {"seed": seed, "episodes": episodes, "rounds": rounds, "net": NET}
    meta, weights = ckpt / "imitation.json", ckpt / "imitation.pt"
    if reuse and meta.exists() and weights.exists():
        kept = json.loads(meta.read_text())
        if kept.get("key") == key:
            model.policy.load_state_dict(torch.load(weights, weights_only=True))
            return dict(kept["warm"])
    warm = warm_start(model, env, episodes, seed, rounds=rounds, progress=progress)
    torch.save(model.policy.state_dict(), weights)
    meta.write_text(json.dumps({"key": key, "warm": warm}))
    return warm


def warm_start(model: Any, env: Any, episodes: int, seed: int, rounds: int = DEFAULT_ROUNDS,
               progress: bool = False) -> dict[str, Any]:
    """Behaviour cloning of the structured oracle, then DAgger (``ppo_imitation``)."""
    from .ppo_imitation import imitate

    bar, task = _progress(progress, episodes * rounds, 0, "imitation episodes")
    try:
        return imitate(model, env, episodes, rounds, seed,
                       tick=None if bar is None else lambda: bar.advance(task))
    finally:
        if bar is not None:
            bar.stop()


def _progress(show: bool, total: int, done: int, what: str = "PPO timesteps"
              ) -> tuple[Any, Any]:
    if not show:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True))
    task = bar.add_task(what, total=total, completed=done)
    bar.start()
    return bar, task


def plot_curve(curve: list[dict[str, Any]], path: Path,
               curriculum: Sequence[tuple[tuple[str, ...], float]] = CURRICULUM,
               window: int = 25, teacher: float | None = None,
               rounds: Sequence[dict[str, Any]] = ()) -> Path:
    """Two panels: the imitation rounds (the driver's train score and success per round:
    round 0 is the oracle, later ones the student), then the PPO training episodes' score
    (moving mean) against timesteps, curriculum stages shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, ax) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110,
                                   gridspec_kw={"width_ratios": [1, 2]})
    xs = [int(r["round"]) for r in rounds]
    for key, colour in (("score", "tab:blue"), ("success", "tab:green")):
        left.plot(xs, [float(r.get(key, 0.0)) for r in rounds], "o-", color=colour,
                  label=f"{key} of the round's episodes")
    left.set_xticks(xs, ["oracle" if x == 0 else f"DAgger {x}" for x in xs], fontsize=7)
    left.set_ylim(0, 1.08)
    left.set_title("imitation (train split; round 0 is the oracle)", fontsize=9)
    left.legend(fontsize=7, loc="lower right")
    ts = [p["t"] for p in curve]
    for key, colour in (("score", "tab:blue"), ("success", "tab:green")):
        vals = [float(p[key]) for p in curve]
        smooth = [sum(vals[max(0, i - window + 1): i + 1]) / len(vals[max(0, i - window + 1):
                                                                       i + 1])
                  for i in range(len(vals))]
        ax.plot(ts, smooth, color=colour, label=f"{key} (mean of last {window} episodes)")
    for i, (tiers, _) in enumerate(curriculum):
        xs = [p["t"] for p in curve if p["stage"] == i]
        if xs:
            ax.axvspan(min(xs), max(xs), color=f"C{i + 3}", alpha=0.08)
            ax.text(min(xs), 1.01, "+".join(tiers), fontsize=7, va="bottom")
    if teacher is not None:
        ax.axhline(teacher, color="grey", ls="--", lw=0.8,
                   label="structured oracle's score (imitation teacher)")
    ax.set_xlabel("training timesteps (structured actions)")
    ax.set_ylim(0, 1.08)
    ax.set_title("PPO fine-tuning: training episodes (train split)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
