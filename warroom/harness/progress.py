"""The progress of a run on stderr: one bar per policy (episodes done, its success so far,
its errors) and the ETA. A success rate blended over policies would mean nothing, so
each policy keeps its own."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .tasks import Task


class PolicyCount:
    """Episodes done, successes and errors of one policy."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.successes, self.errors = total, 0, 0, 0

    def add(self, success: bool, error: bool) -> None:
        self.done += 1
        self.successes += bool(success)
        self.errors += bool(error)

    def stats(self) -> str:
        rate = f"{self.successes / self.done:.0%}" if self.done else "-"
        err = f"  errors {self.errors}" if self.errors else ""
        return f"success {rate:>4}{err}"


class RunProgress:
    """Counts finished episodes per policy; draws the bars unless ``enabled`` is false."""

    def __init__(self, tasks: Iterable[Task], prior: Iterable[dict[str, Any]] = (),
                 enabled: bool = True, console: Console | None = None) -> None:
        self.counts: dict[str, PolicyCount] = {}
        for task in tasks:
            label = task.policy.label
            self.counts.setdefault(label, PolicyCount(0)).total += 1
        for record in prior:
            self._count(record)
        self._bar: Progress | None = None
        self._rows: dict[str, TaskID] = {}
        if enabled:
            width = max((len(label) for label in self.counts), default=4)
            self._bar = Progress(
                TextColumn(f"{{task.description:<{min(width, 40)}}}", style="bold"),
                BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=console or Console(stderr=True), transient=False)
            for label, count in self.counts.items():
                self._rows[label] = self._bar.add_task(label[:40], total=count.total,
                                                       completed=count.done,
                                                       stats=count.stats())

    @property
    def done(self) -> int:
        return sum(c.done for c in self.counts.values())

    def _count(self, record: dict[str, Any]) -> str | None:
        label = record.get("policy")
        count = self.counts.get(str(label))
        if count is None:
            return None
        count.add(bool(record.get("metrics", {}).get("success")), bool(record.get("error")))
        return str(label)

    def advance(self, record: dict[str, Any]) -> None:
        """One finished episode (its record, as appended to the run directory)."""
        label = self._count(record)
        if self._bar is not None and label is not None:
            self._bar.update(self._rows[label], advance=1,
                             stats=self.counts[label].stats())

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
