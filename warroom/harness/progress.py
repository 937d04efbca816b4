"""The progress bar of a run: episodes done, success so far, errors and ETA (on stderr)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RunProgress:
    """Counts finished episodes; draws a bar unless ``enabled`` is false."""

    def __init__(self, total: int, done: int = 0, successes: int = 0, errors: int = 0,
                 enabled: bool = True, console: Console | None = None) -> None:
        self.total, self.done, self.successes, self.errors = total, done, successes, errors
        self._bar: Progress | None = None
        if enabled:
            self._bar = Progress(
                TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=console or Console(stderr=True), transient=False)
            self._task = self._bar.add_task("eval", total=total, completed=done,
                                            stats=self._stats())

    def _stats(self) -> str:
        rate = f"{self.successes / self.done:.0%}" if self.done else "-"
        err = f" errors {self.errors}" if self.errors else ""
        return f"success {rate}{err}"

    def advance(self, success: bool, error: bool = False) -> None:
        self.done += 1
        self.successes += bool(success)
        self.errors += bool(error)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, stats=self._stats())

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
