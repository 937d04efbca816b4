"""``warroom``: list scenarios, run a policy on one, play one yourself, validate files.

Evaluation (``eval``, ``report``, ``bench``), servers (``serve``) and training exports
register their commands from their own modules.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import typer

from .. import make
from ..agents import make_policy
from ..harness.episode import StepHook
from ..harness.episode import run_episode as play_episode
from ..scenarios import generate
from ..tools.registry import REGISTRY, load_all
from ..types import ToolCall
from . import options, render

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="warroom: a deterministic incident war room for AI agents.")


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command("list")
def list_cmd(split: str | None = typer.Option(None, help="train, dev, test or ood"),
             tier: str | None = typer.Option(None, help="easy, medium or hard"),
             family: str | None = typer.Option(None, help="fault family, e.g. database"),
             as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List scenario ids with their family, fault, tier and split."""
    rows = [{"id": s.id, "family": s.family, "fault": s.faults[0].type, "tier": s.tier,
             "split": s.split} for s in generate(split=split, tier=tier, family=family)]
    if as_json:
        _emit(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']:<58} {r['family']:<14} {r['tier']:<7} {r['split']}")
    typer.echo(f"{len(rows)} scenarios", err=True)


def run_episode(scenario: str, policy: str, seed: int, max_steps: int | None = None,
                on_step: StepHook | None = None, policy_kwargs: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Run ``policy`` on ``scenario`` with ``seed`` (exactly as ``warroom eval`` plays that
    episode); return the JSON-able record."""
    sc = make(scenario).scenario
    agent = make_policy(policy, **(policy_kwargs or {}))
    out = play_episode(agent, sc, seed, max_steps=max_steps, on_step=on_step)
    return {"scenario": sc.id, "seed": seed, "policy": policy, "steps": out.steps,
            "state_hash": out.state_hash, "result": out.result, "error": out.error,
            "usage": out.usage, "trace": out.trace}


@app.command()
def run(scenario: str = typer.Argument(..., help="catalog id or path to a scenario file"),
        policy: str = typer.Option("heuristic", help="random, heuristic, oracle or llm"),
        seed: int = typer.Option(0, help="episode seed"),
        max_steps: int | None = typer.Option(None, help="override the step budget"),
        model: str | None = options.MODEL, base_url: str | None = options.BASE_URL,
        api_key_env: str | None = options.API_KEY_ENV, tool_mode: str = options.TOOL_MODE,
        price_in: float | None = options.PRICE_IN, price_out: float | None = options.PRICE_OUT,
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        team: str | None = typer.Option(None, help="run a team instead: a policy for every "
                                        "role or 'sre=oracle,developer=heuristic,...'")
        ) -> None:
    """Run a policy (random, heuristic, oracle or llm) on one scenario; print the
    trajectory and score."""
    if team:
        from .team_cmds import run_cmd

        run_cmd(scenario, team, seed, as_json)
        return
    kwargs = options.llm_kwargs(model, base_url, api_key_env, tool_mode, price_in,
                                price_out) if policy == "llm" else {}

    def show(step: int, call: ToolCall | None, obs: Any) -> None:
        if call is not None:
            render.show_call(step, call)
        render.show_observation(obs)

    try:
        record = run_episode(scenario, policy, seed, max_steps, None if as_json else show,
                             kwargs)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0])) from None
    if as_json:
        _emit(record)
    else:
        render.show_result(record["result"])
        typer.echo(f"state_hash {record['state_hash']}")
    if record["error"]:
        typer.echo(f"the episode stopped on an error: {record['error']}", err=True)
        raise typer.Exit(1)


PLAY_HELP = """Type a tool call as:  tool_name key=value key=value ...
  values are JSON when they parse (5, true, {"a": 1}), strings otherwise.
Commands: help (this), tools (list tools), help TOOL (its arguments), quit."""


def parse_line(line: str) -> ToolCall:
    """``query_metrics service=checkout metric=cpu`` -> ToolCall."""
    parts = shlex.split(line)
    args: dict[str, Any] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {part!r}")
        try:
            args[key] = json.loads(value)
        except json.JSONDecodeError:
            args[key] = value
    return ToolCall(parts[0], args)


@app.command()
def play(scenario: str = typer.Argument(..., help="catalog id or path to a scenario file"),
         seed: int = typer.Option(0, help="episode seed"),
         role: str | None = typer.Option(None, help="take one team role (sre, oversight, "
                                         "developer, commander); --team plays the others"),
         team: str = typer.Option("heuristic", help="team policy for the other roles")
         ) -> None:
    """Play an incident yourself: type tool calls at the prompt."""
    if role:
        from .team_cmds import play_cmd

        play_cmd(scenario, role, team, seed)
        return
    load_all()
    ep = make(scenario)
    render.show_observation(ep.reset(seed=seed), limit=10_000)
    render.console.print(PLAY_HELP)
    while not ep.done:
        try:
            line = input("warroom> ").strip()
        except EOFError:
            break
        if not line:
            continue
        if line in ("quit", "exit"):
            break
        if line == "help":
            render.console.print(PLAY_HELP)
            continue
        if line == "tools":
            for spec in REGISTRY.values():
                render.console.print(f"  {spec.name:<20} [{spec.kind}] {spec.description[:70]}",
                                     markup=False)
            continue
        if line.startswith("help "):
            found = REGISTRY.get(line[5:].strip())
            if found is None:
                render.console.print("unknown tool; type 'tools'")
                continue
            render.console.print(found.description, markup=False)
            for p in found.params:
                render.console.print(f"  {p.name}{'' if p.required else '?'}: "
                                     f"{p.schema.get('type', 'any')} - {p.description}",
                                     markup=False)
            continue
        try:
            call = parse_line(line)
        except ValueError as exc:
            render.console.print(str(exc), style="red", markup=False)
            continue
        res = ep.step(call)
        render.show_observation(res.observation, limit=10_000)
    render.show_result(ep.result)


@app.command()
def validate(path: Path = typer.Argument(..., help="scenario YAML or JSON file"),
             as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Check a scenario file; errors name the offending field."""
    from ..scenarios.files import validate as check

    problems = check(path)
    if as_json:
        _emit({"file": str(path), "ok": not problems, "errors": problems})
    elif problems:
        for p in problems:
            typer.echo(f"{path}: {p}", err=True)
    else:
        typer.echo(f"{path}: ok")
    if problems:
        raise typer.Exit(1)


@app.command()
def tools(as_json: bool = typer.Option(False, "--json", help="print OpenAI tool schemas")
          ) -> None:
    """List the agent tools (name, read/write, simulated cost, description)."""
    load_all()
    if as_json:
        _emit([s.openai_schema() for s in REGISTRY.values()])
        return
    for s in REGISTRY.values():
        typer.echo(f"{s.name:<20} {s.kind:<6} {s.cost_s:>5.0f}s  {s.description}")


def _register_optional() -> None:
    """Attach command groups that live with their own layer."""
    import importlib

    for mod in ("warroom.cli.eval_cmds", "warroom.cli.serve_cmds", "warroom.cli.train_cmds"):
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:
                continue
            raise
        module.register(app)


_register_optional()
