"""Timestamps and small rendering helpers shared by the telemetry renderers."""

from __future__ import annotations

import time as _time
from collections.abc import Sequence

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso(unix: float) -> str:
    s = _time.gmtime(int(unix))
    ms = int((unix - int(unix)) * 1000)
    return (f"{s.tm_year:04d}-{s.tm_mon:02d}-{s.tm_mday:02d}T{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d}.{ms:03d}Z")


def hms(unix: float) -> str:
    s = _time.gmtime(int(unix))
    return f"{s.tm_hour:02d}:{s.tm_min:02d}:{s.tm_sec:02d}"


def nginx_time(unix: float) -> str:
    s = _time.gmtime(int(unix))
    return (f"{s.tm_mday:02d}/{MONTHS[s.tm_mon - 1]}/{s.tm_year}:{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d} +0000")


def plain_time(unix: float, sep: str = " ", ms_sep: str = ".") -> str:
    s = _time.gmtime(int(unix))
    ms = int((unix - int(unix)) * 1000)
    return (f"{s.tm_year:04d}-{s.tm_mon:02d}-{s.tm_mday:02d}{sep}{s.tm_hour:02d}:{s.tm_min:02d}:"
            f"{s.tm_sec:02d}{ms_sep}{ms:03d}")


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
