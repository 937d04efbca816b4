"""``warroom``: list scenarios, run a policy on one, play one yourself, validate files.

Evaluation (``eval``, ``report``, ``bench``), servers (``serve``) and training exports
register their commands from their own modules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

from .. import Episode, __version__, make
from ..agents import make_policy
from ..harness.episode import StepHook
from ..harness.episode import run_episode as play_episode
from ..scenarios import generate
from ..tools.registry import REGISTRY, load_all
from ..types import ToolCall
from . import choices, options, render
from .errors import FAILURE, fail, user_errors
from .play import play_loop, tools_table

RUN_LINES = 30  # lines of each tool output that `warroom run` shows without --full

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="warroom: a deterministic incident war room for AI agents.")


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.callback(invoke_without_command=True)
def main(version: bool = typer.Option(False, "--version", is_eager=True,
                                      help="print the version and exit")) -> None:
    """warroom: a deterministic incident war room for AI agents."""
    if version:
        typer.echo(f"warroom {__version__}")
        raise typer.Exit()


@app.command("list")
def list_cmd(split: str | None = typer.Option(None, help="train, dev, test or ood"),
             tier: str | None = typer.Option(None, help="easy, medium or hard"),
             family: str | None = typer.Option(None, help="fault family, e.g. database"),
             as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List scenario ids with their family, fault, tier and split."""
    choices.check("split", [split] if split else None)
    choices.check("tier", [tier] if tier else None)
    choices.check("family", [family] if family else None)
    rows = [{"id": s.id, "family": s.family, "fault": s.faults[0].type, "tier": s.tier,
             "split": s.split} for s in generate(split=split, tier=tier, family=family)]
    if as_json:
        _emit(rows)
        return
    cols = ("id", "family", "tier", "split")
    # plain aligned text, not a rich table: ids stay whole for copying and for grep
    widths = {c: max([len(c), *(len(r[c]) for r in rows)]) for c in cols}
    typer.echo("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        typer.echo("  ".join(r[c].ljust(widths[c]) for c in cols).rstrip())
    typer.echo(f"{len(rows)} scenarios", err=True)


def open_episode(scenario: str) -> Episode:
    """The episode for a catalog id or a scenario file; a clean error for a bad one."""
    with user_errors():
        try:
            return make(scenario)
        except KeyError as exc:
            fail(str(exc.args[0]))
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            fail(f"{scenario}: not a valid scenario file: {exc}")


def build_policy(policy: str, policy_kwargs: dict[str, Any] | None = None) -> Any:
    """A policy by name; a clean error naming the valid ones."""
    try:
        return make_policy(policy, **(policy_kwargs or {}))
    except KeyError as exc:
        fail(str(exc.args[0]))


def run_episode(scenario: str, policy: str, seed: int, max_steps: int | None = None,
                on_step: StepHook | None = None, policy_kwargs: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Run ``policy`` on ``scenario`` with ``seed`` (exactly as ``warroom eval`` plays that
    episode); return the JSON-able record."""
    sc = open_episode(scenario).scenario
    agent = build_policy(policy, policy_kwargs)
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
        full: bool = typer.Option(False, "--full", help="show every line of each tool "
                                  f"output (default: the first {RUN_LINES})"),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        team: str | None = typer.Option(None, help="run a team instead: a policy for every "
                                        "role or 'sre=oracle,developer=heuristic,...'")
        ) -> None:
    """Run a policy (random, heuristic, oracle or llm) on one scenario; print the
    trajectory, the score and the rubric that explains it."""
    if team:
        from .team_cmds import run_cmd

        run_cmd(scenario, team, seed, as_json)
        return
    kwargs = options.llm_kwargs(model, base_url, api_key_env, tool_mode, price_in,
                                price_out) if policy == "llm" else {}

    def show(step: int, call: ToolCall | None, obs: Any) -> None:
        if call is not None:
            render.show_call(step, call)
        render.show_observation(obs, None if full or call is None else RUN_LINES)

    record = run_episode(scenario, policy, seed, max_steps, None if as_json else show, kwargs)
    if as_json:
        _emit(record)
    else:
        render.show_result(record["result"])
        typer.echo(f"state_hash {record['state_hash']}")
    if record["error"]:
        fail(f"the episode stopped on an error: {record['error']}", FAILURE)


@app.command()
def play(scenario: str = typer.Argument(..., help="catalog id or path to a scenario file"),
         seed: int = typer.Option(0, help="episode seed"),
         role: str | None = typer.Option(None, help="take one team role (sre, oversight, "
                                         "developer, commander); --team plays the others"),
         team: str = typer.Option("heuristic", help="team policy for the other roles")
         ) -> None:
    """Play an incident yourself: type tool calls at the prompt (``help`` lists how)."""
    if role:
        from .team_cmds import play_cmd

        play_cmd(scenario, role, team, seed)
        return
    load_all()
    play_loop(open_episode(scenario), seed)


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
def tools(as_json: bool = typer.Option(False, "--json", help="print JSON: name, domain, "
                                       "read/write, simulated cost, description, parameters"),
          openai: bool = typer.Option(False, "--openai", help="print the OpenAI "
                                      "function-calling schemas only")) -> None:
    """List the agent tools by domain (read/write, simulated cost, description)."""
    load_all()
    specs = sorted(REGISTRY.values(), key=lambda s: (s.domain, s.name))
    if openai:
        _emit([s.openai_schema() for s in specs])
    elif as_json:
        _emit([{"name": s.name, "domain": s.domain, "kind": s.kind, "cost_s": s.cost_s,
                "description": s.description, "parameters": s.json_schema()} for s in specs])
    else:
        render.console.print(tools_table())


def _register_optional() -> None:
    """Attach command groups that live with their own layer."""
    import importlib

    for mod in ("warroom.cli.eval_cmds", "warroom.cli.serve_cmds", "warroom.cli.train_cmds",
                "warroom.cli.domain_cmds"):
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:
                continue
            raise
        module.register(app)


_register_optional()
