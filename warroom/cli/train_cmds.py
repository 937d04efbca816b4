"""``warroom export-sft``: expert trajectories as chat-format JSONL for supervised tuning."""

from __future__ import annotations

import json
from pathlib import Path

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
    ) -> None:
        """Write trajectories with tool calls in the chat format TRL's SFTTrainer loads."""
        from ..train.sft import export_sft
        from . import choices

        choices.check("split", [split])
        choices.check("tier", [tier] if tier else None)

        stats = export_sft(policy, split=split, n=n, out_path=out,
                           only_successful=not include_failed, tier=tier, seed=seed)
        typer.echo(json.dumps(stats, indent=2, default=str))
