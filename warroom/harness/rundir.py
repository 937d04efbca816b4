"""The run directory: everything needed to reproduce, resume and report a run.

    spec.json       what was asked: version, git revision, policies, scenario ids, seeds,
                    reward config (written once, before any episode)
    episodes.jsonl  one line per finished episode, appended whole, flushed and fsynced
    traces/         one JSON file per episode, written atomically before its line
    summary.json    aggregate statistics (rewritten at the end of each run)

A line in ``episodes.jsonl`` is the commit point of an episode: resuming runs exactly the
tasks without a line. A torn last line (the process was killed mid-write) is cut off.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

SPEC_VERSION = 1
EPISODES = "episodes.jsonl"


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def git_revision() -> str | None:
    """The source tree's commit (with ``-dirty`` when it has changes), or None."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty else "") if rev else None


def default_path(spec: dict[str, Any], root: Path = Path("runs")) -> Path:
    """``runs/<UTC time>-<hash of the spec>``."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    return root / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{digest}"


def trace_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20] + ".json"


class RunDir:
    """A run directory on disk (see the module docstring for its layout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.episodes = self.path / EPISODES
        self.traces = self.path / "traces"

    @classmethod
    def create(cls, path: Path, spec: dict[str, Any]) -> RunDir:
        """A new run; refuses a directory that already holds episodes."""
        run = cls(path)
        if run.episodes.exists() and run.episodes.stat().st_size > 0:
            raise FileExistsError(f"{path} already holds a run; pass --resume to continue it "
                                  f"or choose another --out")
        run.traces.mkdir(parents=True, exist_ok=True)
        atomic_write(path / "spec.json", json.dumps(spec, indent=2, sort_keys=True))
        run.episodes.touch()
        return run

    @classmethod
    def open(cls, path: Path) -> RunDir:
        run = cls(path)
        if not (run.path / "spec.json").is_file():
            raise FileNotFoundError(f"{path} is not a run directory (no spec.json)")
        run.traces.mkdir(exist_ok=True)
        return run

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads((self.path / "spec.json").read_text("utf-8"))
        return spec

    def repair(self) -> int:
        """Cut a torn last line; returns the number of bytes removed."""
        if not self.episodes.exists():
            return 0
        data = self.episodes.read_bytes()
        keep = data.rfind(b"\n") + 1
        tail = data[keep:]
        if not tail:
            return 0
        with open(self.episodes, "r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        return len(tail)

    def records(self) -> list[dict[str, Any]]:
        """Every finished episode, in the order finished (first line wins for a key)."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        if not self.episodes.exists():
            return out
        with open(self.episodes, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break
                rec = json.loads(line)
                if rec["key"] not in seen:
                    seen.add(rec["key"])
                    out.append(rec)
        return out

    def done_keys(self) -> set[str]:
        return {r["key"] for r in self.records()}

    def append(self, record: dict[str, Any], trace: list[dict[str, Any]]) -> None:
        """Commit one episode: its trace file first, then its line (one write, fsynced)."""
        name = trace_name(record["key"])
        atomic_write(self.traces / name, json.dumps(trace, default=str))
        line = json.dumps(dict(record, trace=f"traces/{name}"), default=str,
                          sort_keys=True) + "\n"
        with open(self.episodes, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def trace(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        path = self.path / record.get("trace", f"traces/{trace_name(record['key'])}")
        if not path.is_file():
            return []
        steps: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
        return steps

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.path / "summary.json"
        atomic_write(path, json.dumps(summary, indent=2, sort_keys=True, default=str))
        return path
