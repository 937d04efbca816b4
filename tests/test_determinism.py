"""Same scenario, seed and actions give the same state hash: in one process, across
processes with different PYTHONHASHSEED, in lockstep, and through pickle/deepcopy."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys

import warroom
from warroom import ToolCall

from .conftest import SAMPLE_IDS

ACTIONS = [
    ToolCall("list_alerts", {}),
    ToolCall("query_metrics", {"service": "checkout", "metric": "db_pool_in_use"}),
    ToolCall("search_logs", {"service": "checkout", "level": "ERROR"}),
    ToolCall("list_deploys", {}),
    ToolCall("restart_service", {"service": "checkout"}),
    ToolCall("list_pods", {"service": "checkout"}),
    ToolCall("list_issues", {}),
]

SCRIPT = """
import json, sys, warroom
from warroom import ToolCall
ep = warroom.make(sys.argv[1]); ep.reset(seed=int(sys.argv[2]))
hashes = [ep.state_hash()]
texts = []
for name, args in json.loads(sys.argv[3]):
    r = ep.step(ToolCall(name, args))
    hashes.append(ep.state_hash())
    texts.append(r.observation.text)
print(json.dumps({"hashes": hashes, "texts": texts}))
"""


def run(sid: str, seed: int, actions: list[ToolCall]) -> tuple[list[str], list[str]]:
    ep = warroom.make(sid)
    ep.reset(seed=seed)
    hashes, texts = [ep.state_hash()], []
    for a in actions:
        r = ep.step(a)
        hashes.append(ep.state_hash())
        texts.append(r.observation.text)
    return hashes, texts


def test_same_inputs_same_hashes() -> None:
    assert run(SAMPLE_IDS[0], 3, ACTIONS) == run(SAMPLE_IDS[0], 3, ACTIONS)


def test_different_seeds_differ() -> None:
    a, _ = run(SAMPLE_IDS[0], 1, ACTIONS[:1])
    b, _ = run(SAMPLE_IDS[0], 2, ACTIONS[:1])
    assert a[0] != b[0]


def test_hash_changes_with_writes_only_as_state_changes() -> None:
    hashes, _ = run(SAMPLE_IDS[0], 0, ACTIONS)
    assert len(set(hashes)) == len(hashes)  # the clock moves with every call


def test_across_processes_with_different_hash_seeds() -> None:
    actions = json.dumps([[a.name, a.arguments] for a in ACTIONS])
    outs = []
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", SCRIPT, SAMPLE_IDS[0], "7", actions],
                              capture_output=True, text=True, env=env, check=True)
        outs.append(json.loads(proc.stdout))
    assert outs[0] == outs[1]
    local_hashes, local_texts = run(SAMPLE_IDS[0], 7, ACTIONS)
    assert outs[0]["hashes"] == local_hashes
    assert outs[0]["texts"] == local_texts


def test_lockstep_episodes_stay_equal() -> None:
    for sid in SAMPLE_IDS:
        a, b = warroom.make(sid), warroom.make(sid)
        oa, ob = a.reset(seed=5), b.reset(seed=5)
        assert oa.text == ob.text
        for act in ACTIONS:
            ra, rb = a.step(act), b.step(act)
            assert ra.observation.text == rb.observation.text
            assert a.state_hash() == b.state_hash()


def test_pickle_and_deepcopy_round_trip() -> None:
    ep = warroom.make(SAMPLE_IDS[2])
    ep.reset(seed=1)
    for act in ACTIONS[:3]:
        ep.step(act)
    for clone in (pickle.loads(pickle.dumps(ep)), copy.deepcopy(ep)):
        assert clone.state_hash() == ep.state_hash()
        nxt = ToolCall("list_fleet_actions", {"minutes": 30})
        assert clone.step(nxt).observation.text == copy.deepcopy(ep).step(nxt).observation.text


def test_fork_matches_a_deep_copy_and_leaves_the_original_alone() -> None:
    ep = warroom.make(SAMPLE_IDS[0])
    ep.reset(seed=2)
    for act in ACTIONS:
        ep.step(act)
    world = ep.world
    before = world.state_hash()
    deep, fork = copy.deepcopy(world), world.fork()
    for w in (deep, fork):
        w.edit_single("traffic").multiplier *= 1.3
        w.edit_item("services", "checkout").replicas = 9
        w.advance(1800)
    assert deep.state_hash() == fork.state_hash()
    assert world.state_hash() == before
    assert world.head.services["checkout"].replicas != 9


def test_fork_is_isolated_from_edits_at_the_same_instant() -> None:
    ep = warroom.make(SAMPLE_IDS[0])
    ep.reset(seed=2)
    world = ep.world
    world.edit_item("services", "orders").replicas = 5  # edited in place at this instant
    fork = world.fork()
    world.edit_item("services", "orders").replicas = 7  # same instant, after the fork
    assert fork.head.services["orders"].replicas == 5
    assert world.head.services["orders"].replicas == 7
