"""The Gymnasium domain face ``warroom/Domain-v0``: Gymnasium's env checker, a seeded episode
answered by the domain oracle, determinism, bad actions, truncation and options, on every
read domain that has fact tasks.

Needs the ``gym`` extra; runs in the adapters environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from warroom.integrations.gym_env import DOMAIN_ENV_ID, DomainEnv
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.tools.slices import DOMAINS, READ_DOMAINS

#: The read domains with train tasks (every one once all templates are in the tree).
WITH_TASKS = [d for d in READ_DOMAINS if task_refs(domain=d, split="train")]


def _act(name: str, arguments: dict) -> str:
    return json.dumps({"name": name, "arguments": arguments})


def test_deploys_has_tasks() -> None:
    assert "deploys" in WITH_TASKS


@pytest.mark.parametrize("domain", WITH_TASKS)
def test_passes_gymnasium_env_checker(domain: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(DOMAIN_ENV_ID, domain=domain, split="train")
        check_env(env.unwrapped)
        env.close()


@pytest.mark.parametrize("domain", WITH_TASKS)
def test_seeded_episode_answered_by_the_oracle(domain: str) -> None:
    env = gym.make(DOMAIN_ENV_ID, domain=domain, split="train", render_mode="ansi")
    obs, info = env.reset(seed=7)
    task = open_task(info["task"])
    assert task.domain == domain and task.split == "train"
    assert obs.startswith(f"QUESTION ({domain}") and task.question in obs
    assert info["task"].split("@")[1] not in obs  # the scenario id names the fault
    offered = [t["function"]["name"] for t in info["tools"]]
    assert offered == [*(s.name for s in DOMAINS[domain].tools()), "answer"]
    for i, call in enumerate(task.reads, start=1):
        obs, reward, terminated, truncated, info = env.step(_act(call.name, call.arguments))
        assert info["ok"] and info["step"] == i and reward == 0.0
        assert not (terminated or truncated)
    assert env.render() == obs
    obs, reward, terminated, truncated, info = env.step(
        _act("answer", {"text": " ".join(task.facts)}))
    assert terminated and not truncated and obs == "Answer recorded."
    assert reward == 1.0 and info["result"]["success"] is True

    again = DomainEnv(domain=domain, split="train")
    assert again.reset(seed=7)[1]["task"] == task.id  # the seed picks the task
    assert {DomainEnv(domain=domain).reset(seed=s)[1]["task"] for s in range(6)} != {task.id}


def test_lockstep_determinism_and_the_decoy_fails() -> None:
    refs = task_refs(domain="deploys", split="dev")
    task = next(t for t in map(open_task, (r["id"] for r in refs)) if t.decoys)
    a, b = DomainEnv("deploys", task=task.id), DomainEnv("deploys", task=task.id)
    assert a.reset(seed=1)[0] == b.reset(seed=2)[0]  # a fixed task ignores the draw
    for call in task.reads:
        outs = [env.step(_act(call.name, call.arguments))[0] for env in (a, b)]
        assert outs[0] == outs[1]
    assert a.episode is not None and b.episode is not None
    assert a.episode.state_hash() == b.episode.state_hash()
    stuffed = " ".join([*task.facts, *task.decoys])
    _, reward, terminated, _, info = a.step(_act("answer", {"text": stuffed}))
    assert terminated and not info["result"]["success"] and reward <= 0.5
    assert info["result"]["decoys_named"] == list(task.decoys)


def test_bad_actions_are_observations_and_the_budget_truncates() -> None:
    env = DomainEnv("deploys", split="dev")
    _, info = env.reset(seed=3)
    budget = info["step_budget"]
    outside = next(n for d, dom in DOMAINS.items() if d != "deploys"
                   for n in (s.name for s in dom.tools()))
    obs, reward, terminated, truncated, info = env.step(_act(outside, {}))
    assert obs.startswith("ERROR") and "not in the deploys domain" in obs and not info["ok"]
    obs, *_ = env.step("not json at all")
    assert obs.startswith("ERROR")
    obs, *_ = env.step(_act("answer", {"text": 42}))
    assert "text must be a string" in obs
    for _ in range(budget - 4):
        assert not any(env.step(_act("list_deploys", {}))[2:4])
    _, reward, terminated, truncated, info = env.step(_act("list_deploys", {}))
    assert truncated and not terminated and reward == 0.0
    assert info["result"]["success"] is False and info["result"]["answer"] is None


def test_options_and_refusals() -> None:
    task_id = task_refs(domain="deploys", split="test")[0]["id"]
    env = DomainEnv("deploys")
    _, info = env.reset(options={"task": task_id, "world_seed": 5})
    assert info["task"] == task_id and info["world_seed"] == 5
    assert env.episode is not None and env.episode.seed == 5
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"scenario": "x"})
    with pytest.raises(ValueError, match="domain must be one of"):
        DomainEnv("operations")
    with pytest.raises(ValueError, match="no deploys fact tasks"):
        DomainEnv("deploys", split="nope").reset(seed=0)
