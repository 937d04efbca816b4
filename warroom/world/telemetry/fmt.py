"""Timestamps and small rendering helpers shared by the telemetry renderers."""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from functools import lru_cache

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=8192)
def _iso_seconds(sec: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of a whole Unix second (log lines repeat seconds often)."""
    s = _time.gmtime(sec)
    return (f"{s.tm_year:04d}-{s.tm_mon:02d}-{s.tm_mday:02d}T{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d}")


def iso(unix: float) -> str:
    ms = int((unix - int(unix)) * 1000)
    return f"{_iso_seconds(int(unix))}.{ms:03d}Z"


def hms(unix: float) -> str:
    s = _time.gmtime(int(unix))
    return f"{s.tm_hour:02d}:{s.tm_min:02d}:{s.tm_sec:02d}"


def nginx_time(unix: float) -> str:
    return _nginx_seconds(int(unix))


@lru_cache(maxsize=8192)
def _nginx_seconds(sec: int) -> str:
    s = _time.gmtime(sec)
    return (f"{s.tm_mday:02d}/{MONTHS[s.tm_mon - 1]}/{s.tm_year}:{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d} +0000")


@lru_cache(maxsize=8192)
def _plain_seconds(sec: int, sep: str) -> str:
    s = _time.gmtime(sec)
    return (f"{s.tm_year:04d}-{s.tm_mon:02d}-{s.tm_mday:02d}{sep}{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d}")


def plain_time(unix: float, sep: str = " ", ms_sep: str = ".") -> str:
    ms = int((unix - int(unix)) * 1000)
    return f"{_plain_seconds(int(unix), sep)}{ms_sep}{ms:03d}"


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A fixed-width text table like kubectl prints."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)
