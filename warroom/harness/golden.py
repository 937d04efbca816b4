"""Golden results: the built-in baselines on the whole dev split, reduced to digests.

Per episode (policy, dev scenario, seed 0) the golden file keeps the final state hash, the
score, and short digests of the JSON trace and of the result. A speed change must leave
every entry equal; only a change that deliberately gives an id a new meaning may rewrite
the file (and then the id gets a new version suffix)::

    python -m warroom.harness.golden --check          # compare every entry
    python -m warroom.harness.golden --write          # regenerate (meaning changed on purpose)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from . import plan
from .policies import BUILTIN, PolicySpec
from .tasks import Task, execute

GOLDEN_PATH = Path(__file__).resolve().parents[2] / "tests" / "golden" / "dev_baselines.json"
SPLIT = "dev"
SEED = 0


def digest(value: Any) -> str:
    """A short sha256 of ``value`` as canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dev_ids() -> list[str]:
    return plan.select(SPLIT, None, None, None)


def entry(policy: str, scenario_id: str, seed: int = SEED) -> dict[str, Any]:
    """The golden entry of one episode."""
    record, trace = execute(Task(PolicySpec(policy), scenario_id, seed))
    return {"state_hash": record["state_hash"], "score": record["result"]["score"],
            "steps": record["steps"], "trace": digest(trace), "result": digest(record["result"])}


def key(policy: str, scenario_id: str, seed: int = SEED) -> str:
    return f"{policy}|{scenario_id}|{seed}"


def compute(ids: list[str], policies: tuple[str, ...] = BUILTIN) -> dict[str, dict[str, Any]]:
    return {key(p, sid): entry(p, sid) for sid in ids for p in policies}


def load(path: Path = GOLDEN_PATH) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(path.read_text())["episodes"]
    return data


def write(path: Path = GOLDEN_PATH) -> int:
    episodes = compute(dev_ids())
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"split": SPLIT, "seed": SEED, "policies": list(BUILTIN), "episodes": episodes}
    path.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n")
    return len(episodes)


def mismatches(expected: dict[str, dict[str, Any]], ids: list[str]) -> list[str]:
    """Keys whose recomputed entry differs from ``expected`` (or that it lacks)."""
    bad = []
    for sid in ids:
        for p in BUILTIN:
            k = key(p, sid)
            if expected.get(k) != entry(p, sid):
                bad.append(k)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m warroom.harness.golden", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="recompute and compare every entry")
    mode.add_argument("--write", action="store_true",
                      help="regenerate the golden file (only when an id changes meaning)")
    args = ap.parse_args(argv)
    if args.write:
        print(f"wrote {write()} episodes to {GOLDEN_PATH}")
        return 0
    expected = load()
    ids = dev_ids()
    bad = mismatches(expected, ids)
    missing = len(expected) - len(ids) * len(BUILTIN)
    for k in bad:
        print(f"differs: {k}")
    if missing:
        print(f"the golden file holds {missing} entries the dev split no longer has")
    print(f"{len(ids) * len(BUILTIN) - len(bad)} / {len(ids) * len(BUILTIN)} episodes equal")
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
