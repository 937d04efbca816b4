"""Two GRPO steps on the CPU through TRL's real trainer loop with the warroom environment.

The model is a tiny random Qwen2 built locally; its ``generate`` is replaced by a script that
writes Qwen-style ``<tool_call>`` blocks, so the rollouts are meaningful while everything else
(chat template with tools, response parsing, tool execution on the environment, the env-owned
reward, the loss and the optimizer step) is TRL's own code.
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

import warroom
from warroom.tools.registry import REGISTRY
from warroom.train.datasets import scenario_rows, to_dataset
from warroom.train.grpo import WarroomEnv
from warroom.train.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.train


def test_generated_tool_schemas_match_the_registry() -> None:
    env = WarroomEnv()
    for name, spec in REGISTRY.items():
        got = get_json_schema(getattr(env, name))["function"]
        want = spec.openai_schema()["function"]
        assert got["name"] == name and got["description"] == want["description"]
        props, want_props = got["parameters"]["properties"], want["parameters"]["properties"]
        assert set(props) == set(want_props)
        assert sorted(got["parameters"].get("required", [])) == sorted(
            want["parameters"]["required"])
        for arg, schema in props.items():
            assert schema["description"] == want_props[arg]["description"]
            for key in ("type", "enum"):
                if key in want_props[arg]:
                    assert schema[key] == want_props[arg][key], (name, arg)


class Recorded(WarroomEnv):
    """The default environment, recording each reward it hands to the trainer."""

    rewards: list[float] = []
    episodes: list[Any] = []

    def get_reward(self) -> float:
        reward = super().get_reward()
        Recorded.rewards.append(reward)
        Recorded.episodes.append(self._episode)
        return reward


def tool_call(name: str, args: dict[str, Any]) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n</tool_call><|im_end|>'


def test_two_grpo_steps_on_cpu_reach_the_logged_reward(tmp_path: Any) -> None:
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    torch.set_num_threads(1)
    row = scenario_rows(split="train", tier="easy", n=1)[0]
    ep = warroom.make(row["scenario"])
    ep.reset(seed=row["seed"])
    truth = ep.truths[0]
    assert ep.world is not None
    wrong = next(c.name for c in ep.world.topology.components if c.name != truth.component)
    good = {"root_cause": {"component": truth.component, "category": truth.category,
                           "culprit": truth.culprit}, "summary": "found it"}
    bad = {"root_cause": {"component": wrong, "category": truth.category, "culprit": None},
           "summary": "a guess"}

    tok = build_tokenizer()
    model = build_model(tok)
    before = [p.detach().clone() for p in model.parameters()]

    def scripted_generate(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                          **_: Any) -> torch.Tensor:
        """Turn 1: look (even rows at alerts, odd at the map); turn 2: report; then stop."""
        replies = []
        for i in range(input_ids.shape[0]):
            text = tok.decode(input_ids[i][attention_mask[i].bool()])
            turn = text.count("<tool_response>")
            if turn == 0:
                reply = tool_call("list_alerts" if i % 2 == 0 else "get_service_map", {})
            elif turn == 1:
                looked = text.rsplit("<tool_call>", 1)[-1]
                reply = tool_call("submit_report", good if "list_alerts" in looked else bad)
            else:
                reply = "Done.<|im_end|>"
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    model.generate = scripted_generate
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=2,
                        num_generations=2, max_steps=2, max_completion_length=4096,
                        max_tool_calling_iterations=4, learning_rate=1e-3, beta=0.0,
                        logging_steps=1, report_to="none", use_cpu=True, bf16=False,
                        save_strategy="no", shuffle_dataset=False, seed=0)
    Recorded.rewards, Recorded.episodes = [], []
    trainer = GRPOTrainer(model=model, args=config, train_dataset=to_dataset([row, row]),
                          processing_class=tok, environment_factory=Recorded)
    trainer.train()

    logs = [h for h in trainer.state.log_history if "rewards/Recorded/mean" in h]
    assert len(logs) == 2 and len(Recorded.rewards) == 4
    for k, log in enumerate(logs):
        step_rewards = Recorded.rewards[2 * k: 2 * k + 2]
        assert log["rewards/Recorded/mean"] == pytest.approx(sum(step_rewards) / 2, abs=1e-6)
        assert log["reward"] == pytest.approx(log["rewards/Recorded/mean"], abs=1e-6)
        assert log["tools/call_frequency"] == 2.0 and log["tools/failure_frequency"] == 0.0
        assert log["reward_std"] > 0
    assert all(e.done and e.report is not None for e in Recorded.episodes)
    good_score, bad_score = Recorded.rewards[:2]
    assert good_score > bad_score
    assert good_score == pytest.approx(Recorded.episodes[0].result["score"])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_example_recipe_runs_a_tiny_lora_curriculum(tmp_path: Any) -> None:
    """examples/train_grpo.py end to end on the CPU: curriculum rows, LoRA, save."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "examples" / "train_grpo.py"
    spec = importlib.util.spec_from_file_location("train_grpo_example", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    torch.set_num_threads(1)
    # a random model gets equal rewards in its group, so GRPO leaves the adapter at its
    # initialisation and the example refuses to report a trained result (exit status 3)
    with pytest.raises(SystemExit) as exited:
        example.main(["--tiny", "--curriculum", "easy:1", "--num-generations", "2",
                      "--per-device-batch", "2", "--grad-accum", "1",
                      "--max-completion-length", "16", "--lora-r", "4", "--tools",
                      "list_alerts,get_service_map", "--output-dir", str(tmp_path)])
    assert exited.value.code == example.UNTRAINED_EXIT
    assert (tmp_path / "adapter_config.json").is_file()
