"""One war-room role trained through TRL's real GRPO loop: the commander's environment
(its tools only; the heuristic team plays SRE, Oversight and Developer) on the CPU.

The model is a tiny random Qwen2 built locally; its ``generate`` is replaced by a script
that writes ``<tool_call>`` blocks, so the rollouts are meaningful while the chat template,
tool execution on the environment, the reward and the optimizer step are TRL's own code.
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

from warroom.env.roles import ROLES
from warroom.integrations.trl_role import make_role_env_class
from warroom.train.datasets import to_dataset
from warroom.train.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.train
SCENARIO = "db_connection_leak/app/easy/v1"
GOOD = {"root_cause": {"component": "app", "category": "database/connection_leak",
                       "culprit": None}, "summary": "app leaks database connections"}
BAD = {"root_cause": {"component": "postgres", "category": "database/disk_full",
                      "culprit": None}, "summary": "a guess"}
Commander = make_role_env_class("commander", team="heuristic", name="Commander")


class Recorded(Commander):  # type: ignore[misc, valid-type]
    rewards: list[float] = []

    def get_reward(self) -> float:
        reward = super().get_reward()
        Recorded.rewards.append(reward)
        return reward


def test_role_tool_schemas_are_what_transformers_reads() -> None:
    for role in ROLES:
        env = make_role_env_class(role)()
        say = get_json_schema(env.say)["function"]
        assert set(say["parameters"]["required"]) == {"to", "message"}
        assert "all" in say["parameters"]["properties"]["to"]["enum"]
        for name in env._tool_names:
            assert get_json_schema(getattr(env, name))["function"]["name"] == name


def _call(name: str, args: dict[str, Any]) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n</tool_call><|im_end|>'


def test_two_grpo_steps_train_the_commander(tmp_path: Any) -> None:
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    torch.set_num_threads(1)
    tok = build_tokenizer()
    model = build_model(tok)
    before = [p.detach().clone() for p in model.parameters()]

    def scripted_generate(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                          **_: Any) -> torch.Tensor:
        """Even rows report the truth, odd rows a guess; then stop."""
        replies = []
        for i in range(input_ids.shape[0]):
            text = tok.decode(input_ids[i][attention_mask[i].bool()])
            done = "<tool_response>" in text
            reply = "Done.<|im_end|>" if done else _call("submit_report",
                                                         GOOD if i % 2 == 0 else BAD)
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    model.generate = scripted_generate
    row = {"prompt": [{"role": "user", "content": "You are the incident commander."}],
           "scenario": SCENARIO, "seed": 0}
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=2,
                        num_generations=2, max_steps=2, max_completion_length=4096,
                        max_tool_calling_iterations=3, learning_rate=1e-3, beta=0.0,
                        logging_steps=1, report_to="none", use_cpu=True, bf16=False,
                        save_strategy="no", shuffle_dataset=False, seed=0)
    Recorded.rewards = []
    trainer = GRPOTrainer(model=model, args=config, train_dataset=to_dataset([row, row]),
                          processing_class=tok, environment_factory=Recorded)
    trainer.train()
    assert len(Recorded.rewards) == 4
    good, bad = Recorded.rewards[0::2], Recorded.rewards[1::2]
    assert min(good) > max(bad)  # the true report earns more than the guess
    logs = [h for h in trainer.state.log_history if "rewards/Recorded/mean" in h]
    assert len(logs) == 2
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
