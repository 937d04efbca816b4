"""The values ``--split``, ``--tier`` and ``--family`` accept; an unknown one is refused
with the valid ones named."""

from __future__ import annotations

import difflib

from ..scenarios.catalog import TIERS
from ..scenarios.splits import SPLITS
from ..world.faults import FAULTS
from .errors import fail


def families() -> list[str]:
    return sorted({ft.family for ft in FAULTS.values()})


def valid_values(option: str) -> list[str]:
    """Every value ``option`` (split, tier or family) accepts."""
    return {"split": list(SPLITS), "tier": list(TIERS), "family": families()}[option]


def check(option: str, values: list[str] | None, extra: tuple[str, ...] = ()) -> None:
    """Exit with a usage error when a value of ``--option`` is not one it accepts."""
    valid = [*valid_values(option), *extra]
    for value in values or []:
        if value not in valid:
            close = difflib.get_close_matches(value, valid, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            fail(f"unknown --{option} {value!r}{guess}; valid: {', '.join(valid)}")
