"""Statistics over episode records: rates with Wilson intervals, per-group metrics,
pass@k / pass^k, and the leaderboard.

Groups are policy, policy x tier, policy x family and policy x tier x family. An episode
that ended in an error counts as a failure (and is counted under ``errors``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

Z95 = 1.959963984540054
GROUPINGS: dict[str, tuple[str, ...]] = {
    "policy": ("policy",),
    "policy_tier": ("policy", "tier"),
    "policy_family": ("policy", "family"),
    "policy_tier_family": ("policy", "tier", "family"),
}
TIER_ORDER = {"easy": 0, "medium": 1, "hard": 2}


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k attempts (drawn from n with c successes) succeeds."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all k attempts (drawn from n with c successes) succeed (pass^k)."""
    return math.comb(c, k) / math.comb(n, k) if k <= n else 0.0


def _values(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) is not None]


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = _values(rows, key)
    return sum(vals) / len(vals) if vals else None


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = _values(rows, key)
    return statistics.median(vals) if vals else None


def _share(rows: list[dict[str, Any]], pred: Callable[[dict[str, Any]], bool | None]
           ) -> float | None:
    flags = [pred(r) for r in rows]
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def _any(key: str) -> Callable[[dict[str, Any]], bool | None]:
    return lambda r: None if r.get(key) is None else float(r[key]) > 0


def _rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    k = sum(bool(r["success"]) for r in rows)
    lo, hi = wilson(k, len(rows))
    return {"n": len(rows), "successes": k, "rate": k / len(rows) if rows else None,
            "ci": [lo, hi]}


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every group metric of the issue over a list of metric rows (see ``metrics``)."""
    rate = _rate(rows)
    with_d = [r for r in rows if r.get("distractors")]
    without_d = [r for r in rows if not r.get("distractors")]
    rogue = [r for r in rows if r.get("rogue_present")]
    wrong = [r for r in rows if (r.get("wrong_remediations") or 0) > 0]
    return {
        "n": rate["n"], "errors": sum(bool(r.get("error")) for r in rows),
        "success_rate": rate["rate"], "success_ci": rate["ci"], "successes": rate["successes"],
        "mean_score": _mean(rows, "score"),
        "diagnosis_accuracy": _mean(rows, "diagnosis_correct"),
        "mitigation_rate": _mean(rows, "mitigated"),
        "median_time_to_mitigate_s": _median(rows, "time_to_mitigate_s"),
        "median_time_to_first_evidence_s": _median(rows, "time_to_first_evidence_s"),
        "mean_steps": _mean(rows, "steps"),
        "invalid_action_rate": _mean(rows, "invalid_rate"),
        "evidence_coverage": _mean(rows, "evidence_coverage"),
        "wrong_remediation_rate": _share(rows, _any("wrong_remediations")),
        "unsafe_action_rate": _share(rows, _any("unsafe_actions")),
        "recovery_rate": _mean(wrong, "recovered") if wrong else None,
        "distractor_robustness": {
            "with": _rate(with_d)["rate"] if with_d else None,
            "without": _rate(without_d)["rate"] if without_d else None},
        "rogue_catch_rate": _mean(rogue, "rogue_caught") if rogue else None,
        "false_flag_rate": _share(rows, _any("false_flags")),
        "facts_found": _mean(rows, "facts_found"),
        "decoys_named": _mean(rows, "decoys_named"),
        "mean_tokens": _mean(rows, "tokens"),
        "total_cost_usd": sum(_values(rows, "cost_usd")) or None,
    }


def row_of(record: dict[str, Any]) -> dict[str, Any]:
    """A record's metrics joined with its labels (policy, tier, family, scenario, seed)."""
    row = dict(record.get("metrics") or {})
    row.setdefault("success", bool(record.get("result", {}).get("success")))
    row.setdefault("score", float(record.get("result", {}).get("score") or 0.0))
    row.setdefault("steps", record.get("steps", 0))
    row["error"] = bool(record.get("error")) or bool(row.get("error"))
    row["error_text"] = str(record.get("error") or "")
    for key in ("policy", "tier", "family", "scenario", "seed", "split", "fault"):
        row[key] = record.get(key)
    return row


def pass_k(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """pass@k and pass^k for k = 1..(fewest attempts of any scenario), averaged over
    scenarios; empty when every scenario was attempted once."""
    by_scenario: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_scenario[r["scenario"]].append(bool(r["success"]))
    if not by_scenario:
        return {}
    kmax = min(len(v) for v in by_scenario.values())
    if kmax < 2:
        return {}
    out: dict[str, dict[str, float]] = {}
    for k in range(1, kmax + 1):
        at = [pass_at_k(len(v), sum(v), k) for v in by_scenario.values()]
        hat = [pass_hat_k(len(v), sum(v), k) for v in by_scenario.values()]
        out[str(k)] = {"pass@k": sum(at) / len(at), "pass^k": sum(hat) / len(hat)}
    return out


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((TIER_ORDER.get(str(k), len(TIER_ORDER)), str(k)) for k in key)


def group(rows: Iterable[dict[str, Any]], by: tuple[str, ...]) -> list[dict[str, Any]]:
    buckets: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        buckets[tuple(r.get(k) for k in by)].append(r)
    out = []
    for key in sorted(buckets, key=_sort_key):
        entry = dict(zip(by, key, strict=True))
        entry.update(aggregate(buckets[key]))
        entry["pass_k"] = pass_k(buckets[key])
        out.append(entry)
    return out


def leaderboard(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per policy, best first (success rate, then mean score), each with a
    ``status``: "ok", or how many episodes failed to run and the first error (a model or
    endpoint that stopped answering shows here; nothing falls back to another policy)."""
    board = group(rows, ("policy",))
    board.sort(key=lambda e: (-(e["success_rate"] or 0.0), -(e["mean_score"] or 0.0)))
    for i, e in enumerate(board, 1):
        e["rank"] = i
        failed = [r for r in rows if r.get("policy") == e["policy"] and r["error"]]
        e["status"] = "ok" if not failed else (
            f"ERRORS in {len(failed)} of {e['n']} episodes; first: "
            f"{(failed[0].get('error_text') or 'error').splitlines()[0][:200]}")
    return board


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """summary.json: the leaderboard and every grouping."""
    rows = [row_of(r) for r in records]
    return {"episodes": len(rows), "errors": sum(r["error"] for r in rows),
            "leaderboard": leaderboard(rows),
            "groups": {name: group(rows, by) for name, by in GROUPINGS.items()}}
