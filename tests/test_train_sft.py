"""SFT export: chat format with tool calls that ``datasets`` loads and TRL trains on."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("trl", reason="needs the train extra: pip install 'warroom[train]'")

import torch
from trl import SFTConfig, SFTTrainer

from warroom.agents import POLICIES, Policy, register_policy
from warroom.tools.registry import schemas
from warroom.train.sft import export_sft, load_sft
from warroom.train.tiny import build_model, build_tokenizer
from warroom.types import Observation, ToolCall

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    path = tmp_path_factory.mktemp("sft") / "oracle.jsonl"
    return export_sft("oracle", split="train", n=3, out_path=path), path


def test_export_writes_successful_chat_trajectories(exported: tuple[dict[str, Any], Any],
                                                    ) -> None:
    stats, path = exported
    assert stats["episodes"] == 3 and stats["written"] + stats["skipped"] == 3
    assert stats["written"] >= 1
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == stats["written"]
    for rec in records:
        assert rec["success"] and rec["policy"] == "oracle" and rec["tools"] == schemas()
        msgs = rec["messages"]
        assert [m["role"] for m in msgs[:2]] == ["system", "user"]
        assert msgs[1]["content"].startswith("INCIDENT PAGE")
        for call_msg, tool_msg in zip(msgs[2::2], msgs[3::2], strict=True):
            (call,) = call_msg["tool_calls"]
            assert call_msg["role"] == "assistant" and tool_msg["role"] == "tool"
            assert tool_msg["tool_call_id"] == call["id"]
            assert isinstance(call["function"]["arguments"], dict)
        assert msgs[-2]["tool_calls"][0]["function"]["name"] == "submit_report"
        assert len(msgs) == 2 + 2 * rec["steps"]


class GuessPolicy(Policy):
    """Reports a wrong root cause at once: every episode fails."""

    name = "guess"

    def act(self, observation: Observation) -> ToolCall:
        return ToolCall("submit_report", {"root_cause": {"component": "edge", "category":
                                                         "deploy/bad_release", "culprit": None},
                                          "summary": "a guess"})


def test_only_successful_filter(tmp_path: Any) -> None:
    register_policy("test-guess")(GuessPolicy)
    try:
        kept = export_sft("test-guess", split="train", n=2, out_path=tmp_path / "a.jsonl")
        every = export_sft("test-guess", split="train", n=2, out_path=tmp_path / "b.jsonl",
                           only_successful=False)
    finally:
        POLICIES.pop("test-guess")
    assert (kept["written"], kept["skipped"]) == (0, 2)
    assert (tmp_path / "a.jsonl").read_text() == ""
    assert every["written"] == 2 and every["mean_score"] < 1
    with pytest.raises(ValueError, match="no scenarios"):
        export_sft("oracle", split="train", tier="nope", out_path=tmp_path / "x.jsonl")


def test_datasets_loads_it_and_one_sft_step_runs_on_cpu(exported: tuple[dict[str, Any], Any],
                                                        tmp_path: Any) -> None:
    _, path = exported
    ds = load_sft(path)
    first = ds[0]
    raw = json.loads(path.read_text().splitlines()[0])
    # nested JSON round-trips exactly: no null-padded argument structs
    assert first["messages"] == raw["messages"] and first["tools"] == raw["tools"]

    tok = build_tokenizer()
    text = tok.apply_chat_template(first["messages"], tools=first["tools"], tokenize=False)
    assert text.count('<tool_call>\n{"name": "') == raw["steps"]
    assert text.count("<tool_response>") == raw["steps"]
    report = raw["messages"][-2]["tool_calls"][0]["function"]
    assert json.dumps(report["arguments"]) in text
    assert '"name": "submit_report"' in text

    torch.set_num_threads(1)
    model = build_model(tok)
    config = SFTConfig(output_dir=str(tmp_path), per_device_train_batch_size=1, max_steps=1,
                       learning_rate=1e-3, logging_steps=1, report_to="none", use_cpu=True,
                       bf16=False, save_strategy="no", max_length=None,
                       assistant_only_loss=True)
    trainer = SFTTrainer(model=model, args=config,
                         train_dataset=ds.select_columns(["messages", "tools"]),
                         processing_class=tok)
    before = [p.detach().clone() for p in model.parameters()]
    out = trainer.train()
    assert out.global_step == 1 and torch.isfinite(torch.tensor(out.training_loss))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
