"""The run directories under ``--runs``: discovered by ``spec.json``, summarized with the
report's own statistics (``warroom.harness.stats``) and cached until a file changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...harness.rundir import EPISODES, RunDir
from ...harness.stats import summarize
from ...harness.team import role_metrics


class NotFound(LookupError):
    """A run or episode that does not exist; ``available`` lists what does."""

    def __init__(self, what: str, available: list[str]) -> None:
        super().__init__(what)
        self.what = what
        self.available = available


@dataclass
class RunView:
    """One run as the pages show it: spec, records in ``episodes.jsonl`` order, summary."""

    name: str
    run: RunDir
    spec: dict[str, Any]
    records: list[dict[str, Any]]
    summary: dict[str, Any]

    @property
    def policies(self) -> list[str]:
        return [e["policy"] for e in self.summary["leaderboard"]]

    @property
    def tiers(self) -> list[str]:
        return list(dict.fromkeys(g["tier"] for g in self.summary["groups"]["policy_tier"]))

    @property
    def teams(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Per-role metrics of each team policy (``warroom.harness.team.role_metrics``:
        mean credit, steps, invalid calls, messages; ``team`` holds communication)."""
        by: dict[str, list[dict[str, Any]]] = {}
        for r in self.records:
            if isinstance(r.get("team"), dict) and (r.get("result") or {}).get("team"):
                by.setdefault(r["policy"], []).append(r["result"])
        return {p: role_metrics(results) for p, results in by.items()}

    def cell(self, grouping: str, policy: str, key: str) -> dict[str, Any] | None:
        """The ``policy_<grouping>`` group for one policy and tier/family value."""
        for g in self.summary["groups"][f"policy_{grouping}"]:
            if g["policy"] == policy and g[grouping] == key:
                return g
        return None


def _stamp(path: Path) -> tuple[float, int]:
    f = path / EPISODES
    try:
        st = f.stat()
    except OSError:
        return (0.0, 0)
    return (st.st_mtime, st.st_size)


class RunIndex:
    """Every run directory directly under ``root`` (newest first), loaded on demand."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[str, tuple[tuple[float, int], RunView]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        dirs = [p for p in self.root.iterdir() if (p / "spec.json").is_file()]
        dirs.sort(key=lambda p: (-_stamp(p)[0], p.name))
        return [p.name for p in dirs]

    def get(self, name: str) -> RunView:
        """The run called ``name``, or ``NotFound`` listing the runs that exist."""
        path = self.root / name
        if "/" in name or name.startswith(".") or not (path / "spec.json").is_file():
            raise NotFound(f"run {name!r} under {self.root}",
                           [f"/runs/{n}" for n in self.names()])
        stamp = _stamp(path)
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        run = RunDir(path)
        records = run.records()
        view = RunView(name, run, run.spec(), records, summarize(records))
        with self._lock:
            self._cache[name] = (stamp, view)
        return view

    def all(self) -> list[RunView]:
        out = []
        for name in self.names():
            try:
                out.append(self.get(name))
            except (OSError, ValueError, KeyError):
                continue
        return out

    def episode(self, view: RunView, index: int) -> dict[str, Any]:
        if not 0 <= index < len(view.records):
            raise NotFound(f"episode {index} of run {view.name!r}",
                           [f"/runs/{view.name}/episodes/{i}" for i in range(len(view.records))])
        return view.records[index]
