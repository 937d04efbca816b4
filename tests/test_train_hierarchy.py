"""The orchestrator as a TRL environment (``warroom.integrations.trl_hierarchy``) and the
recipe ``examples/train_hierarchy.py`` on the CPU with a tiny random model (train CI step)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl", reason="needs the train extra: pip install 'warroom[train]'")

import torch
from transformers.utils import get_json_schema

import warroom
from warroom.agents.orch_llm import orchestrator_prompt
from warroom.env.orchestrator import ask_schema
from warroom.integrations.trl_hierarchy import hierarchy_rows, make_hierarchy_env_class
from warroom.tools.registry import REGISTRY
from warroom.tools.slices import DOMAINS
from warroom.train.grpo import ToolCallError
from warroom.train.tiny import build_model, build_tokenizer

pytestmark = pytest.mark.train

SCENARIO = "db_connection_leak/checkout/medium/v1"


def report_of(truth: Any) -> dict[str, Any]:
    return {"root_cause": {"component": truth.component, "category": truth.category,
                           "culprit": truth.culprit}, "summary": "found and fixed it"}


def fix_question(truth: Any) -> str:
    """An operations question naming the scenario's fix as one tool and its arguments."""
    fix = truth.fix[0]
    return f"{fix['name']} {json.dumps(fix['arguments'])}"


def test_tools_are_the_orchestrators_with_readable_schemas() -> None:
    env_cls = make_hierarchy_env_class()
    assert env_cls._tool_names == (*(f"ask_{d}" for d in DOMAINS), "submit_report")
    env: Any = env_cls()
    for domain in DOMAINS:
        want = ask_schema(domain)["function"]
        got = get_json_schema(getattr(env, f"ask_{domain}"))["function"]
        assert got["name"] == want["name"] and got["description"] == want["description"]
        assert got["parameters"]["required"] == ["question"]
        assert set(got["parameters"]["properties"]) == {"question"}  # no page argument
        assert got["parameters"]["properties"]["question"]["type"] == "string"
    report = get_json_schema(env.submit_report)["function"]
    registry = REGISTRY["submit_report"].json_schema()
    assert report["parameters"]["required"] == registry["required"]
    assert set(report["parameters"]["properties"]) == set(registry["properties"])
    # no flat tool leaks into the top level
    assert not hasattr(env, "list_alerts") and not hasattr(env, "get_service_map")
    with pytest.raises(ValueError, match="reward"):
        make_hierarchy_env_class(reward="credit")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="unknown domain"):
        make_hierarchy_env_class(subagents={"payments": "heuristic"})


def test_rows_carry_the_orchestrator_prompt() -> None:
    rows = hierarchy_rows("train", tier="easy", n=2)
    assert len(rows) == 2 and all(r["scenario"] and "seed" in r for r in rows)
    assert rows[0]["prompt"][0]["content"] == orchestrator_prompt()
    assert "incident commander" in orchestrator_prompt()
    assert rows[0]["prompt"][1] == {"role": "user", "content": ""}


def test_one_episode_through_the_env_methods_scores_as_the_hierarchy_episode() -> None:
    env: Any = make_hierarchy_env_class(name="OrchEnv")()
    page = env.reset(scenario=SCENARIO, seed=0)
    assert "ask_errors" in page and "submit_report" in page
    truth = env._episode.truths[0]
    answer = env.ask_observability("Which services are failing, and since when?")
    assert answer and "ERROR" not in answer[:6]
    env.ask_operations(fix_question(truth))
    with pytest.raises(ToolCallError, match="question"):
        env.ask_errors("  ")
    final = env.submit_report(**report_of(truth))
    assert env._episode.done
    with pytest.raises(ToolCallError, match="episode is over"):
        env.ask_errors("anything else?")

    direct = warroom.make_hierarchy(SCENARIO)
    direct.reset(seed=0)
    for call in (("ask_observability", {"question": "Which services are failing, and since "
                                                    "when?"}),
                 ("ask_operations", {"question": fix_question(truth)}),
                 ("ask_errors", {"question": "  "}),
                 ("submit_report", report_of(truth))):
        last = direct.step(warroom.ToolCall(*call))
    assert direct.result is not None and last.observation.text == final
    assert env.get_reward() == pytest.approx(direct.result["score"])
    assert env._episode.state_hash() == direct.state_hash()
    assert 0.0 < env.get_reward() <= 1.0

    binary = make_hierarchy_env_class(reward="success")()
    binary._episode = env._episode
    assert binary.get_reward() == float(direct.result["success"])
    assert make_hierarchy_env_class(unfinished_reward=-0.5)().get_reward() == -0.5


# -- the recipe --------------------------------------------------------------------------

SHORT_PROMPT = "You are the incident commander: ask the specialists, then submit_report."
COMMON = ["--tiny", "--num-generations", "2", "--per-device-batch", "2", "--grad-accum",
          "1", "--split", "train", "--tier", "easy", "--n", "2", "--lr", "1e-2",
          "--max-tool-iterations", "3", "--eval-tier", "easy", "--eval-n", "1",
          "--lora-r", "4", "--system-prompt", SHORT_PROMPT]


def example() -> Any:
    path = Path(__file__).parents[1] / "examples" / "train_hierarchy.py"
    spec = importlib.util.spec_from_file_location("train_hierarchy_example_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reports_by_page(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The start of each scenario's orchestrator page -> the report naming its root cause."""
    out = {}
    for row in rows:
        ep = warroom.make_hierarchy(row["scenario"])
        page = str(ep.reset(seed=row["seed"]).text)
        out[page[:300]] = report_of(ep.truths[0])
    return out


def scripted(tok: Any, reports: dict[str, dict[str, Any]], ask: str = "ask_observability"
             ) -> Any:
    """A ``generate``: even rows ask (observability), then report; odd rows stop at once."""

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
                reply = call(ask, {"question": "What is failing?"})
            else:
                reply = call("submit_report", report)
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    return generate


def test_help_says_only_the_orchestrator_is_trained(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        example().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "NOT done by this script" in text and "trains the orchestrator only" in text


def test_tiny_orchestrator_training_is_plotted_checked_and_evaluated(tmp_path: Any) -> None:
    torch.set_num_threads(1)
    mod = example()
    train = hierarchy_rows("train", tier="easy", n=2, system_prompt=SHORT_PROMPT)
    held_out = hierarchy_rows("test", tier="easy", n=1, system_prompt=SHORT_PROMPT)
    tok = build_tokenizer(mod.tiny_corpus())
    model = build_model(tok)
    model.generate = scripted(tok, reports_by_page([*train, *held_out]))
    mod.load_model = lambda args: (model, tok)
    summary = mod.main([*COMMON, "--max-steps", "2", "--max-completion-length", "6144",
                        "--output-dir", str(tmp_path)])

    assert summary["steps"] == 2 and summary["trained"] == "orchestrator"
    points = summary["curve"]["points"]
    assert [p["step"] for p in points] == [1, 2]
    assert all(p["reward_std"] > 0 for p in points)  # one rollout reported, one stopped
    assert (tmp_path / "learning_curve.png").stat().st_size > 1000
    check = summary["check"]
    assert check["kind"] == "lora" and check["moved"] > 0 and check["max_logit_delta"] > 0
    table = json.loads((tmp_path / "eval.json").read_text())
    assert set(table) == {"trained", "base", "heuristic_orchestrator"}
    for name in ("trained", "base"):
        (episode,) = table[name]["episodes"]
        assert episode["scenario"] == held_out[0]["scenario"]
        assert episode["finished"] and episode["tool_calls"] == 2 and episode["score"] > 0
    assert table["trained"]["score"] == pytest.approx(table["base"]["score"])
    assert table["heuristic_orchestrator"]["n"] == 1


def test_untrained_orchestrator_is_refused(tmp_path: Any, capsys: Any) -> None:
    torch.set_num_threads(1)
    mod = example()
    with pytest.raises(SystemExit) as exited:
        mod.main([*COMMON, "--max-steps", "2", "--max-completion-length", "8",
                  "--output-dir", str(tmp_path)])
    assert exited.value.code == mod.UNTRAINED_EXIT
    assert "REFUSING to report a trained result" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["check"]["changed"] is False
    assert not (tmp_path / "eval.json").exists()
    assert [p["reward"] for p in summary["curve"]["points"]] == [0.0, 0.0]


# -- both stages: a domain subagent, then the orchestrator over it ------------------------

def scripted_subagent(tok: Any, tasks: list[Any], live: list[str]) -> Any:
    """A subagent ``generate``: on a fact task, even rows make its reads then answer the
    facts and odd rows give up at once; on any other question (the orchestrator's, in
    stage 2) it lists the deploys once, then answers. ``live`` records those questions."""

    def call(name: str, args: dict[str, Any]) -> str:
        return (f'<tool_call>\n{json.dumps({"name": name, "arguments": args})}\n'
                f'</tool_call><|im_end|>')

    def generate(input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 **_: Any) -> torch.Tensor:
        replies = []
        for i in range(input_ids.shape[0]):
            text = tok.decode(input_ids[i][attention_mask[i].bool()])
            turn = text.count("<tool_response>")
            task = next((t for t in tasks if t.question in text), None)
            if task is None:
                live.append(text)
                reply = call("list_deploys", {}) if turn == 0 else \
                    "The deploys look ordinary.<|im_end|>"
            elif i % 2:
                reply = "Done.<|im_end|>" if turn else "I could not find it.<|im_end|>"
            elif turn < len(task.reads):
                read = task.reads[turn]
                reply = call(read.name, dict(read.arguments))
            elif turn == len(task.reads):
                reply = call("answer", {"text": " ".join(task.facts)})
            else:
                reply = "Done.<|im_end|>"
            replies.append(tok(reply, add_special_tokens=False)["input_ids"])
        width = max(map(len, replies))
        pad = tok.pad_token_id
        return torch.stack([torch.cat([input_ids[i], torch.tensor(r + [pad] * (width - len(r)))])
                            for i, r in enumerate(replies)])

    return generate


def test_help_names_the_subagent_stage(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        example().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--train-subagent DOMAIN" in text and "on its fact tasks" in text


def test_tiny_subagent_then_orchestrator(tmp_path: Any) -> None:
    from warroom.integrations.trl_domain import domain_rows
    from warroom.scenarios.fact_templates import open_task

    torch.set_num_threads(1)
    mod = example()
    sub_rows = [*domain_rows("deploys", "train", n=2, seed=0),
                *domain_rows("deploys", "test", n=1, seed=0)]
    tasks = [open_task(r["task"]) for r in sub_rows]
    sub_tok = build_tokenizer(mod.tiny_subagent_corpus("deploys"))
    sub_model = build_model(sub_tok, seed=1)
    live: list[str] = []
    sub_model.generate = scripted_subagent(sub_tok, tasks, live)
    mod.load_subagent_model = lambda args: (sub_model, sub_tok)

    train = hierarchy_rows("train", tier="easy", n=2, system_prompt=SHORT_PROMPT)
    held_out = hierarchy_rows("test", tier="easy", n=1, system_prompt=SHORT_PROMPT)
    tok = build_tokenizer(mod.tiny_corpus())
    model = build_model(tok)
    model.generate = scripted(tok, reports_by_page([*train, *held_out]), ask="ask_deploys")
    mod.load_model = lambda args: (model, tok)
    summary = mod.main([*COMMON, "--train-subagent", "deploys", "--subagent-n", "2",
                        "--subagent-max-steps", "2", "--subagent-eval-n", "1",
                        "--max-steps", "2", "--max-completion-length", "6144",
                        "--output-dir", str(tmp_path)])

    assert summary["trained"] == "deploys subagent, then orchestrator"
    stage1 = summary["subagent"]
    assert stage1["domain"] == "deploys" and stage1["steps"] == 2 and stage1["tasks"] == 2
    points = stage1["curve"]["points"]
    assert [p["step"] for p in points] == [1, 2]
    assert all(p["reward"] == 0.5 and p["reward_std"] > 0 for p in points)
    assert stage1["check"]["kind"] == "lora" and stage1["check"]["moved"] > 0
    sub_dir = tmp_path / "subagent-deploys"
    assert (sub_dir / "learning_curve.png").stat().st_size > 1000
    assert (sub_dir / "adapter_model.safetensors").is_file()
    table = json.loads((sub_dir / "eval.json").read_text())
    assert set(table) == {"trained", "base", "heuristic_subagent"}
    (episode,) = table["trained"]["episodes"]
    assert episode["scenario"] == sub_rows[2]["scenario"] and episode["success"]
    assert table["heuristic_subagent"]["n"] == 1

    # stage 2 asked the trained subagent (in process), then trained the orchestrator
    assert live and all("deploys specialist" in text for text in live)
    assert summary["steps"] == 2 and summary["check"]["moved"] > 0
    assert all(p["reward_std"] > 0 for p in summary["curve"]["points"])
    orch = json.loads((tmp_path / "eval.json").read_text())
    assert set(orch) == {"trained", "base", "heuristic_orchestrator"}
    assert json.loads((tmp_path / "summary.json").read_text())["subagent"]["domain"] == \
        "deploys"


def test_an_untrained_subagent_stops_before_the_orchestrator(tmp_path: Any,
                                                             capsys: Any) -> None:
    torch.set_num_threads(1)
    mod = example()
    with pytest.raises(SystemExit) as exited:
        mod.main([*COMMON, "--train-subagent", "deploys", "--subagent-n", "2",
                  "--subagent-max-steps", "2", "--max-steps", "2",
                  "--max-completion-length", "8", "--output-dir", str(tmp_path)])
    assert exited.value.code == mod.UNTRAINED_EXIT
    assert "the deploys subagent did not train" in capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["subagent"]["check"]["changed"] is False
    assert not (tmp_path / "eval.json").exists() and not (tmp_path / "curve.json").exists()
