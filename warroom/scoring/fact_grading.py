"""Grading of a fact-finding answer: exact tokens, no LLM judge.

Binary success: every required fact appears in the answer as a whole token and no decoy
does. Partial score: the share of facts found times an efficiency factor (the oracle's
number of steps over the steps used, at most 1), halved when a decoy is named; so an answer
that names every id it saw finds the facts but fails, and scores at most half.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_EDGE = r"[A-Za-z0-9_]"


def names(answer: str, token: str) -> bool:
    """Whether ``answer`` contains ``token`` as a whole token (case-insensitive): ``v12``
    is not named by ``v123``, nor ``pid 41`` by ``pid 410``."""
    if not token:
        return False
    pattern = rf"(?<!{_EDGE}){re.escape(token)}(?!{_EDGE})"
    return re.search(pattern, answer, flags=re.IGNORECASE) is not None


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
