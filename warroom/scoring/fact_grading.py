"""Grading of a fact-finding answer: exact tokens, no LLM judge.

Binary success: every required fact appears in the answer as a whole token and no decoy
does. Partial score: the share of facts found times an efficiency factor (the oracle's
number of steps over the steps used, at most 1), halved when a decoy is named; so an answer
that names every id it saw finds the facts but fails, and scores at most half.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..scenarios.fact_tasks import names


def grade_answer(answer: str | None, facts: Sequence[str], decoys: Sequence[str] = (),
                 steps: int = 1, optimal_steps: int = 1) -> dict[str, Any]:
    """{success, score, facts_found, facts_missing, decoys_named, efficiency}."""
    text = answer or ""
    found = [f for f in facts if names(text, f)]
    named = [d for d in decoys if names(text, d)]
    share = len(found) / len(facts) if facts else 0.0
    efficiency = min(1.0, max(1, optimal_steps) / max(1, steps))
    success = bool(facts) and len(found) == len(facts) and not named and answer is not None
    score = share * efficiency * (0.5 if named else 1.0)
    return {"success": success, "score": round(score, 4), "facts_found": found,
            "facts_missing": [f for f in facts if f not in found], "decoys_named": named,
            "efficiency": round(efficiency, 4)}
