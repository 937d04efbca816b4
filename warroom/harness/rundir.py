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

    def rewrite_spec(self, spec: dict[str, Any]) -> None:
        """Replace spec.json (``--extend``: a run grown by more policies, scenarios or
        seeds; the episodes already on disk keep counting)."""
        atomic_write(self.path / "spec.json", json.dumps(spec, indent=2, sort_keys=True))

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


def reward_config_id(name: str | None) -> str:
    """The id a reward config name resolves to (``None`` and ``default``: standard/v1)."""
    from ..scoring.configs import get_config

    try:
        return get_config(name).id
    except KeyError:
        return str(name)


# What a resumed run may not silently change, with how each is shown in a difference.
SPEC_FIELDS = {
    "policies": lambda spec: ", ".join(p["label"] for p in spec["policies"]),
    "scenarios": lambda spec: f"{len(spec['scenarios'])} scenarios",
    "seeds": lambda spec: ",".join(str(s) for s in spec["seeds"]),
    "reward_config": lambda spec: reward_config_id(spec.get("reward_config")),
}


def spec_differences(stored: dict[str, Any], asked: dict[str, Any]) -> list[str]:
    """How ``asked`` differs from the ``stored`` spec of a run, one line per field (only
    the fields ``asked`` names count)."""
    out = []
    for name, show in SPEC_FIELDS.items():
        if name not in asked:
            continue
        if name == "policies":
            same = [p["label"] for p in stored[name]] == [p["label"] for p in asked[name]]
        elif name == "reward_config":
            same = show(stored) == show(asked)
        else:
            same = stored.get(name) == asked.get(name)
        if not same:
            detail = ""
            if name == "scenarios":
                added = len(set(asked[name]) - set(stored[name]))
                dropped = len(set(stored[name]) - set(asked[name]))
                detail = f" (+{added} new, -{dropped} left out)"
            out.append(f"{name}: the run has {show(stored)}, this command asks "
                       f"{show(asked)}{detail}")
    return out


def _union(first: list[Any], second: list[Any], key: Any = None) -> list[Any]:
    seen, out = set(), []
    for item in [*first, *second]:
        k = key(item) if key else item
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def extended_spec(stored: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    """The stored spec grown by what ``asked`` adds: the union of policies, scenarios and
    seeds (every policy then runs on every scenario and seed). A different reward config
    cannot be added to a run: it raises ``ValueError``."""
    if "reward_config" in asked and (reward_config_id(asked["reward_config"])
                                     != reward_config_id(stored.get("reward_config"))):
        raise ValueError("a run has one reward config; start another --out for "
                         f"{reward_config_id(asked['reward_config'])}")
    spec = dict(stored)
    for name in ("policies", "scenarios", "seeds"):
        if name in asked:
            spec[name] = _union(stored[name], asked[name],
                                (lambda p: p["label"]) if name == "policies" else None)
    grown = {k: asked[k] for k in ("selection", "created", "warroom_version", "git_revision")
             if k in asked}
    spec["extended"] = [*stored.get("extended", []), grown]
    return spec
