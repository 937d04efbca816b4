"""Exact-token search: is an identifier named in a text as itself, not inside a longer id?

``team-42`` is found in "owned by team-42." but not in "team-421" or "xteam-42"; dots and
colons count as part of an identifier only when more identifier follows them, so a
sentence may end right after one. Matching ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_ID = r"[A-Za-z0-9_\-]"


@lru_cache(maxsize=4096)
def _pattern(token: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!{_ID})(?<!{_ID}[.:])"
                      rf"{re.escape(token)}(?!{_ID})(?![.:]{_ID})", re.IGNORECASE)


def named(token: str, text: str) -> bool:
    """Whether ``token`` occurs in ``text`` as a whole identifier."""
    return bool(token) and _pattern(token.strip()).search(text) is not None


def named_all(tokens: Iterable[str], text: str) -> list[str]:
    """The tokens (in the given order, without repeats) that ``text`` names."""
    return [t for t in dict.fromkeys(tokens) if named(t, text)]
