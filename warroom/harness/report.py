"""``warroom report RUN_DIR``: a self-contained HTML page and a Markdown summary.

The page has the leaderboard with 95% Wilson intervals, success by tier and by family,
the score distribution (matplotlib PNGs embedded as base64), pass@k when several seeds ran,
and a viewer that steps through any episode's trajectory beside its rubric tree. Traces are
embedded gzip-compressed and unpacked in the browser; no file or network is fetched.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

from . import report_plots as plots
from .rundir import RunDir, atomic_write, reward_config_id
from .stats import row_of, summarize

STEP_TEXT_CAP = 1500
MAX_TRACES = 3000


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def _ci(e: dict[str, Any]) -> str:
    lo, hi = e["success_ci"]
    return f"{_pct(e['success_rate'])} <span class='ci'>[{lo:.0%}, {hi:.0%}]</span>"


LEADER_COLS: list[tuple[str, str]] = [
    ("n", "n"), ("success", "success [95% CI]"), ("mean_score", "score"),
    ("diagnosis_accuracy", "diagnosis"), ("mitigation_rate", "mitigated"),
    ("median_time_to_mitigate_s", "median TTM (sim s)"), ("mean_steps", "steps"),
    ("invalid_action_rate", "invalid"), ("evidence_coverage", "evidence"),
    ("wrong_remediation_rate", "wrong fix"), ("unsafe_action_rate", "unsafe"),
    ("recovery_rate", "recovered"), ("rogue_catch_rate", "rogue caught"),
    ("false_flag_rate", "false flags"), ("mean_tokens", "tokens/episode"),
    ("total_cost_usd", "cost (USD)"), ("errors", "errors")]
# What each leaderboard column means (a tooltip on its header and the legend under it).
COLUMN_HELP: dict[str, str] = {
    "n": "episodes run (scenarios x seeds)",
    "success": "share of episodes solved: durable mitigation, correct root cause and no "
               "catastrophic action; 95% Wilson interval in brackets",
    "mean_score": "mean rubric score in [0, 1] under the run's reward config",
    "diagnosis_accuracy": "share of episodes whose report named the right root cause",
    "mitigation_rate": "share of episodes where SLOs held after the 30-minute fast-forward "
                       "under extra load and the root condition was gone",
    "median_time_to_mitigate_s": "median simulated seconds from the page to a durable fix, "
                                 "over the mitigated episodes (- when none was mitigated)",
    "mean_steps": "mean tool calls per episode",
    "invalid_action_rate": "share of tool calls that were invalid (unknown tool, bad "
                           "arguments)",
    "evidence_coverage": "mean share of the scenario's key evidence the policy looked at",
    "wrong_remediation_rate": "share of episodes with at least one fix aimed at the wrong "
                              "component or cause",
    "unsafe_action_rate": "share of episodes with at least one unsafe write (a write on a "
                          "healthy component, a destructive action...)",
    "recovery_rate": "of the episodes with a wrong fix, the share that still succeeded; n/a "
                     "when no episode made a wrong fix (nothing to recover from)",
    "rogue_catch_rate": "of the episodes with a rogue fleet agent, the share where the policy "
                        "paused or flagged it; n/a when no episode had one",
    "false_flag_rate": "share of episodes where a well-behaved fleet agent was flagged or "
                       "paused",
    "mean_tokens": "mean prompt + completion tokens per episode (language models)",
    "total_cost_usd": "total cost at the given --price-in/--price-out",
    "errors": "episodes that stopped on an error (counted as failures)",
}
# Why a rate column can be empty: the episodes it is measured over did not occur.
EMPTY_WHY = {"recovery_rate": "no episode made a wrong fix",
             "rogue_catch_rate": "no episode had a rogue fleet agent",
             "median_time_to_mitigate_s": "no episode was mitigated"}

RATES = {"diagnosis_accuracy", "mitigation_rate", "invalid_action_rate", "evidence_coverage",
         "wrong_remediation_rate", "unsafe_action_rate", "recovery_rate", "rogue_catch_rate",
         "false_flag_rate"}


def _cell(e: dict[str, Any], key: str) -> str:
    if key == "success":
        return _ci(e)
    v = e.get(key)
    if v is None and key in EMPTY_WHY:
        return f"<span class='na' title='{html.escape(EMPTY_WHY[key])}'>n/a</span>"
    if key == "recovery_rate" and e.get("wrong_remediation_rate") is not None:
        wrong = round(e["wrong_remediation_rate"] * e["n"])
        return f"{_pct(v)} <span class='ci'>of {wrong}</span>"
    if key in RATES:
        return _pct(v)
    if key in ("n", "errors"):
        return str(v)
    if key in ("median_time_to_mitigate_s", "mean_tokens"):
        return _num(v, "{:.0f}")
    if key == "total_cost_usd":
        return _num(v, "{:.4f}")
    return _num(v, "{:.1f}" if key == "mean_steps" else "{:.2f}")


def leaderboard_html(board: list[dict[str, Any]]) -> str:
    """The leaderboard table; token and cost columns only when a language model ran."""
    llm = any(e.get("mean_tokens") for e in board)
    cols = [(k, label) for k, label in LEADER_COLS
            if llm or k not in ("mean_tokens", "total_cost_usd")]
    head = "".join(f"<th title='{html.escape(COLUMN_HELP.get(k, ''))}'>{html.escape(label)}"
                   f"</th>" for k, label in cols)
    rows = "".join(f"<tr><td>{e['rank']}</td><td class='l'>{html.escape(e['policy'])}</td>"
                   + "".join(f"<td>{_cell(e, k)}</td>" for k, _ in cols) + "</tr>"
                   for e in board)
    notes = "".join(f"<p class='status-error'><b>{html.escape(e['policy'])}</b>: "
                    f"{html.escape(e['status'])}</p>" for e in board
                    if e.get("status", "ok") != "ok")
    legend = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(COLUMN_HELP[k])}</dd>"
                     for k, label in cols if k in COLUMN_HELP)
    return (f"<table id='leaderboard'><thead><tr><th>#</th><th class='l'>policy</th>{head}"
            f"</tr></thead><tbody>{rows}</tbody></table>{notes}"
            f"<details class='legend' open><summary>What the columns mean</summary>"
            f"<dl>{legend}</dl></details>")


def breakdown_html(groups: list[dict[str, Any]], by: str, policies: list[str]) -> str:
    keys = list(dict.fromkeys(g[by] for g in groups))
    cell = {(g["policy"], g[by]): g for g in groups}
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = ""
    for p in policies:
        tds = "".join(f"<td>{_ci(cell[(p, k)])} <span class='ci'>n={cell[(p, k)]['n']}</span>"
                      f"</td>" if (p, k) in cell else "<td>-</td>" for k in keys)
        body += f"<tr><td class='l'>{html.escape(p)}</td>{tds}</tr>"
    return (f"<table><thead><tr><th class='l'>policy</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def robustness_html(board: list[dict[str, Any]]) -> str:
    rows = "".join(f"<tr><td class='l'>{html.escape(e['policy'])}</td>"
                   f"<td>{_pct(e['distractor_robustness']['without'])}</td>"
                   f"<td>{_pct(e['distractor_robustness']['with'])}</td></tr>" for e in board)
    return ("<table><thead><tr><th class='l'>policy</th><th>success without red herrings</th>"
            f"<th>with red herrings</th></tr></thead><tbody>{rows}</tbody></table>")


def pass_k_html(board: list[dict[str, Any]]) -> str:
    if not any(e["pass_k"] for e in board):
        return "<p class='note'>One seed per scenario: run with --seeds 0-4 for pass@k.</p>"
    ks = sorted({int(k) for e in board for k in e["pass_k"]})
    head = "".join(f"<th>pass@{k}</th><th>pass^{k}</th>" for k in ks)
    body = "".join(
        f"<tr><td class='l'>{html.escape(e['policy'])}</td>" + "".join(
            f"<td>{_pct(e['pass_k'].get(str(k), {}).get('pass@k'))}</td>"
            f"<td>{_pct(e['pass_k'].get(str(k), {}).get('pass^k'))}</td>" for k in ks) + "</tr>"
        for e in board)
    return (f"<table><thead><tr><th class='l'>policy</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _episode_index(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, r in enumerate(records):
        m = r.get("metrics") or {}
        out.append({"i": i, "key": r["key"], "policy": r["policy"], "scenario": r["scenario"],
                    "seed": r["seed"], "tier": r.get("tier"), "family": r.get("family"),
                    "success": bool(m.get("success")), "score": float(m.get("score") or 0.0),
                    "steps": r.get("steps", 0), "error": r.get("error"),
                    "result": r.get("result") or {}, "metrics": m})
    return out


def _packed_traces(run: RunDir, records: list[dict[str, Any]]) -> str:
    traces = []
    for i, r in enumerate(records):
        steps = run.trace(r) if i < MAX_TRACES else []
        traces.append([dict(s, text=str(s.get("text", ""))[:STEP_TEXT_CAP]) for s in steps])
    raw = json.dumps(traces, separators=(",", ":"), default=str).encode()
    return base64.b64encode(gzip.compress(raw, 6, mtime=0)).decode("ascii")


def _script_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), default=str).replace("</", "<\\/")


def render_html(run: RunDir, summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    spec = run.spec()
    board = summary["leaderboard"]
    policies = [e["policy"] for e in board]
    rows = [row_of(r) for r in records]
    figs: list[str | None] = []
    if plots.available():
        figs = [plots.heatmap(summary["groups"]["policy_family"], policies),
                plots.tier_bars(summary["groups"]["policy_tier"], policies),
                plots.score_distribution(rows, policies)]
        imgs = "".join(f"<img alt='figure' src='{f}'>" for f in figs if f)
    else:
        imgs = "<p class='note'>Install warroom[report] (matplotlib) for figures.</p>"
    sel = spec.get("selection") or {}
    meta = (f"{summary['episodes']} episodes · {len(spec['scenarios'])} scenarios · seeds "
            f"{', '.join(map(str, spec['seeds']))} · split {sel.get('split', '-')} · reward "
            f"config {reward_config_id(spec.get('reward_config'))} · warroom "
            f"{spec.get('warroom_version')} · git {spec.get('git_revision') or '-'} · "
            f"created {spec.get('created')}")
    body = f"""
<h1>warroom evaluation report</h1>
<p class="meta">{html.escape(meta)}</p>
<h2>Leaderboard</h2>
{leaderboard_html(board)}
<p class="note">Hover a column header for its meaning. n/a: the episodes a rate is measured
over did not occur in this run. Errors count as failures.</p>
<h2>Figures</h2><div class="plots">{imgs}</div>
<h2>Success by tier</h2>
{breakdown_html(summary["groups"]["policy_tier"], "tier", policies)}
<h2>Success by family</h2>
{breakdown_html(summary["groups"]["policy_family"], "family", policies)}
<h2>Distractor robustness</h2>
{robustness_html(board)}
<h2>Reliability: pass@k and pass^k</h2>
{pass_k_html(board)}
<h2>Trajectories</h2>
<div class="filters">
 <select id="f-policy"><option value="">all policies</option></select>
 <select id="f-tier"><option value="">all tiers</option></select>
 <select id="f-outcome"><option value="">any outcome</option>
  <option value="success">succeeded</option><option value="failure">failed</option></select>
 <input id="f-text" placeholder="scenario contains..."> <span id="ep-count"></span>
</div>
<div class="viewer">
 <div class="list" id="ep-list"></div>
 <div>
  <div id="ep-head"></div>
  <div class="stepnav"><button id="step-prev">&larr; prev</button><span id="step-pos"></span>
   <button id="step-next">next &rarr;</button><span class="note">(arrow keys)</span></div>
  <div id="ep-step"></div>
  <h3>Rubric</h3><div class="tree" id="ep-tree"></div>
  <details><summary>result</summary><pre id="ep-result"></pre></details>
 </div>
</div>"""
    template = resources.files("warroom.harness").joinpath("report_template.html").read_text(
        "utf-8")
    return (template.replace("{{TITLE}}", "warroom report")
            .replace("{{DATA}}", _script_json({"episodes": _episode_index(records)}))
            .replace("{{TRACES}}", _packed_traces(run, records))
            .replace("{{BODY}}", body))


def render_markdown(spec: dict[str, Any], summary: dict[str, Any]) -> str:
    lines = ["# warroom evaluation", "",
             f"{summary['episodes']} episodes, {len(spec['scenarios'])} scenarios, seeds "
             f"{spec['seeds']}, reward config {reward_config_id(spec.get('reward_config'))}, "
             f"git {spec.get('git_revision') or '-'}.", "",
             "| # | policy | n | success [95% CI] | score | diagnosis | mitigated | steps | "
             "tokens/episode | cost (USD) | errors |", "|---" * 11 + "|"]
    for e in summary["leaderboard"]:
        lo, hi = e["success_ci"]
        lines.append(f"| {e['rank']} | {e['policy']} | {e['n']} | {_pct(e['success_rate'])} "
                     f"[{lo:.0%}, {hi:.0%}] | {_num(e['mean_score'])} | "
                     f"{_pct(e['diagnosis_accuracy'])} | {_pct(e['mitigation_rate'])} | "
                     f"{_num(e['mean_steps'], '{:.1f}')} | {_num(e.get('mean_tokens'), '{:.0f}')} "
                     f"| {_num(e.get('total_cost_usd'), '{:.4f}')} | {e['errors']} |")
    lines += ["", *[f"**{e['policy']}**: {e['status']}" for e in summary["leaderboard"]
                     if e.get("status", "ok") != "ok"]]
    tiers = list(dict.fromkeys(g["tier"] for g in summary["groups"]["policy_tier"]))
    cell = {(g["policy"], g["tier"]): g for g in summary["groups"]["policy_tier"]}
    lines += ["", "## Success by tier", "", "| policy | " + " | ".join(tiers) + " |",
              "|---|" + "---|" * len(tiers)]
    for e in summary["leaderboard"]:
        lines.append(f"| {e['policy']} | " + " | ".join(
            f"{_pct(cell[(e['policy'], t)]['success_rate'])} (n={cell[(e['policy'], t)]['n']})"
            if (e["policy"], t) in cell else "-" for t in tiers) + " |")
    return "\n".join(lines) + "\n"


def write_report(run_path: Path) -> dict[str, Path]:
    """Write ``report.html`` and ``summary.md`` into the run directory."""
    run = RunDir.open(Path(run_path))
    records = sorted(run.records(), key=lambda r: (r["policy"], r["scenario"], r["seed"]))
    summary = summarize(records)
    html_path = run.path / "report.html"
    md_path = run.path / "summary.md"
    atomic_write(html_path, render_html(run, summary, records))
    atomic_write(md_path, render_markdown(run.spec(), summary))
    return {"html": html_path, "markdown": md_path}
