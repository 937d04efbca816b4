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
from ..harness.rundir import RunDir, default_path
from ..harness.stats import TIER_ORDER
from . import options


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
    specs = parse_many(text)
    out = []
    for s in specs:
        if s.name == "llm":
            kwargs = {**{k: v for k, v in llm.items() if v is not None}, **s.kwargs}
            if "model" not in kwargs:
                raise typer.BadParameter("the llm policy needs a model: --model NAME or "
                                         "--policies 'llm:model=NAME'")
            s = PolicySpec(s.name, kwargs)
        out.append(s)
    return out


def _check_endpoints(specs: list[PolicySpec]) -> None:
    """Fail once, before the batch, if an LLM endpoint or model cannot be reached."""
    from ..harness.policies import build

    for s in specs:
        if s.name == "llm":
            try:
                policy = build(s)
                check = getattr(policy, "check_endpoint", None)
                if check is not None:
                    check()
            except Exception as exc:
                raise typer.BadParameter(f"{s.label}: {exc}") from None


def eval_command(
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
                                "newest under runs/) without redoing finished episodes"),
    reward_config: str | None = typer.Option(None, help="named reward config"),
    model: str | None = options.MODEL, base_url: str | None = options.BASE_URL,
    api_key_env: str | None = options.API_KEY_ENV, tool_mode: str = options.TOOL_MODE,
    price_in: float | None = options.PRICE_IN, price_out: float | None = options.PRICE_OUT,
    report: bool = typer.Option(True, help="write report.html and summary.md"),
    progress: bool = typer.Option(True, help="show the progress bar (stderr)"),
    team: str | None = typer.Option(None, help="evaluate teams instead: 'SPEC;SPEC;...', "
                                    "each a policy for every role or 'sre=...,developer=...'"
                                    "; the single-agent --policies run beside them"),
) -> None:
    """Evaluate policies on a sample of scenarios; write a run directory and a report.

    With no arguments: random, heuristic and oracle on the test split, every tier.
    """
    if team:
        from .team_cmds import eval_cmd

        singles = "heuristic" if policies == ",".join(BUILTIN) else policies
        eval_cmd(team, split, tier, n, _team_seed(seeds), singles, as_json)
        return
    began = time.perf_counter()
    if resume:
        path = out or _latest_run()
        run = runner.start(path, {}, resume=True)
    else:
        specs = _policies(policies, {"model": model, "base_url": base_url,
                                     "api_key_env": api_key_env, "tool_mode": tool_mode,
                                     "price_in": price_in, "price_out": price_out})
        _check_endpoints(specs)
        tiers = _split_list(tier)
        families = _split_list(family)
        ids = plan.select(None if split == "all" else split, tiers, families, n or None)
        if not ids:
            raise typer.BadParameter("no scenario matches that split/tier/family")
        spec = plan.make_spec(specs, ids, plan.parse_seeds(seeds), reward_config,
                              {"split": split, "tiers": tiers, "families": families, "n": n})
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


def _team_seed(seeds: str) -> int | None:
    """A team eval plays each scenario once, with its own seed unless one is given."""
    first = plan.parse_seeds(seeds)[0]
    return None if seeds == "0" else first


def _latest_run(root: Path = Path("runs")) -> Path:
    runs = sorted((p for p in root.glob("*") if (p / "spec.json").is_file()),
                  key=lambda p: p.stat().st_mtime)
    if not runs:
        raise typer.BadParameter("no run to resume under runs/; pass --out RUN_DIR")
    return runs[-1]


def report_command(
    run_dir: Path = typer.Argument(..., help="a run directory written by warroom eval"),
    as_json: bool = typer.Option(False, "--json", help="print the written paths as JSON"),
) -> None:
    """Write report.html (self-contained) and summary.md for a run directory."""
    from ..harness.report import write_report

    RunDir.open(run_dir)
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
) -> None:
    """Speed and memory figures: latency, throughput, memory, eval time and speed-ups."""
    from ..harness.bench import format_bench, run_bench

    figures = run_bench(quick=quick, with_eval=not skip_eval, with_ray=ray)
    if servers:
        figures["servers"] = _server_figures()
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


def register(app: typer.Typer) -> None:
    """Attach ``eval``, ``report`` and ``bench`` to ``app``."""
    app.command("eval")(eval_command)
    app.command("report")(report_command)
    app.command("bench")(bench_command)
