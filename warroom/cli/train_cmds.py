"""``warroom export-sft``: expert trajectories as chat-format JSONL for supervised tuning;
``warroom train ppo``: masked PPO on the structured face and its held-out table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer


def register(app: typer.Typer) -> None:
    @app.command("export-sft")
    def export_sft_cmd(
        policy: str = typer.Option("oracle", help="scripted policy: oracle or heuristic"),
        split: str = typer.Option("train", help="train, dev, test or ood"),
        n: int | None = typer.Option(None, help="number of scenarios (default: all)"),
        tier: str | None = typer.Option(None, help="easy, medium or hard"),
        seed: int = typer.Option(0, help="selection and episode seed"),
        include_failed: bool = typer.Option(False, "--all",
                                            help="also write unsuccessful episodes"),
        out: Path = typer.Option(..., "-o", "--out", help="output JSONL file"),
        domain: str | None = typer.Option(None, "--domain", help="domain fact tasks of the "
                                          "split instead: the subagent's trajectories (n: "
                                          "tasks per template)"),
        scenario: Path | None = typer.Option(None, "--scenario", help="with --domain: a "
                                             "scenario file's own fact tasks"),
    ) -> None:
        """Write trajectories with tool calls in the chat format TRL's SFTTrainer loads."""
        from ..train.sft import export_sft
        from . import choices

        if domain is not None or scenario is not None:
            from .domain_cmds import export_domain_sft
            from .errors import fail

            if domain is None:
                fail("--scenario exports a file's fact tasks: give the --domain too")
            typer.echo(json.dumps(export_domain_sft(domain, split, n, out, policy,
                                                    include_failed, scenario), indent=2))
            return

        choices.check("split", [split])
        choices.check("tier", [tier] if tier else None)

        stats = export_sft(policy, split=split, n=n, out_path=out,
                           only_successful=not include_failed, tier=tier, seed=seed)
        typer.echo(json.dumps(stats, indent=2, default=str))

    register_train(app)


TIERS = ("easy", "medium", "hard")


def held_out(split: str, per_tier: int) -> list[Any]:
    """``per_tier`` scenarios of each tier of ``split``, evenly spaced over the sorted ids."""
    from ..scenarios import generate

    out = []
    for tier in TIERS:
        pool = sorted(generate(split=split, tier=tier), key=lambda s: s.id)
        step = max(1, len(pool) // max(1, per_tier))
        out += pool[::step][:per_tier]
    return out


def evaluate(specs: list[str], splits: tuple[str, ...], per_tier: int, seed: int,
             progress: bool = True) -> list[dict[str, Any]]:
    """One row per (policy, split): success rate and mean score, overall and per tier."""
    from rich.console import Console
    from rich.progress import Progress

    from ..harness.episode import run_episode
    from ..harness.policies import build, parse

    sets = {sp: held_out(sp, per_tier) for sp in splits}
    rows = []
    with Progress(console=Console(stderr=True), disable=not progress) as bar:
        task = bar.add_task("held-out eval", total=len(specs) * sum(map(len, sets.values())))
        for text in specs:
            spec = parse(text)
            policy = build(spec)
            for sp, scenarios in sets.items():
                got: dict[str, list[tuple[bool, float]]] = {t: [] for t in TIERS}
                for i, sc in enumerate(scenarios):
                    res = run_episode(policy, sc, seed=seed * 7919 + i).result
                    got[sc.tier].append((bool(res.get("success")), float(res.get("score", 0))))
                    bar.advance(task)
                rows.append({"policy": spec.label, "split": sp,
                             **_rates([x for v in got.values() for x in v]),
                             "tiers": {t: _rates(v) for t, v in got.items() if v}})
    return rows


def _rates(xs: list[tuple[bool, float]]) -> dict[str, Any]:
    n = len(xs)
    return {"n": n, "success_rate": round(sum(s for s, _ in xs) / n, 4) if n else 0.0,
            "score": round(sum(v for _, v in xs) / n, 4) if n else 0.0}


def format_table(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown: success rate / mean score, overall and per tier."""
    head = "| policy | split | success | score | " + " | ".join(
        f"{t} success / score" for t in TIERS) + " |"
    lines = [head, "|" + "---|" * (4 + len(TIERS))]
    for r in rows:
        name = "ppo (trained)" if r["policy"].startswith("ppo") else r["policy"]
        tiers = [f"{r['tiers'][t]['success_rate']:.2f} / {r['tiers'][t]['score']:.2f}"
                 if t in r["tiers"] else "-" for t in TIERS]
        lines.append(f"| {name} | {r['split']} | {r['success_rate']:.2f} | {r['score']:.2f} | "
                     + " | ".join(tiers) + " |")
    return "\n".join(lines)


def register_train(app: typer.Typer) -> None:
    """``warroom train ppo``: masked PPO on the structured face, then a held-out table."""
    train_app = typer.Typer(help="Train policies in warroom (see README 'Does anything learn?')",
                            no_args_is_help=True)
    app.add_typer(train_app, name="train")

    @train_app.command("ppo")
    def ppo_cmd(
        out: Path = typer.Option(Path("runs/ppo"), "--out", help="output directory"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
        timesteps: int | None = typer.Option(None, help="training timesteps (default: "
                                                        "the README's budget)"),
        seed: int = typer.Option(0, help="training and evaluation seed"),
        eval_n: int = typer.Option(10, help="held-out scenarios per tier and split"),
        resume: bool = typer.Option(True, help="continue from out/checkpoints when present"),
        warm_episodes: int | None = typer.Option(None, help="train episodes per imitation "
                                                            "round before PPO (0: none)"),
        rounds: int | None = typer.Option(None, help="imitation rounds: behaviour cloning "
                                                     "of the oracle, then DAgger"),
        n_steps: int | None = typer.Option(None, help="PPO rollout length (env steps)"),
        lr: float | None = typer.Option(None, help="PPO learning rate (default 1e-4)"),
        n_epochs: int | None = typer.Option(None, help="PPO epochs per rollout (default 4)"),
        progress: bool = typer.Option(True, help="progress bars on stderr"),
    ) -> None:
        """Imitate the structured oracle (behaviour cloning, then DAgger), fine-tune with
        MaskablePPO on the train split with a tier curriculum, then evaluate random,
        heuristic, the trained policy and oracle on test and ood."""
        try:
            import sb3_contrib  # noqa: F401

            from ..integrations.structured_env import StructuredIncidentEnv
        except ModuleNotFoundError as exc:
            typer.echo(f"warroom train ppo needs the rl extra ({exc.name} is missing): "
                       "pip install torch==2.13.0 && pip install 'warroom[rl]'", err=True)
            raise typer.Exit(2) from exc
        from ..train.ppo import DEFAULT_ROUNDS, DEFAULT_TIMESTEPS, DEFAULT_WARM_EPISODES, train_ppo

        hyper: dict[str, Any] = {"n_steps": n_steps, "batch_size": min(64, n_steps)} \
            if n_steps else {}
        if lr is not None:
            hyper["learning_rate"] = lr
        if n_epochs is not None:
            hyper["n_epochs"] = n_epochs
        result = train_ppo(lambda tiers: StructuredIncidentEnv(split="train", tiers=tiers),
                           out, total_timesteps=timesteps or DEFAULT_TIMESTEPS, seed=seed,
                           resume=resume, progress=progress, hyper=hyper or None,
                           warm_episodes=DEFAULT_WARM_EPISODES if warm_episodes is None
                           else warm_episodes,
                           dagger_rounds=DEFAULT_ROUNDS if rounds is None else rounds)
        specs = ["random", "heuristic", f"ppo:{result.policy_path}", "oracle"]
        table = evaluate(specs, ("test", "ood"), per_tier=eval_n, seed=seed,
                         progress=progress)
        doc = {"table": table, "curve": str(result.curve_path),
               "curve_json": str(result.curve_json), "policy_path": str(result.policy_path),
               "timesteps": result.timesteps, "train_episodes": result.episodes,
               "seed": seed}
        (out / "table.json").write_text(json.dumps(doc, indent=1))
        typer.echo(json.dumps(doc, indent=2) if as_json else format_table(table))
