"""A domain subagent as a TRL environment (``warroom.integrations.trl_domain``): its tools
are the domain's plus ``answer``, its reward the fact grade, and two steps of TRL's real
GRPO loop train a tiny random model on deploys fact tasks on the CPU (train CI step).

The model's ``generate`` is replaced by a script that writes ``<tool_call>`` blocks, so the
rollouts are meaningful while the chat template, tool execution on the environment, the
reward and the optimizer step are TRL's own code.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("trl", reason="needs the train extra: pip install 'warroom[train]'")

import torch
from transformers.utils import get_json_schema
from trl import GRPOConfig, GRPOTrainer

from warroom.agents.orch_base import subagent_prompt
from warroom.env.domain import DomainEpisode
from warroom.integrations.trl_domain import domain_rows, make_domain_env_class
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.tools.slices import DOMAINS, READ_DOMAINS
from warroom.train.datasets import to_dataset
from warroom.train.grpo import ToolCallError
from warroom.train.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.train
WITH_TASKS = [d for d in READ_DOMAINS if task_refs(domain=d, split="train")]


def _task_with_decoys(domain: str, split: str = "dev") -> Any:
    tasks = (open_task(r["id"]) for r in task_refs(domain=domain, split=split)[:20])
    return next(t for t in tasks if t.decoys)


def test_deploys_has_tasks() -> None:
    assert "deploys" in WITH_TASKS


@pytest.mark.parametrize("domain", READ_DOMAINS)
def test_tools_are_the_domains_plus_answer_with_readable_schemas(domain: str) -> None:
    env_cls = make_domain_env_class(domain)
    assert env_cls.__name__ == f"Warroom{domain.title()}Env"
    own = [s.name for s in DOMAINS[domain].tools()]
    assert env_cls._tool_names == (*own, "answer")
    env: Any = env_cls()
    for name in own:
        schema = get_json_schema(getattr(env, name))["function"]
        assert schema["name"] == name and "page" in schema["parameters"]["properties"]
    answer = get_json_schema(env.answer)["function"]
    assert answer["parameters"]["required"] == ["text"]
    assert set(answer["parameters"]["properties"]) == {"text"}
    others = {s.name for d, dom in DOMAINS.items() if d != domain for s in dom.tools()}
    assert not any(hasattr(env, n) for n in others - set(own))


def test_default_class_per_domain() -> None:
    from warroom.integrations import trl_domain

    for domain in READ_DOMAINS:
        cls = getattr(trl_domain, f"Warroom{domain.title()}Env")
        assert cls._domain == domain and cls._reward == "score"
        assert getattr(trl_domain, f"Warroom{domain.title()}Env") is cls
    with pytest.raises(AttributeError):
        trl_domain.WarroomOperationsEnv  # noqa: B018


def test_refusals() -> None:
    with pytest.raises(ValueError, match="no fact tasks in domain"):
        make_domain_env_class("operations")
    with pytest.raises(ValueError, match="reward"):
        make_domain_env_class("errors", reward="credit")  # type: ignore[arg-type]
    env: Any = make_domain_env_class("errors")()
    with pytest.raises(ValueError, match="'task' column"):
        env.reset(scenario="x")
    deploys_task = task_refs(domain="deploys", split="dev")[0]["id"]
    with pytest.raises(ValueError, match="is a deploys task"):
        env.reset(task=deploys_task)


@pytest.mark.parametrize("domain", WITH_TASKS)
def test_rows_name_the_domains_tasks_with_the_subagent_prompt(domain: str) -> None:
    rows = domain_rows(domain, "train", n=3, seed=1)
    assert len(rows) == 3 and rows == domain_rows(domain, "train", n=3, seed=1)
    assert all(r["task"].startswith(f"{domain}/") and r["split"] == "train" for r in rows)
    assert rows[0]["prompt"][0]["content"] == subagent_prompt(domain)
    assert rows[0]["prompt"][1] == {"role": "user", "content": ""}
    assert len(domain_rows(domain, "dev")) == len(task_refs(domain=domain, split="dev"))


def test_an_episode_through_the_methods_is_graded_as_the_domain_episode() -> None:
    task = _task_with_decoys("deploys")
    env: Any = make_domain_env_class("deploys")()
    question = env.reset(task=task.id)
    assert task.question in question and "answer" in question
    assert env.get_reward() == 0.0  # nothing answered yet
    direct = DomainEpisode("deploys", task=task)
    direct.reset()
    for call in task.reads:
        assert getattr(env, call.name)(**call.arguments) == \
            direct.step(call).observation.text
    with pytest.raises(ToolCallError, match="text must be a string"):
        env.answer(text=3)
    direct.step({"name": "answer", "arguments": {"text": 3}})
    assert env.answer(" ".join(task.facts)) == "Answer recorded."
    with pytest.raises(ToolCallError, match="episode is over"):
        env.list_deploys()
    direct.step({"name": "answer", "arguments": {"text": " ".join(task.facts)}})
    assert direct.result is not None and direct.result["success"]
    assert env.get_reward() == direct.result["score"] < 1.0  # the bad call cost a step
    assert env._episode.state_hash() == direct.state_hash()

    stuffed: Any = make_domain_env_class("deploys", reward="success")()
    stuffed.reset(task=task.id)
    stuffed.answer(" ".join([*task.facts, *task.decoys]))
    assert stuffed.get_reward() == 0.0
    partial: Any = make_domain_env_class("deploys")()
    partial.reset(task=task.id)
    partial.answer(" ".join([*task.facts, *task.decoys]))
    assert 0.0 < partial.get_reward() <= 0.5
    assert make_domain_env_class("deploys", unfinished_reward=-0.5)().get_reward() == -0.5


def _call(name: str, args: dict[str, Any]) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n</tool_call><|im_end|>'


def test_two_grpo_steps_train_the_deploys_subagent(tmp_path: Any) -> None:
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    torch.set_num_threads(1)
    task = _task_with_decoys("deploys", "train")
    Env = make_domain_env_class("deploys", name="DeploysEnv")
    rewards: list[float] = []

    class Recorded(Env):  # type: ignore[misc, valid-type]
        def get_reward(self) -> float:
            reward = super().get_reward()
            rewards.append(reward)
            return reward

    tok = build_tokenizer()
    model = build_model(tok)
    before = [p.detach().clone() for p in model.parameters()]

    def scripted_generate(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                          **_: Any) -> torch.Tensor:
        """Even rows make the task's reads, then answer the facts; odd rows answer a decoy
        at once."""
        replies = []
        for i in range(input_ids.shape[0]):
            text = tok.decode(input_ids[i][attention_mask[i].bool()])
            assert task.question in text
            turn = text.count("<tool_response>")
            if turn > (0 if i % 2 else len(task.reads)):
                reply = "Done.<|im_end|>"
            elif i % 2:
                reply = _call("answer", {"text": task.decoys[0]})
            elif turn < len(task.reads):
                read = task.reads[turn]
                reply = _call(read.name, dict(read.arguments))
            else:
                reply = _call("answer", {"text": " ".join(task.facts)})
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    model.generate = scripted_generate
    row = {"prompt": [{"role": "system", "content": "You are the deploys specialist."},
                      {"role": "user", "content": ""}], "task": task.id}
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=2,
                        num_generations=2, max_steps=2, max_completion_length=4096,
                        max_tool_calling_iterations=3, learning_rate=1e-3, beta=0.0,
                        logging_steps=1, report_to="none", use_cpu=True, bf16=False,
                        save_strategy="no", shuffle_dataset=False, seed=0)
    trainer = GRPOTrainer(model=model, args=config, train_dataset=to_dataset([row, row]),
                          processing_class=tok, environment_factory=Recorded)
    trainer.train()
    assert len(rewards) == 4
    assert rewards[0::2] == [1.0, 1.0] and rewards[1::2] == [0.0, 0.0]
    logs = [h for h in trainer.state.log_history if "rewards/Recorded/mean" in h]
    assert len(logs) == 2 and all(h["rewards/Recorded/mean"] == 0.5 for h in logs)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
