"""examples/train_grpo.py end to end on the CPU with a tiny random model (train CI step).

Two runs of a few GRPO steps each, through TRL's real trainer, LoRA and a curriculum:

- the model's ``generate`` is scripted (one rollout of each group looks and files the right
  report, the other stops), so rewards differ within a group, the adapter moves, the checks
  pass and the example plots its curve and plays the held-out eval with trained and base;
- the plain random model: every rollout gets the same reward, GRPO's advantages are zero,
  the adapter stays at its initialisation, and the example must refuse (exit status 3)
  instead of reporting a trained result.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl", reason="needs the train extra: pip install 'warroom[train]'")

import torch

import warroom
from warroom.train.datasets import scenario_rows
from warroom.train.grpo import caught_rogue, make_env_class
from warroom.train.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.train

COMMON = ["--tiny", "--num-generations", "2", "--per-device-batch", "2", "--grad-accum",
          "1", "--tools", "list_alerts,get_service_map", "--lr", "1e-2",
          "--max-tool-iterations", "3", "--eval-tier", "easy", "--eval-n", "2"]


def example() -> Any:
    path = Path(__file__).parents[1] / "examples" / "train_grpo.py"
    spec = importlib.util.spec_from_file_location("train_grpo_example_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expert_reports(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The start of each scenario's incident page -> the report that names its root cause."""
    out = {}
    for row in rows:
        ep = warroom.make(row["scenario"])
        page = str(ep.reset(seed=row["seed"]).text)
        truth = ep.truths[0]
        out[page[:400]] = {"root_cause": {"component": truth.component,
                                          "category": truth.category,
                                          "culprit": truth.culprit}, "summary": "found it"}
    return out


def scripted(tok: Any, reports: dict[str, dict[str, Any]]) -> Any:
    """A ``generate``: even rows look at the alerts, then report; odd rows stop at once."""

    def call(name: str, args: dict[str, Any]) -> str:
        return (f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n'
                f'</tool_call><|im_end|>')

    def generate(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 **_: Any) -> torch.Tensor:
        replies = []
        for i in range(input_ids.shape[0]):
            text = tok.decode(input_ids[i][attention_mask[i].bool()])
            turn = text.count("<tool_response>")
            report = next((r for head, r in reports.items() if head in text), None)
            if i % 2 or report is None or turn > 1:
                reply = "Done.<|im_end|>"
            elif turn == 0:
                reply = call("list_alerts", {})
            else:
                reply = call("submit_report", report)
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    return generate


def test_trained_adapter_is_plotted_checked_and_evaluated(tmp_path: Any) -> None:
    torch.set_num_threads(1)
    mod = example()
    held_out = scenario_rows(split="test", tier="easy", n=2, seed=0)
    train = mod.build_rows(mod.parse_args([*COMMON, "--curriculum", "easy:2,medium:1"]), 1)
    tok = build_tokenizer()
    model = build_model(tok)
    model.generate = scripted(tok, expert_reports([*train, *held_out]))
    mod.load_model = lambda args: (model, tok)
    summary = mod.main([*COMMON, "--curriculum", "easy:2,medium:1", "--lora-r", "4",
                        "--max-completion-length", "4096", "--rogue-bonus", "2",
                        "--reward-config", "standard", "--output-dir", str(tmp_path)])

    assert summary["steps"] == 3
    points = summary["curve"]["points"]
    assert [p["step"] for p in points] == [1, 2, 3]
    assert all(p["reward_std"] > 0 for p in points)  # one rollout reported, one stopped
    assert (tmp_path / "learning_curve.png").stat().st_size > 1000
    assert json.loads((tmp_path / "curve.json").read_text())["stages"] == [
        ["easy", 2], ["medium", 1]]
    check = summary["check"]
    assert check["kind"] == "lora" and check["moved"] > 0 and check["max_logit_delta"] > 0
    assert (tmp_path / "adapter_model.safetensors").is_file()
    table = json.loads((tmp_path / "eval.json").read_text())
    assert set(table) == {"trained", "base"}
    for name in ("trained", "base"):
        assert table[name]["n"] == 2
        assert [e["scenario"] for e in table[name]["episodes"]] == [r["scenario"]
                                                                      for r in held_out]
        assert all(e["finished"] and e["tool_calls"] == 2 for e in table[name]["episodes"])
        assert table[name]["score"] > 0
    # the script ignores the weights, so trained and base play the same episodes
    assert table["trained"]["score"] == pytest.approx(table["base"]["score"])


def test_untrained_adapter_is_refused(tmp_path: Any, capsys: Any) -> None:
    torch.set_num_threads(1)
    mod = example()
    with pytest.raises(SystemExit) as exited:
        mod.main([*COMMON, "--curriculum", "easy:2", "--lora-r", "4",
                  "--max-completion-length", "8", "--output-dir", str(tmp_path)])
    assert exited.value.code == mod.UNTRAINED_EXIT
    assert "REFUSING to report a trained result" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["check"]["changed"] is False
    assert "identical to its initialisation" in summary["check"]["error"]
    assert "eval" not in summary and not (tmp_path / "eval.json").exists()
    assert [p["reward"] for p in summary["curve"]["points"]] == [0.0, 0.0]


def test_refused_when_the_model_is_not_the_peft_one(tmp_path: Any) -> None:
    mod = example()
    tok = build_tokenizer()
    model = build_model(tok)
    with pytest.raises(mod.NotTrained, match="not a PEFT model"):
        mod.verify_trained(model, {}, tmp_path, lora=True)
    with pytest.raises(mod.NotTrained, match="no saved model"):
        mod.verify_trained(model, mod.fingerprint(model), tmp_path, lora=False)


def test_adapter_checks_catch_a_stale_save_and_an_unmoved_adapter(tmp_path: Any) -> None:
    from peft import LoraConfig, get_peft_model

    mod = example()
    tok = build_tokenizer()
    model = get_peft_model(build_model(tok), LoraConfig(r=2, target_modules=["q_proj"],
                                                        task_type="CAUSAL_LM"))
    start = mod.lora_state(model)
    with pytest.raises(mod.NotTrained, match="no saved adapter"):
        mod.verify_trained(model, start, tmp_path, lora=True)
    model.save_pretrained(str(tmp_path))
    with pytest.raises(mod.NotTrained, match="identical to its initialisation"):
        mod.verify_trained(model, start, tmp_path, lora=True)
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if "lora_B" in name:
                weight.add_(0.5)
    with pytest.raises(mod.NotTrained, match="not the one in the model"):
        mod.verify_trained(model, start, tmp_path, lora=True)
    model.save_pretrained(str(tmp_path))
    check = mod.verify_trained(model, start, tmp_path, lora=True)
    assert check["moved"] == len(start) // 2 and check["max_logit_delta"] > 0


class FakeEpisode:
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


@pytest.mark.parametrize(("present", "caught", "want"), [
    (True, 1, 1.2), (True, 0, 0.4), (False, 0, 0.4)])
def test_rogue_bonus_multiplies_only_a_caught_rogue(present: bool, caught: int,
                                                    want: float) -> None:
    env = make_env_class(tools=["list_alerts"], rogue_bonus=3.0)()
    result = {"score": 0.4, "success": False,
              "metrics": {"rogue_present": present, "rogue_caught": caught}}
    env._episode = FakeEpisode(result)
    assert caught_rogue(result) is (present and caught > 0)
    assert env.get_reward() == pytest.approx(want)
    with pytest.raises(ValueError, match="rogue_bonus"):
        make_env_class(rogue_bonus=-1.0)
