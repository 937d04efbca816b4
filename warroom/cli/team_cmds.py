"""The team faces of the CLI: ``run --team``, ``eval --team`` and ``play --role``.

The commands in ``main`` and ``eval_cmds`` hand over to these functions when the team
option is given, so the single-agent paths stay as they were.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from .. import make_team
from ..agents.team_base import RolePolicy
from ..env.roles import ROLES
from ..harness import plan
from ..harness.team import build_team, eval_teams, play, run_team
from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from . import render


def run_cmd(scenario: str, team: str, seed: int, as_json: bool) -> None:
    """``warroom run SCENARIO --team SPEC``: state hash and result, as the single run."""
    try:
        record = run_team(make_team(scenario).scenario, team, seed)
    except (KeyError, ValueError) as exc:
        raise typer.BadParameter(str(exc.args[0] if exc.args else exc)) from None
    if as_json:
        typer.echo(json.dumps(record, indent=2, default=str))
        return
    for m in record["result"]["team"]["transcript"]:
        typer.echo(f"[{m['time'][11:19]}] {m['from']} -> {m['to']}: {m['text']}")
    render.show_result(record["result"])
    roles = record["result"]["team"]["roles"]
    typer.echo("credit " + ", ".join(f"{r}={v['credit']}" for r, v in roles.items()))
    typer.echo(f"state_hash {record['state_hash']}")


def eval_cmd(teams: str, split: str, tier: str | None, n: int, seed: int | None,
             singles: str, as_json: bool, out: Any = None) -> None:
    """``warroom eval --team "SPEC;SPEC"``: the eval summary shape plus per-role metrics
    and a single agent vs team table on the same scenarios (and, with ``--out``, a run
    directory that ``warroom serve web`` shows)."""
    tiers = [t for t in (tier or "").split(",") if t] or None
    ids = plan.select(None if split == "all" else split, tiers, None, n or None)
    if not ids:
        raise typer.BadParameter("no scenario matches that split/tier")
    specs = [s.strip() for s in teams.split(";") if s.strip()]
    try:
        summary = eval_teams(ids, specs, [s for s in singles.split(",") if s.strip()], seed,
                             out)
    except FileExistsError as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(summary, default=str))
        return
    typer.echo(f"{'policy':<40} {'success':>8} {'score':>7}")
    for row in summary["leaderboard"]:
        typer.echo(f"{row['policy']:<40} {row['success_rate']:>8.1%} {row['mean_score']:>7.3f}")
    for label, roles in summary["roles"].items():
        parts = [f"{r}={v['credit']}" for r, v in roles.items() if r != "team"]
        typer.echo(f"{label}: " + ", ".join(parts) +
                   f"; communication={roles['team']['communication']}")
    if "run" in summary:
        typer.echo(f"run: {summary['run']}")


class HumanRole(RolePolicy):
    """A person at the terminal: sees whose turn it is, the chat and the role's tools."""

    name = "human"

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        from .play import parse_line

        render.console.print(f"--- your turn ({self.role}) ---", markup=False)
        for m in inbox:
            render.console.print(f"CHAT {m.sender} -> {m.to}: {m.text}", markup=False)
        render.show_observation(observation)
        while True:
            try:
                line = input(f"{self.role}> ").strip()
            except EOFError:
                return ToolCall("submit_report" if self.role == "commander" else "stand_by",
                                {})
            if line == "tools":
                render.console.print(", ".join(sorted(self.tool_names)), markup=False)
                continue
            if not line:
                continue
            try:
                return parse_line(line)
            except ValueError as exc:
                render.console.print(str(exc), markup=False)


def play_cmd(scenario: str, role: str, team: str, seed: int) -> None:
    """``warroom play SCENARIO --role ROLE``: a person plays one role, ``team`` the rest."""
    if role not in ROLES:
        raise typer.BadParameter(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    ep = make_team(scenario)
    _, policies = build_team(team, ep.roles)
    policies[role] = HumanRole()
    render.console.print(f"You are {ROLES[role].title}. Type a tool call as "
                         "'tool key=value ...', 'tools' lists yours.", markup=False)
    result: dict[str, Any] = play(ep, policies, seed)
    render.show_result(result)
    roles = result["team"]["roles"]
    typer.echo("credit " + ", ".join(f"{r}={v['credit']}" for r, v in roles.items()))
