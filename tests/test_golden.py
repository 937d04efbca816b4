"""Speed never changes meaning: the baselines on the dev split reproduce the golden file.

Each entry is (policy, dev scenario, seed 0) -> final state hash, score, step count and
digests of the trace and the result. Regenerate only when an id deliberately changes
meaning: ``python -m warroom.harness.golden --write``.
"""

from __future__ import annotations

import pytest

from warroom.harness import golden
from warroom.harness.policies import BUILTIN

STRIDE = 7  # every 7th dev scenario here; `python -m warroom.harness.golden --check` does all


@pytest.fixture(scope="module")
def expected():
    return golden.load()


@pytest.fixture(scope="module")
def ids():
    return golden.dev_ids()


def test_golden_file_covers_the_dev_split(expected, ids):
    assert len(ids) > 100
    assert set(expected) == {golden.key(p, sid) for sid in ids for p in BUILTIN}


def test_baselines_reproduce_the_golden_file(expected, ids):
    subset = ids[::STRIDE]
    assert golden.mismatches(expected, subset) == []


def test_a_changed_entry_is_reported(expected, ids):
    sid = ids[0]
    k = golden.key("oracle", sid)
    tampered = {**expected, k: {**expected[k], "state_hash": "0" * 64}}
    assert golden.mismatches(tampered, [sid]) == [k]
