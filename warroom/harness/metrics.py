"""Per-episode metrics in one flat, stable shape, read from the grader's result.

The grader owns the numbers; this module only finds them (in ``result["metrics"]`` or at the
top level, under a few known spellings) and fills what the trace alone can tell (steps,
invalid actions, simulated time). A metric the grader does not report stays ``None`` and is
left out of averages.
"""

from __future__ import annotations

from typing import Any

from ..scenarios.spec import Scenario
from ..world.faults import FAULTS

# metric -> spellings the grader may use, first found wins
ALIASES: dict[str, tuple[str, ...]] = {
    "diagnosis_correct": ("diagnosis_correct",),
    "mitigated": ("mitigated",),
    "time_to_mitigate_s": ("time_to_mitigate_s", "time_to_mitigation_s", "ttm_s"),
    "time_to_first_evidence_s": ("time_to_first_evidence_s", "time_to_evidence_s"),
    "invalid_rate": ("invalid_action_rate", "invalid_rate"),
    "evidence_coverage": ("evidence_coverage",),
    "wrong_remediations": ("wrong_remediations", "wrong_remediation_count"),
    "unsafe_actions": ("unsafe_actions", "unsafe_action_count"),
    "recovered": ("recovered",),
    "distractors": ("distractors_present", "distractors"),
    "rogue_present": ("rogue_present",),
    "rogue_caught": ("rogue_caught",),
    "false_flags": ("false_flags",),
    "facts_found": ("facts_found",),
    "decoys_named": ("decoys_named",),
    "tokens": ("tokens",),
    "cost_usd": ("cost_usd",),
}


def _find(result: dict[str, Any], names: tuple[str, ...]) -> Any:
    nested = result.get("metrics")
    for source in (nested if isinstance(nested, dict) else {}, result):
        for name in names:
            if name in source and source[name] is not None:
                return _scalar(source[name])
    return None


def _scalar(value: Any) -> Any:
    """Counts may come as lists of what happened; metrics keep how many."""
    if isinstance(value, list | tuple | set | dict):
        return len(value)
    return value


def is_rogue(scenario: Scenario) -> bool:
    return any(f.type in FAULTS and FAULTS[f.type].family == "rogue_agent"
               for f in scenario.faults)


def episode_metrics(result: dict[str, Any], trace: list[dict[str, Any]], scenario: Scenario,
                    usage: dict[str, Any] | None = None, error: str | None = None
                    ) -> dict[str, Any]:
    """The flat metrics row of one episode (see ``ALIASES`` for the grader's names)."""
    m: dict[str, Any] = {k: _find(result, names) for k, names in ALIASES.items()}
    m["success"] = bool(result.get("success")) and error is None
    m["score"] = float(result.get("score") or 0.0) if error is None else 0.0
    m["steps"] = len(trace)
    m["error"] = error is not None
    if m["invalid_rate"] is None:
        m["invalid_rate"] = (sum(not s["ok"] for s in trace) / len(trace)) if trace else 0.0
    m["sim_time_s"] = round(trace[-1]["t"], 1) if trace else 0.0
    if m["time_to_mitigate_s"] is None and m["mitigated"]:
        m["time_to_mitigate_s"] = m["sim_time_s"]
    if m["distractors"] is None:
        m["distractors"] = bool(scenario.distractors)
    m["distractors"] = bool(m["distractors"])
    if m["rogue_present"] is None:
        m["rogue_present"] = is_rogue(scenario)
    if m["tokens"] is None and usage:
        tokens = (usage.get("tokens_in") or 0) + (usage.get("tokens_out") or 0)
        m["tokens"] = tokens or None
    if m["cost_usd"] is None and usage:
        m["cost_usd"] = usage.get("cost_usd")
    return m
