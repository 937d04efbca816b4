"""One way for every command to report a problem: a short message on stderr and an exit
code (2 for input the command cannot use, 1 for a failure while running), never a
traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

USAGE = 2
FAILURE = 1


def err_console() -> Console:
    """A stderr console that wraps long lines (made per call so tests capture stderr)."""
    return Console(stderr=True, highlight=False, soft_wrap=False)


def fail(message: str, code: int = USAGE, hint: str | None = None) -> NoReturn:
    """Print ``error: message`` (and a hint line) on stderr and exit with ``code``."""
    console = err_console()
    console.print(Text.assemble(("error: ", "bold red"), message))
    if hint:
        console.print(Text(hint, style="dim"))
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors that bad input raises (a scenario file that cannot be used, a run
    directory that exists or does not) into ``fail``; anything else is a bug and keeps its
    traceback."""
    from ..scenarios.files import ScenarioFileError

    try:
        yield
    except ScenarioFileError as exc:
        fail(str(exc))
    except (FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
        fail(str(exc))


def check_policies(specs: list[Any], make: Callable[[Any], Any]) -> None:
    """Fail once, before a run, on a policy spec that ``make`` cannot build or an LLM
    endpoint or model that cannot be reached."""
    for s in specs:
        try:
            policy = make(s)
        except KeyError as exc:
            fail(f"{s.label}: {exc.args[0]}")
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            fail(f"{s.label}: {exc}")
        check = getattr(policy, "check_endpoint", None) if s.name == "llm" else None
        if check is not None:
            try:
                check()
            except Exception as exc:
                fail(f"{s.label}: {exc}", FAILURE)
