"""Domain fact tasks on the command line: ``warroom tasks`` (list them), ``warroom eval
--domain D`` (policies on a domain's tasks) and ``warroom export-sft --domain D`` (the
oracle's domain trajectories as chat rows with tool calls).

``--scenario FILE`` adds a scenario file's own fact tasks (its ``fact_tasks``) to each, in
place of the catalog's.
"""

from __future__ import annotations

import difflib
import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..harness.domain_eval import DEFAULT_PER_TEMPLATE, domain_policy, eval_domain, select_tasks
from ..harness.policies import PolicySpec
from ..harness.rundir import RunDir
from ..scenarios.fact_templates import load as load_templates
from ..scenarios.fact_templates import task_refs
from ..scenarios.file_tasks import refs as file_refs
from ..scenarios.spec import Scenario
from ..scenarios.splits import SPLITS
from ..tools.slices import READ_DOMAINS
from .errors import FAILURE, check_policies, fail, user_errors


def _check(option: str, value: str | None, valid: list[str]) -> None:
    """Exit with a usage error naming the valid values (and the closest one)."""
    if value is None or value in valid:
        return
    close = difflib.get_close_matches(value, valid, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    fail(f"unknown --{option} {value!r}{guess}; valid: {', '.join(valid) or '(none)'}")


def templates_of(domain: str | None) -> list[str]:
    """Template names (of ``domain``, or every domain's)."""
    return sorted({t.name for t in load_templates().values()
                   if domain is None or t.domain == domain})


def scenario_file(path: Path) -> Scenario:
    """The scenario in ``path``; a clean error for a bad file."""
    from ..scenarios.files import load

    with user_errors():
        return load(path)


def refs(domain: str | None, split: str | None, template: str | None,
         scenario: Scenario | None = None) -> list[dict[str, str]]:
    """The fact tasks the options select (a scenario file's own, or the catalog's); bad
    options exit with the valid values named."""
    _check("domain", domain, list(READ_DOMAINS))
    _check("split", split, [*SPLITS, "custom"] if scenario is not None else list(SPLITS))
    if scenario is not None:
        _check("template", template, ["file"])
        return [r for r in file_refs(scenario, domain) if split is None or r["split"] == split]
    _check("template", template, templates_of(domain))
    return [r for r in task_refs(domain, split) if template is None or r["template"] == template]


def _counts_table(rows: list[dict[str, str]]) -> Table:
    splits = [s for s in (*SPLITS, "custom") if any(r["split"] == s for r in rows)]
    t = Table(title="fact tasks by domain and split", title_justify="left")
    for col in ("domain", *splits, "total"):
        t.add_column(col, justify="left" if col == "domain" else "right")
    for d in READ_DOMAINS:
        mine = [r for r in rows if r["domain"] == d]
        t.add_row(d, *[str(sum(r["split"] == s for r in mine)) for s in splits], str(len(mine)))
    t.add_row("all", *[str(sum(r["split"] == s for r in rows)) for s in splits], str(len(rows)))
    return t


def _template_table(rows: list[dict[str, str]]) -> Table:
    t = Table(title="fact tasks by template", title_justify="left")
    for col in ("template", "tasks", "question"):
        t.add_column(col, justify="right" if col == "tasks" else "left",
                     no_wrap=col != "question")
    templates = load_templates()
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r['domain']}/{r['template']}"
        counts[key] = counts.get(key, 0) + 1
    for key in sorted(counts):
        doc = templates[key].doc if key in templates else "the scenario file's own task"
        t.add_row(key, str(counts[key]), doc)
    return t


def tasks_command(
    domain: str | None = typer.Option(None, help="read domain: " + ", ".join(READ_DOMAINS)),
    split: str | None = typer.Option(None, help="train, dev, test or ood"),
    template: str | None = typer.Option(None, help="one template of the domain"),
    scenario: Path | None = typer.Option(None, "--scenario", help="a scenario file: list its "
                                         "own fact tasks instead of the catalog's"),
    as_json: bool = typer.Option(False, "--json", help="print {id, domain, template, split, "
                                 "scenario} per task"),
    list_ids: bool = typer.Option(False, "--list", help="print the task ids, one a line"),
    check: bool = typer.Option(False, "--check", help="play each selected task's reads and "
                               "check that they show every fact and decoy (exit 1 if not)"),
) -> None:
    """List the domain fact tasks (a question to one domain, answered by exact tokens):
    counts per domain x split and per template; ``--list`` for ids, ``--json`` for rows."""
    sc = scenario_file(scenario) if scenario is not None else None
    rows = refs(domain, split, template, sc)
    if check:
        _check_tasks(rows, sc, as_json)
        return
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if list_ids:
        for r in rows:
            typer.echo(r["id"])
        typer.echo(f"{len(rows)} fact tasks", err=True)
        return
    console = Console() if Console().is_terminal else Console(width=140)
    console.print(_counts_table(rows))
    console.print(_template_table(rows))
    console.print(f"{len(rows)} fact tasks; `warroom tasks --list` for ids, "
                  "warroom.make_domain(id) to play one")


def _check_tasks(rows: list[dict[str, str]], sc: Scenario | None, as_json: bool) -> None:
    from ..harness.domain_eval import check_task
    from ..scenarios.file_tasks import open_any

    checked = [check_task(open_any(r["id"], None, sc)) for r in rows]
    bad = [c for c in checked if not c["ok"]]
    if as_json:
        typer.echo(json.dumps(checked, indent=2))
    else:
        for c in bad:
            typer.echo(f"{c['id']}:")
            for problem in c["problems"]:
                typer.echo(f"  {problem}")
        typer.echo(f"{len(checked) - len(bad)} / {len(checked)} tasks answerable as written")
    if bad:
        raise typer.Exit(FAILURE)


# -- warroom eval --domain ------------------------------------------------------------------

def _progress(total: int, enabled: bool) -> Progress:
    return Progress(TextColumn("domain eval"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[stats]}"), TextColumn("ETA"),
                    TimeRemainingColumn(), console=Console(stderr=True),
                    disable=not enabled or total < 2)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def leaderboard_table(summary: dict[str, Any]) -> Table:
    t = Table(title=f"{summary['domain']} fact tasks", title_justify="left")
    llm = any(e.get("mean_tokens") for e in summary["leaderboard"])
    cols = ["#", "policy", "n", "success [95% CI]", "score", "steps", "tool calls",
            "decoy named", "invalid", *(["tokens/ep"] if llm else []), "errors"]
    for col in cols:
        t.add_column(col, justify="left" if col == "policy" else "right")
    for e in summary["leaderboard"]:
        lo, hi = e["success_ci"]
        t.add_row(str(e["rank"]), e["policy"], str(e["n"]),
                  f"{_pct(e['success_rate'])} [{lo * 100:.0f}-{hi * 100:.0f}]",
                  f"{e['score']:.2f}", f"{e['mean_steps']:.1f}", f"{e['mean_tool_calls']:.1f}",
                  _pct(e["decoy_rate"]), _pct(e["invalid_action_rate"]),
                  *([f"{e['mean_tokens'] or 0:.0f}"] if llm else []), str(e["errors"]))
    return t


def template_table(summary: dict[str, Any]) -> Table:
    t = Table(title="success by template", title_justify="left")
    names = sorted({g["template"] for g in summary["by_template"]})
    t.add_column("policy")
    for name in names:
        t.add_column(name, justify="right")
    cells = {(g["policy"], g["template"]): g for g in summary["by_template"]}
    for e in summary["leaderboard"]:
        t.add_row(e["policy"], *[f"{_pct(cells[(e['policy'], n)]['success_rate'])} "
                                 f"(n={cells[(e['policy'], n)]['n']})"
                                 if (e["policy"], n) in cells else "-" for n in names])
    return t


def _record(row: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    key = f"{row['policy']}|{row['task']}|{row['world_seed']}"
    return {k: v for k, v in row.items() if k != "trace"} | {"key": key}, row["trace"]


def eval_cmd(domain: str, split: str | None, template: str | None, scenario: Path | None,
             specs: list[PolicySpec], per_template: int | None, seeds: list[int] | None,
             out: Path | None, resume: bool, as_json: bool, progress: bool) -> None:
    """``warroom eval --domain``: the leaderboard and per-template rows; with ``--out`` the
    episodes go to a run directory (``--resume`` continues it with its stored spec).
    ``split`` None: test for catalog tasks, every task of a scenario file."""
    began = time.perf_counter()
    run: RunDir | None = None
    done: list[dict[str, Any]] = []
    if resume:
        if out is None:
            fail("--resume with --domain needs the run's --out DIR")
        with user_errors():
            run = RunDir.open(out)
        run.repair()
        spec = run.spec()
        if spec.get("kind") != "domain":
            fail(f"{out} is not a domain run (it was written by `warroom eval` without "
                 "--domain)")
        domain, ids = spec["domain"], list(spec["tasks"])
        specs = [PolicySpec(p["name"], dict(p.get("kwargs") or {})) for p in spec["policies"]]
        seeds = spec["seeds"]
        scenario = Path(spec["scenario"]) if spec.get("scenario") else None
        done = run.records()
    sc = scenario_file(scenario) if scenario is not None else None
    if not resume:
        split = split or ("all" if sc is not None else "test")
        _check("domain", domain, list(READ_DOMAINS))
        _check("split", split, [*SPLITS, "all", *(["custom"] if sc is not None else [])])
        if sc is not None:
            ids = [r["id"] for r in refs(domain, None if split == "all" else split,
                                         template, sc)]
        else:
            _check("template", template, templates_of(domain))
            ids = select_tasks(domain, None if split == "all" else split, per_template,
                               [template] if template else None)
        if not ids:
            fail(f"no {domain} fact task matches split={split}"
                 + (f" template={template}" if template else "")
                 + (f" in {scenario}" if scenario else ""))
    check_policies(specs, lambda s: domain_policy(s, domain))
    if out is not None and run is None:
        with user_errors():
            run = RunDir.create(out, {"kind": "domain", "domain": domain, "tasks": ids,
                                      "policies": [p.to_json() for p in specs],
                                      "seeds": seeds, "scenario": str(scenario)
                                      if scenario else None, "split": split})
    total = len(ids) * len(seeds or [None]) * len(specs)
    counts: dict[str, list[int]] = {}  # policy -> [episodes, successes] (never blended)
    for r in done:
        c = counts.setdefault(r["policy"], [0, 0])
        c[0], c[1] = c[0] + 1, c[1] + bool(r["success"])
    with _progress(total, progress) as bar:
        job = bar.add_task("eval", total=total, completed=len(done), stats="")

        def tick(row: dict[str, Any]) -> None:
            c = counts.setdefault(row["policy"], [0, 0])
            c[0], c[1] = c[0] + 1, c[1] + bool(row["success"])
            if run is not None:
                run.append(*_record(row))
            bar.update(job, advance=1, stats=f"{row['policy'][:24]}: success so far "
                       f"{c[1] / c[0]:.0%}")

        summary = eval_domain(ids, specs, domain, seeds, sc, tick, done)
    summary["run"] = {"domain": domain, "split": split, "tasks": len(ids),
                      "policies": [p.label for p in specs], "seeds": seeds or "task",
                      "path": str(run.path) if run is not None else None,
                      "total_wall_s": round(time.perf_counter() - began, 2)}
    if run is not None:
        run.write_summary({k: v for k, v in summary.items() if k != "episodes"})
    if as_json:
        typer.echo(json.dumps({k: summary[k] for k in ("run", "leaderboard", "by_template")},
                              default=str))
        return
    console = Console() if Console().is_terminal else Console(width=140)
    console.print(leaderboard_table(summary))
    console.print(template_table(summary))
    for e in summary["leaderboard"]:
        if e["errors"]:
            first = next(r["error"] for r in summary["episodes"]
                         if r["policy"] == e["policy"] and r["error"])
            console.print(f"{e['policy']}: {e['errors']} episode(s) failed; first: {first}")
    where = f", run: {run.path}" if run is not None else ""
    console.print(f"{len(ids)} tasks x {len(seeds or [None])} seed(s) x {len(specs)} "
                  f"policies, {summary['run']['total_wall_s']:.1f} s{where}")


def default_per_template(n: int, given: bool) -> int | None:
    """``--n`` for a domain eval: tasks per template (0: all; default 10)."""
    if not given:
        return DEFAULT_PER_TEMPLATE
    return n or None


# -- warroom export-sft --domain ------------------------------------------------------------

def export_domain_sft(domain: str, split: str, n: int | None, out: Path, policy: str,
                      include_failed: bool, scenario: Path | None = None) -> dict[str, Any]:
    """Play ``policy`` (oracle or heuristic) on the domain's tasks of ``split`` (``n``
    per template; None: all) and write the SFT JSONL of ``warroom.train.sft``, one row per
    episode, with ``task``, ``domain`` and ``template`` added."""
    import warroom

    from ..agents.orch_base import subagent_prompt
    from ..train.sft import play

    if policy not in ("oracle", "heuristic"):
        fail(f"--policy {policy!r}: domain trajectories come from the oracle or heuristic")
    sc = scenario_file(scenario) if scenario is not None else None
    _check("domain", domain, list(READ_DOMAINS))
    if sc is not None:
        ids = [r["id"] for r in refs(domain, None, None, sc)]
    else:
        _check("split", split, list(SPLITS))
        ids = select_tasks(domain, split, n)
    if not ids:
        fail(f"no {domain} fact task in split {split}")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    scores = []
    prompt = subagent_prompt(domain)
    with out.open("w", encoding="utf-8") as fh:
        for tid in ids:
            ep = warroom.make_domain(tid, scenario=sc)
            agent = domain_policy(PolicySpec(policy), domain)
            if getattr(agent, "needs_task", False):
                agent.set_task(ep.task)  # type: ignore[attr-defined]
            record = play(agent, ep, system_prompt=prompt)
            assert ep.task is not None
            record |= {"task": tid, "domain": domain, "template": ep.task.template}
            scores.append(record["score"])
            if not include_failed and not record["success"]:
                skipped += 1
                continue
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return {"episodes": len(ids), "written": written, "skipped": skipped,
            "mean_score": round(sum(scores) / len(scores), 4), "path": str(out)}


def register(app: typer.Typer) -> None:
    app.command("tasks")(tasks_command)
