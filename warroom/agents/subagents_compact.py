"""How a heuristic domain expert condenses what its tools returned into findings.

``condense(tool, data)`` gives (text lines, kept data): log lines de-duplicated by their
shape, Kubernetes events de-duplicated, metric series as bare numbers, ids and messages kept
exactly, bulky fields (commit hashes, descriptions) shortened or dropped. The kept data is
the same content as the text, structured, so an orchestrator can parse findings without
ever seeing the raw tool output.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_LOG_LINES = 6
MAX_ROWS = 20
MAX_VALUE = 160
DROP = ("description", "language", "page")
HEX = re.compile(r"\b[0-9a-f]{12,}\b")
SHAPE = re.compile(r"[0-9a-f]{6,}|\d+")


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = HEX.sub(lambda m: m.group(0)[:8], value)
        return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "..."
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return _short(json.dumps(value, separators=(",", ":"), default=str))
    return str(value)


def inline(item: dict[str, Any]) -> str:
    """One record on one line: ``key=value`` for every non-empty field but bulky ones."""
    return " ".join(f"{k}={_short(v)}" for k, v in item.items()
                    if k not in DROP and v not in (None, "", [], {}))


def render(data: Any) -> list[str]:
    """Any tool data as compact lines (a list: one line per record)."""
    if isinstance(data, list):
        rows = [inline(d) if isinstance(d, dict) else _short(d) for d in data[:MAX_ROWS]]
        if len(data) > MAX_ROWS:
            rows.append(f"(+{len(data) - MAX_ROWS} more)")
        return rows or ["(none)"]
    if isinstance(data, dict):
        flat = {k: v for k, v in data.items()
                if not (isinstance(v, list) and v and isinstance(v[0], dict))}
        lines = [inline(flat)] if flat else []
        for k, v in data.items():
            if k not in flat and k not in DROP:
                lines.append(f"{k}:")
                lines += [f"  {row}" for row in render(v)]
        return lines or ["(empty)"]
    return [_short(data)] if data is not None else ["(nothing)"]


def _logs(data: dict[str, Any]) -> tuple[list[str], Any]:
    seen: set[str] = set()
    kept = []
    for ln in data.get("lines", []):
        shape = SHAPE.sub("#", ln.get("line", ""))
        if shape not in seen:
            seen.add(shape)
            kept.append(ln)
    kept = kept[:MAX_LOG_LINES]
    text = [f"{data.get('service')}: {data.get('total', len(kept))} lines, {len(kept)} distinct:"]
    text += [f"  {_short(ln.get('line', ''))}" for ln in kept]
    return text, dict(data, lines=kept)


def _events(data: list[Any]) -> tuple[list[str], Any]:
    seen: dict[tuple[str, str, str], int] = {}
    kept: list[dict[str, Any]] = []
    for e in (e for e in data if isinstance(e, dict)):
        key = (e.get("reason", ""), e.get("object", ""), SHAPE.sub("#", e.get("message", "")))
        if key not in seen:
            seen[key] = len(kept)
            kept.append(dict(e, count=1))
        else:
            kept[seen[key]]["count"] += 1
    warn = [e for e in kept if e.get("type") != "Normal"]
    kept = warn + [e for e in kept if e.get("type") == "Normal"][:max(0, MAX_ROWS - len(warn))]
    return [inline(e) for e in kept] or ["(no events)"], kept


def _metrics(data: dict[str, Any]) -> tuple[list[str], Any]:
    points = data.get("points", [])
    values = " ".join(f"{p['value']:.4g}" for p in points)
    first = points[0]["time"][11:16] if points else "-"
    return [f"{data.get('service')} {data.get('metric')}: {len(points)} points from {first} "
            f"UTC, oldest first: {values}"], data


def _service_map(data: dict[str, Any]) -> tuple[list[str], Any]:
    comps = [{k: c.get(k) for k in ("name", "kind", "team", "calls")}
             for c in data.get("components", [])]
    lines = [f"{c['name']} [{c['kind']}, team {c['team']}] -> "
             + (", ".join(f"{d['target']}({d['kind']})" for d in c.get("calls") or []) or "-")
             for c in comps]
    lines += [f"route {inline(r)}" for r in data.get("routes", [])]
    return lines, dict(data, components=comps)


def _deploys(data: list[Any]) -> tuple[list[str], Any]:
    kept = [{k: v for k, v in d.items() if k != "commit"} for d in data if isinstance(d, dict)]
    kept = kept[:MAX_ROWS]
    return render(kept), kept


SPECIAL = {"search_logs": _logs, "get_events": _events, "query_metrics": _metrics,
           "get_service_map": _service_map, "list_deploys": _deploys}


def condense(tool: str, data: Any) -> tuple[list[str], Any]:
    """(compact text lines, the kept data) for one tool's output."""
    fn = SPECIAL.get(tool)
    if fn is not None and isinstance(data, dict | list):
        try:
            return fn(data)  # type: ignore[operator]
        except (KeyError, TypeError, AttributeError):
            pass
    if isinstance(data, list) and len(data) > MAX_ROWS:
        data = data[:MAX_ROWS]  # the kept data says no more than the text
    return render(data), data
