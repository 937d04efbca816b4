"""``warroom eval``, ``warroom report`` and ``warroom bench``.

``register(app)`` attaches the three commands to the main Typer app.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..harness import plan, runner
from ..harness.policies import BUILTIN, PolicySpec, parse_many
from ..harness.rundir import RunDir, default_path, extended_spec, spec_differences
from ..harness.stats import TIER_ORDER
from . import choices, options
from .errors import check_policies, fail, user_errors


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def leaderboard_table(summary: dict[str, Any]) -> Table:
    """The leaderboard as a rich table (success with its 95% Wilson interval)."""
    t = Table(title="warroom leaderboard", title_justify="left")
    llm = any(e.get("mean_tokens") for e in summary["leaderboard"])
    cols = ["#", "policy", "n", "success [95% CI]", "score", "diagnosis", "mitigated", "steps",
            "invalid", *(["tokens/ep", "cost $"] if llm else []), "errors"]
    for col in cols:
        t.add_column(col, justify="left" if col == "policy" else "right")
    for e in summary["leaderboard"]:
        lo, hi = e["success_ci"]
        usage = [_num(e.get("mean_tokens"), "{:.0f}"),
                 _num(e.get("total_cost_usd"), "{:.4f}")] if llm else []
        t.add_row(str(e["rank"]), e["policy"], str(e["n"]),
                  f"{_pct(e['success_rate'])} [{lo * 100:.0f}-{hi * 100:.0f}]",
                  _num(e["mean_score"]),
                  _pct(e["diagnosis_accuracy"]), _pct(e["mitigation_rate"]),
                  _num(e["mean_steps"], "{:.1f}"), _pct(e["invalid_action_rate"]),
                  *usage, str(e["errors"]))
    return t


def tier_table(summary: dict[str, Any]) -> Table:
    t = Table(title="success by tier", title_justify="left")
    tiers = sorted({g["tier"] for g in summary["groups"]["policy_tier"]},
                   key=lambda x: TIER_ORDER.get(x, 9))
    t.add_column("policy")
    for tier in tiers:
        t.add_column(tier, justify="right")
    cells = {(g["policy"], g["tier"]): g for g in summary["groups"]["policy_tier"]}
    for e in summary["leaderboard"]:
        t.add_row(e["policy"], *[f"{_pct(cells[(e['policy'], tr)]['success_rate'])} "
                                 f"(n={cells[(e['policy'], tr)]['n']})"
                                 if (e["policy"], tr) in cells else "-" for tr in tiers])
    return t


def _split_list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _policies(text: str, llm: dict[str, Any]) -> list[PolicySpec]:
    """Parse --policies; the llm policy takes the --model/--base-url/... flags it lacks."""
    try:
        specs = parse_many(text)
    except ValueError as exc:
        fail(f"--policies: {exc}")
    out = []
    for s in specs:
        if s.name == "llm":
            kwargs = {**{k: v for k, v in llm.items() if v is not None}, **s.kwargs}
            if "model" not in kwargs:
                fail("the llm policy needs a model: --model NAME or "
                     "--policies 'llm:model=NAME'")
            s = PolicySpec(s.name, kwargs)
        out.append(s)
    return out


def _check_policies(specs: list[PolicySpec]) -> None:
    from ..harness.policies import build

    check_policies(specs, build)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user set option ``name`` (on the command line or in the environment)."""
    # by name: typer ships its own copy of click, whose ParameterSource is not click's
    source = ctx.get_parameter_source(name)
    return getattr(source, "name", None) in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def _seeds(text: str) -> list[int]:
    try:
        return plan.parse_seeds(text)
    except ValueError as exc:
        fail(f"--seeds {text!r}: {exc}; write '0', '0,1,2' or '0-4'")


def _scenarios(split: str, tiers: list[str] | None, families: list[str] | None,
               n: int) -> list[str]:
    choices.check("split", [split], extra=("all",))
    choices.check("tier", tiers)
    choices.check("family", families)
    ids = plan.select(None if split == "all" else split, tiers, families, n or None)
    if not ids:
        fail(f"no scenario matches split={split} tier={','.join(tiers or ['all'])} "
             f"family={','.join(families or ['all'])}")
    return ids


def _resume(ctx: typer.Context, path: Path, extend: bool, policies: list[PolicySpec] | None,
            seeds: str, reward_config: str | None, selection: dict[str, Any]) -> RunDir:
    """Open a run to resume; options that change what it runs are refused (the run keeps
    its stored spec) unless ``extend`` grows the run by them."""
    run = runner.start(path, {}, resume=True)
    stored = run.spec()
    if stored.get("kind") == "domain":
        fail(f"{path} is a domain fact-task run: resume it with "
             f"`warroom eval --domain {stored.get('domain')} --resume --out {path}`")
    asked: dict[str, Any] = {}
    if policies is not None:
        asked["policies"] = [p.to_json() for p in policies]
    if _given(ctx, "seeds"):
        asked["seeds"] = _seeds(seeds)
    if _given(ctx, "reward_config"):
        asked["reward_config"] = reward_config
    if any(_given(ctx, k) for k in ("split", "tier", "family", "n")):
        sel = {**stored.get("selection", {}), **selection}
        asked["scenarios"] = _scenarios(sel.get("split", "test"), sel.get("tiers"),
                                        sel.get("families"), int(sel.get("n", plan.DEFAULT_N)))
        asked["selection"] = sel
    differences = spec_differences(stored, asked)
    if not differences:
        return run
    if not extend:
        fail(f"{path} was run with other options; --resume continues it as it was:\n  "
             + "\n  ".join(differences),
             hint="drop those options to resume it, add --extend to grow the run by "
                  "them, or write a new run with another --out")
    try:
        run.rewrite_spec(extended_spec(stored, {
            **asked, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
    except ValueError as exc:
        fail(str(exc))
    return run


def eval_command(
    ctx: typer.Context,
    policies: str = typer.Option(",".join(BUILTIN), help="comma-separated policies; "
                                 "options as 'llm:model=M,base_url=U' (';' between such "
                                 "specs); or an import path 'pkg.mod:factory'"),
    split: str = typer.Option("test", help="train, dev, test or ood ('all' for every split)"),
    tier: str | None = typer.Option(None, help="comma-separated tiers (default: all)"),
    family: str | None = typer.Option(None, help="comma-separated fault families"),
    n: int = typer.Option(plan.DEFAULT_N, help="scenarios per tier, stratified by family "
                          "(0: every scenario). The default keeps the default eval under "
                          "2 minutes on 2 cores"),
    seeds: str = typer.Option("0", help="episode seeds per scenario: '0', '0,1,2' or '0-4' "
                              "(several give pass@k and pass^k)"),
    out: Path | None = typer.Option(None, help="run directory (default runs/<time>-<hash>)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    workers: int = typer.Option(plan.DEFAULT_WORKERS, help="local worker processes"),
    backend: str = typer.Option("local", help="local or ray"),
    address: str | None = typer.Option(None, help="Ray cluster address (--backend ray)"),
    resume: bool = typer.Option(False, help="continue the run in --out (default: the "
                                "newest under runs/) without redoing finished episodes; "
                                "options that would change the run are refused"),
    extend: bool = typer.Option(False, help="with --resume: grow the run by the policies, "
                                "seeds and scenarios given (the union; finished episodes "
                                "are kept)"),
    reward_config: str | None = typer.Option(None, help="named reward config"),
    model: str | None = options.MODEL, base_url: str | None = options.BASE_URL,
    api_key_env: str | None = options.API_KEY_ENV, tool_mode: str = options.TOOL_MODE,
    price_in: float | None = options.PRICE_IN, price_out: float | None = options.PRICE_OUT,
    report: bool = typer.Option(True, help="write report.html and summary.md"),
    progress: bool = typer.Option(True, help="show the progress bar (stderr)"),
    team: str | None = typer.Option(None, help="evaluate teams instead: 'SPEC;SPEC;...', "
                                    "each a policy for every role or 'sre=...,developer=...'"
                                    "; the single-agent --policies run beside them"),
    hierarchy: bool = options.HIERARCHY, subagents: str | None = options.SUBAGENTS,
    domain: str | None = options.DOMAIN, template: str | None = options.TEMPLATE,
    scenario: Path | None = options.SCENARIO_FILE,
) -> None:
    """Evaluate policies on a sample of scenarios; write a run directory and a report.

    With no arguments: random, heuristic and oracle on the test split, every tier.
    With --domain D: the policies on D's fact tasks (no run directory unless --out).
    """
    if domain is not None or template or scenario:
        _domain_eval(ctx, domain, template, scenario, policies, split, tier, family, n,
                     seeds, out, resume, as_json, progress, hierarchy, team,
                     {"model": model, "base_url": base_url, "api_key_env": api_key_env,
                      "tool_mode": tool_mode, "price_in": price_in, "price_out": price_out})
        return
    if hierarchy:
        if out is not None or resume or team:
            fail("--hierarchy plays in this process and writes no run directory: drop "
                 "--out, --resume and --team")
        llm = {"model": model, "base_url": base_url, "api_key_env": api_key_env,
               "tool_mode": tool_mode, "price_in": price_in, "price_out": price_out}
        both = _policies("heuristic,oracle" if policies == ",".join(BUILTIN) else policies,
                         llm)
        _hierarchy_eval(both, _scenarios(split, _split_list(tier), _split_list(family), n),
                        _seeds(seeds), subagents, as_json)
        return
    if team:
        from .team_cmds import eval_cmd

        singles = "heuristic" if policies == ",".join(BUILTIN) else policies
        eval_cmd(team, split, tier, n, _team_seed(seeds), singles, as_json, out)
        return
    began = time.perf_counter()
    if extend and not resume:
        fail("--extend grows an existing run: use it with --resume --out RUN_DIR")
    if backend not in ("local", "ray"):
        fail(f"--backend must be local or ray, not {backend!r}")
    if reward_config is not None:
        from ..scoring.configs import get_config

        try:
            get_config(reward_config)
        except KeyError as exc:
            fail(str(exc.args[0]))
    llm = {"model": model, "base_url": base_url, "api_key_env": api_key_env,
           "tool_mode": tool_mode, "price_in": price_in, "price_out": price_out}
    tiers = _split_list(tier)
    families = _split_list(family)
    if resume:
        specs = _policies(policies, llm) if _given(ctx, "policies") else None
        if specs is not None:
            _check_policies(specs)
        with user_errors():  # no run directory there
            run = _resume(ctx, out or _latest_run(), extend, specs, seeds, reward_config,
                          {key: value for key, option, value in (
                              ("split", "split", split), ("tiers", "tier", tiers),
                              ("families", "family", families), ("n", "n", n))
                           if _given(ctx, option)})
    else:
        specs = _policies(policies, llm)
        _check_policies(specs)
        ids = _scenarios(split, tiers, families, n)
        spec = plan.make_spec(specs, ids, _seeds(seeds), reward_config,
                              {"split": split, "tiers": tiers, "families": families, "n": n})
        with user_errors():  # a run directory that already holds a run
            run = runner.start(out or default_path(spec), spec)
    summary = runner.execute_run(run, backend, workers, address, progress=progress)
    if report:
        from ..harness.report import write_report

        paths = write_report(run.path)
        summary["run"]["report"] = {k: str(v) for k, v in paths.items()}
    summary["run"]["total_wall_s"] = round(time.perf_counter() - began, 2)
    if as_json:
        typer.echo(json.dumps({"run": summary["run"], "leaderboard": summary["leaderboard"],
                               "by_tier": summary["groups"]["policy_tier"]}, default=str))
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    console.print(leaderboard_table(summary))
    console.print(tier_table(summary))
    for e in summary["leaderboard"]:
        if e.get("status", "ok") != "ok":
            console.print(Text(f"{e['policy']}: {e['status']}", style="bold red"))
    console.print(f"run: {run.path}  ({summary['episodes']} episodes, "
                  f"{summary['run']['total_wall_s']:.1f} s)")
    if report:
        console.print(f"report: {summary['run']['report']['html']}")


def _hierarchy_eval(specs: list[PolicySpec], ids: list[str], seeds: list[int],
                    subagents: str | None, as_json: bool) -> None:
    """``warroom eval --hierarchy``: each policy flat and (if it can orchestrate) as the
    orchestrator over the subagents; leaderboard rows ``flat:P`` / ``hierarchical:P``."""
    from ..agents.orch_base import ORCHESTRATORS, make_orchestrator
    from ..harness.hierarchy import eval_hierarchy, parse_subagents

    make_orchestrator("heuristic")  # registers the built-in orchestrators
    _check_policies([s for s in specs if s.name != "llm"])
    tops = [s for s in specs if s.name in ORCHESTRATORS]
    if not tops:
        fail(f"--hierarchy: none of {', '.join(s.label for s in specs)} can orchestrate; "
             f"orchestrators: {', '.join(sorted(ORCHESTRATORS))}")
    try:
        agents = parse_subagents(subagents)
    except (KeyError, ValueError) as exc:
        fail(f"--subagents: {exc}")
    began = time.perf_counter()
    summary = eval_hierarchy(ids, specs, tops, seeds, agents)
    summary["run"] = {"scenarios": len(ids), "seeds": seeds,
                      "total_wall_s": round(time.perf_counter() - began, 2)}
    if as_json:
        typer.echo(json.dumps({k: summary[k] for k in ("run", "leaderboard", "by_tier",
                                                       "scenarios")},
                              default=str))
        return
    t = Table(title="flat vs hierarchical", title_justify="left")
    for col in ("policy", "n", "success", "score", "tool calls", "top calls",
                "subagent calls", "top-context tokens", "schema tokens", "errors"):
        t.add_column(col, justify="left" if col == "policy" else "right")
    for e in summary["leaderboard"]:
        t.add_row(e["policy"], str(e["n"]), _pct(e["success_rate"]), _num(e["score"], "{:.3f}"),
                  _num(e["mean_tool_calls"], "{:.1f}"), _num(e["mean_top_calls"], "{:.1f}"),
                  _num(e["mean_subagent_calls"], "{:.1f}"),
                  _num(e["mean_top_context_tokens"], "{:.0f}"),
                  _num(e["schema_tokens"], "{:.0f}"), str(e["errors"]))
    console = Console() if Console().is_terminal else Console(width=140)
    console.print(t)
    console.print(f"{len(ids)} scenarios x {len(seeds)} seed(s), "
                  f"{summary['run']['total_wall_s']:.1f} s")


def _domain_eval(ctx: typer.Context, domain: str | None, template: str | None,
                 scenario: Path | None, policies: str, split: str, tier: str | None,
                 family: str | None, n: int, seeds: str, out: Path | None, resume: bool,
                 as_json: bool, progress: bool, hierarchy: bool, team: str | None,
                 llm: dict[str, Any]) -> None:
    """``warroom eval --domain D``: policies on D's fact tasks (see ``domain_cmds``)."""
    from . import domain_cmds

    if domain is None:
        fail("--template and --scenario pick fact tasks: give the --domain too")
    if hierarchy or team:
        fail("--domain evaluates fact tasks of one domain: drop --hierarchy and --team")
    if tier or family:
        fail("--domain selects fact tasks by --split and --template; drop --tier and --family")
    ignored = [f"--{o.replace('_', '-')}" for o in ("workers", "backend", "address", "extend",
                                                     "reward_config", "report")
               if _given(ctx, o)]
    if ignored:
        fail(f"--domain plays fact tasks in this process, graded by facts: drop "
             f"{', '.join(ignored)}")
    specs = _policies(policies, llm)
    domain_cmds.eval_cmd(domain, split if _given(ctx, "split") else None, template, scenario,
                         specs, domain_cmds.default_per_template(n, _given(ctx, "n")),
                         _seeds(seeds) if _given(ctx, "seeds") else None, out,
                         resume, as_json, progress)


def _team_seed(seeds: str) -> int | None:
    """A team eval plays each scenario once, with its own seed unless one is given."""
    first = plan.parse_seeds(seeds)[0]
    return None if seeds == "0" else first


def _latest_run(root: Path = Path("runs")) -> Path:
    runs = sorted((p for p in root.glob("*") if (p / "spec.json").is_file()),
                  key=lambda p: p.stat().st_mtime)
    if not runs:
        fail("no run to resume under runs/; pass --out RUN_DIR")
    return runs[-1]


def report_command(
    run_dir: Path = typer.Argument(..., help="a run directory written by warroom eval"),
    as_json: bool = typer.Option(False, "--json", help="print the written paths as JSON"),
) -> None:
    """Write report.html (self-contained) and summary.md for a run directory."""
    from ..harness.report import write_report

    with user_errors():
        run = RunDir.open(run_dir)
    if run.spec().get("kind") == "domain":
        fail(f"{run_dir} is a domain fact-task run: its summary is {run_dir}/summary.json "
             "(the HTML report covers incident runs)")
    paths = write_report(run_dir)
    if as_json:
        typer.echo(json.dumps({k: str(v) for k, v in paths.items()}))
        return
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path}")


def bench_command(
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
    quick: bool = typer.Option(False, help="fewer repetitions (a smoke run, not figures)"),
    skip_eval: bool = typer.Option(False, help="skip timing the default eval"),
    ray: bool = typer.Option(True, help="include the Ray backend speed-up"),
    servers: bool = typer.Option(False, help="include server throughput (needs the mcp "
                                 "and openenv extras)"),
    peers: Path | None = typer.Option(None, "--peers", help="a folder of peer environment "
                                      "checkouts, each with a warroom_peer.py adapter, to time "
                                      "in the same run (README, section Speed)"),
) -> None:
    """Speed and memory figures beside their targets: latency, throughput, grading, memory,
    scale with topology and steps, eval time, speed-ups, and peers when given."""
    from ..harness.bench import PeerError, format_bench, run_bench

    try:
        figures = run_bench(quick=quick, with_eval=not skip_eval, with_ray=ray, peers=peers)
    except PeerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if servers:
        figures["servers"] = _server_figures()
        figures["servers"]["web"] = _web_figures()
    if as_json:
        typer.echo(json.dumps(figures, indent=2, default=str))
        return
    typer.echo(format_bench(figures))


def _server_figures() -> dict[str, Any]:
    """MCP and OpenEnv throughput; a missing extra or a failing server is a figure."""
    try:
        from ..servers import bench as server_bench
    except ImportError as exc:
        return {"skipped": f"warroom.servers.bench unavailable: {exc}"}
    try:
        figures: dict[str, Any] = server_bench.bench_servers()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return figures


def _web_figures() -> dict[str, Any]:
    """Web drill page loads (leaderboard of 10 runs, 40-step replay); needs the web extra."""
    try:
        from ..servers.web.bench import page_load_timing
    except ImportError as exc:
        return {"skipped": f"warroom.servers.web unavailable: {exc}"}
    return page_load_timing()


def register(app: typer.Typer) -> None:
    """Attach ``eval``, ``report`` and ``bench`` to ``app``."""
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    app.command("bench")(bench_command)
