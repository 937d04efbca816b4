"""Train the warroom hierarchy with TRL's GRPO: a domain subagent, then the orchestrator.

The hierarchy's training order is: train each domain subagent alone, then train the
orchestrator over the (now fixed) subagents. This recipe does both when given
``--train-subagent DOMAIN``:

1. Stage 1, the subagent: GRPO on the domain's fact tasks (``--subagent-split``), through
   ``warroom.integrations.trl_domain.make_domain_env_class``. Its tools are the domain's
   tools and ``answer(text)``; its reward the fact grade (every fact named, no decoy),
   logged as ``rewards/Warroom<Domain>Env/mean``. Then the same checks as the flat recipe
   (the adapter moved, the saved adapter is the trained one; exit 3 otherwise, and no
   stage 2), and a held-out evaluation on ``--subagent-eval-split`` fact tasks: trained,
   base (adapter disabled) and the domain's heuristic expert, in
   ``<subagent dir>/eval.json``.
2. Stage 2, the orchestrator, over fixed subagents: the trained model answers for DOMAIN
   (in process, greedy, ``ModelSubagent``), every other domain is ``--subagents``'.

Without ``--train-subagent`` it is stage 2 only, over ``--subagents``: the heuristic domain
experts (``heuristic``), or subagents served behind an OpenAI-compatible endpoint, e.g.
``--subagents "errors=llm:model=my-errors-lora,base_url=http://localhost:8000/v1"`` (the
same spec as ``warroom eval --hierarchy --subagents``; domains left out stay heuristic).

The orchestrator's tools are ``ask_<domain>(question)`` for every domain and
``submit_report``; it never sees a raw tool output. The environment is
``warroom.integrations.trl_hierarchy.make_hierarchy_env_class`` and the reward is the
grader's ``score`` or ``success`` on the whole episode, logged by TRL as
``rewards/WarroomOrchestratorEnv/mean``.

    pip install 'warroom[train]'
    # both stages on one GPU (H100/H200): the errors subagent, then the orchestrator
    python examples/train_hierarchy.py --model Qwen/Qwen3-1.7B --train-subagent errors \
        --subagent-max-steps 200 --split train --tier easy --lora-r 16 --bf16 \
        --max-steps 200 --output-dir runs/hierarchy-qwen3-1.7b
    # the orchestrator only, over the heuristic subagents
    python examples/train_hierarchy.py --model Qwen/Qwen3-1.7B --split train --tier easy \
        --lora-r 16 --bf16 --max-steps 200 --output-dir runs/orchestrator-qwen3-1.7b
    python examples/train_hierarchy.py --tiny --max-steps 2 --lora-r 4 --num-generations 2 \
        --per-device-batch 2 --grad-accum 1 --n 2 --tier easy --max-completion-length 256
    #   CPU smoke run (~1 min): a random tiny model gets equal rewards, its adapter does not
    #   move, and the script refuses to report a trained result (exit 3)

After each stage's training it writes ``learning_curve.png`` and ``curve.json`` (stage 1 in
``--subagent-output-dir``, default ``<output-dir>/subagent-<domain>``), checks that the
adapter (or the weights) moved and that the saved adapter is the trained one, exactly as
``examples/train_grpo.py`` does (it imports that file: keep the two side by side), and exits
with status 3 reporting no trained result if any check fails. Otherwise stage 2 plays
``--eval-n`` held-out scenarios greedily with the trained model and the base model (adapter
disabled), plus the heuristic orchestrator over the same subagents as a reference, and
writes ``eval.json``; ``summary.json`` holds both stages.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _flat_recipe() -> Any:
    """``examples/train_grpo.py``, whose checks, rollouts and curve this recipe reuses."""
    name = "warroom_example_train_grpo"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "train_grpo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


grpo = _flat_recipe()
UNTRAINED_EXIT = grpo.UNTRAINED_EXIT
NotTrained = grpo.NotTrained


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=(
        "Without --train-subagent, step 1 of the training order (training a domain "
        "subagent) is NOT done by this script: it trains the orchestrator only, over fixed "
        "subagents (--subagents). With --train-subagent DOMAIN it first trains that "
        "domain's subagent on its fact tasks, then the orchestrator with the trained "
        "subagent fixed for DOMAIN."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen3-1.7B", help="hub id or local path")
    p.add_argument("--tiny", action="store_true",
                   help="use a tiny random local model instead of --model (CPU smoke run)")
    p.add_argument("--output-dir", default="runs/orchestrator")
    p.add_argument("--subagents", default="heuristic",
                   help="the fixed subagents: 'heuristic', one spec for every domain "
                        "(llm:model=M,base_url=U) or domain=spec parts joined by ';'")
    sub = p.add_argument_group("stage 1: a domain subagent (with --train-subagent)")
    sub.add_argument("--train-subagent", default=None, metavar="DOMAIN",
                     help="train this read domain's subagent first (errors, database, "
                          "deploys, kubernetes, observability, fleet)")
    sub.add_argument("--subagent-model", default=None, help="default: --model")
    sub.add_argument("--subagent-output-dir", default=None,
                     help="default: <output-dir>/subagent-<domain>")
    sub.add_argument("--subagent-split", default="train", help="split of its fact tasks")
    sub.add_argument("--subagent-n", type=int, default=None, help="fact tasks (default: all)")
    sub.add_argument("--subagent-max-steps", type=int, default=100, help="optimizer steps")
    sub.add_argument("--subagent-system-prompt", default=None,
                     help="a file (or one line of text) replacing the subagent prompt")
    sub.add_argument("--subagent-eval-split", default="test")
    sub.add_argument("--subagent-eval-n", type=int, default=20,
                     help="held-out fact tasks; 0 skips the stage-1 eval")
    sub.add_argument("--subagent-max-new-tokens", type=int, default=512,
                     help="tokens per turn of the trained subagent inside stage 2")
    data = p.add_argument_group("data")
    data.add_argument("--split", default="train")
    data.add_argument("--tier", choices=["easy", "medium", "hard"], default=None)
    data.add_argument("--n", type=int, default=None, help="scenarios (default: all)")
    data.add_argument("--seed", type=int, default=0)
    data.add_argument("--system-prompt", default=None,
                      help="a file (or one line of text) replacing the "
                           "orchestrator prompt")
    env = p.add_argument_group("environment and reward")
    env.add_argument("--reward", choices=["score", "success"], default="score")
    env.add_argument("--unfinished-reward", type=float, default=0.0)
    env.add_argument("--reward-config", default=None,
                     help="named grader config (standard, strict, binary, discounted)")
    env.add_argument("--max-episode-steps", type=int, default=None,
                     help="top-level call budget (default: the scenario's)")
    env.add_argument("--sub-steps", type=int, default=None,
                     help="tool calls per subagent answer (default: the episode's)")
    tr = p.add_argument_group("GRPO")
    tr.add_argument("--max-steps", type=int, default=200, help="optimizer steps")
    tr.add_argument("--num-generations", type=int, default=8)
    tr.add_argument("--per-device-batch", type=int, default=8, help="completions per device")
    tr.add_argument("--grad-accum", type=int, default=4)
    tr.add_argument("--lr", type=float, default=1e-6)
    tr.add_argument("--beta", type=float, default=0.0, help="KL coefficient")
    tr.add_argument("--temperature", type=float, default=1.0)
    tr.add_argument("--max-completion-length", type=int, default=8192,
                    help="tokens over the whole multi-turn rollout, answers included")
    tr.add_argument("--max-tool-iterations", type=int, default=20)
    tr.add_argument("--bf16", action="store_true")
    tr.add_argument("--gradient-checkpointing", action="store_true")
    tr.add_argument("--use-vllm", choices=["colocate", "server"], default=None)
    tr.add_argument("--vllm-gpu-memory", type=float, default=0.3)
    tr.add_argument("--logging-steps", type=int, default=1)
    tr.add_argument("--save-steps", type=int, default=100)
    tr.add_argument("--report-to", default="none", help="none, wandb, trackio, tensorboard")
    lora = p.add_argument_group("LoRA (peft)")
    lora.add_argument("--lora-r", type=int, default=16, help="rank; 0 trains all weights")
    lora.add_argument("--lora-alpha", type=int, default=32)
    lora.add_argument("--lora-dropout", type=float, default=0.05)
    lora.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,"
                                                "up_proj,down_proj")
    ev = p.add_argument_group("held-out evaluation")
    ev.add_argument("--eval-split", default="test", help="held-out split (test or ood)")
    ev.add_argument("--eval-tier", choices=["easy", "medium", "hard"], default=None)
    ev.add_argument("--eval-n", type=int, default=20, help="scenarios; 0 skips the eval")
    ev.add_argument("--eval-max-new-tokens", type=int, default=1024,
                    help="tokens per assistant turn (capped by --max-completion-length)")
    return p.parse_args(argv)


def tiny_corpus() -> list[str]:
    """What the tiny tokenizer learns from: the flat corpus plus the orchestrator's prompt,
    page words and tool schemas."""
    from warroom.agents.orch_llm import orchestrator_prompt
    from warroom.env.orchestrator import ask_schema
    from warroom.tools.slices import DOMAINS
    from warroom.train.tiny import corpus

    asks = [json.dumps(ask_schema(d)) for d in DOMAINS]
    return [*corpus(), orchestrator_prompt(), *asks,
            '<tool_call>\n{"name": "ask_observability", "arguments": {"question": '
            '"what is firing?"}}\n</tool_call>']


def load_model(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.tiny:
        from warroom.train.tiny import build_model, build_tokenizer

        tok = build_tokenizer(tiny_corpus())
        return build_model(tok), tok
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.model, padding_side="left")
    dtype = "bfloat16" if args.bf16 else "auto"
    return AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype), tok


def tiny_subagent_corpus(domain: str) -> list[str]:
    """What the tiny subagent tokenizer learns from: the flat corpus plus the domain's
    prompt and the ``answer`` tool."""
    from warroom.agents.orch_base import subagent_prompt
    from warroom.env.domain import ANSWER_SCHEMA
    from warroom.train.tiny import corpus

    return [*corpus(), subagent_prompt(domain), json.dumps(ANSWER_SCHEMA),
            '<tool_call>\n{"name": "answer", "arguments": {"text": "rel-1"}}\n</tool_call>']


def load_subagent_model(args: argparse.Namespace) -> tuple[Any, Any]:
    """Stage 1's model and tokenizer (``--subagent-model``, default ``--model``)."""
    if args.tiny:
        from warroom.train.tiny import build_model, build_tokenizer

        tok = build_tokenizer(tiny_subagent_corpus(args.train_subagent))
        return build_model(tok, seed=1), tok
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = args.subagent_model or args.model
    tok = AutoTokenizer.from_pretrained(name, padding_side="left")
    dtype = "bfloat16" if args.bf16 else "auto"
    return AutoModelForCausalLM.from_pretrained(name, dtype=dtype), tok


class ModelSubagent:
    """A trained subagent model as a fixed subagent policy (in process, greedy).

    Each question is a fresh chat: the subagent prompt, then the question with the domain's
    tools. Each ``act`` generates one turn and plays its first ``<tool_call>``; a turn
    without one is the answer (``answer(text)`` with the turn's text).
    """

    def __init__(self, model: Any, tokenizer: Any, domain: str, max_new_tokens: int = 512,
                 system_prompt: str | None = None) -> None:
        from warroom.agents.orch_base import subagent_prompt

        self.model, self.tokenizer, self.domain = model, tokenizer, domain
        self.max_new_tokens = max_new_tokens
        self.system_prompt = system_prompt or subagent_prompt(domain)
        self.messages: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []
        self.usage = {"tokens_in": 0, "tokens_out": 0}
        self._called: str | None = None  # the tool whose output the next act receives

    def reset(self, observation: Any, tools: list[dict[str, Any]], seed: int,
              truths: Any = None) -> None:
        self.messages = [{"role": "system", "content": self.system_prompt},
                         {"role": "user", "content": str(observation.text)}]
        self.tools = tools
        self._called = None

    def act(self, observation: Any) -> Any:
        import torch

        from warroom.types import ToolCall

        if self._called is not None:
            self.messages.append({"role": "tool", "name": self._called,
                                  "content": str(observation.text)})
        ids = self.tokenizer.apply_chat_template(
            self.messages, tools=self.tools, add_generation_prompt=True,
            return_tensors="pt", return_dict=True)
        device = self.model.device
        with torch.no_grad():
            out = self.model.generate(input_ids=ids["input_ids"].to(device),
                                      attention_mask=ids["attention_mask"].to(device),
                                      max_new_tokens=self.max_new_tokens, do_sample=False)
        new = out[0, ids["input_ids"].shape[1]:]
        self.usage["tokens_in"] += int(ids["input_ids"].shape[1])
        self.usage["tokens_out"] += int(new.shape[0])
        text = self.tokenizer.decode(new, skip_special_tokens=False)
        eos = self.tokenizer.eos_token
        text = text.split(eos)[0] if eos else text
        calls = grpo.parse_calls(text)
        if not calls:
            self._called = None
            return ToolCall("answer", {"text": text.strip() or "(no answer)"})
        name, arguments = calls[0]
        self._called = name
        self.messages.append({"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": name, "arguments": arguments}}]})
        return ToolCall(name, arguments)


def peft_config(args: argparse.Namespace) -> Any:
    if not args.lora_r:
        return None
    from peft import LoraConfig

    return LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha,
                      lora_dropout=args.lora_dropout, task_type="CAUSAL_LM",
                      target_modules=args.lora_targets.split(","))


def grpo_config(args: argparse.Namespace, output_dir: str, max_steps: int) -> Any:
    """One stage's ``GRPOConfig`` (both stages share the GRPO and LoRA options)."""
    from trl import GRPOConfig

    vllm: dict[str, Any] = {}
    if args.use_vllm:
        vllm = {"use_vllm": True, "vllm_mode": args.use_vllm}
        if args.use_vllm == "colocate":
            vllm["vllm_gpu_memory_utilization"] = args.vllm_gpu_memory
    return GRPOConfig(
        output_dir=output_dir, max_steps=max_steps, learning_rate=args.lr,
        per_device_train_batch_size=args.per_device_batch,
        gradient_accumulation_steps=args.grad_accum, num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        max_tool_calling_iterations=args.max_tool_iterations, beta=args.beta,
        temperature=args.temperature, bf16=args.bf16,
        gradient_checkpointing=args.gradient_checkpointing, logging_steps=args.logging_steps,
        save_steps=args.save_steps, report_to=args.report_to, seed=args.seed,
        use_cpu=args.tiny, **vllm)


def heuristic_subagent_reference(domain: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The domain's heuristic expert on the same held-out fact tasks."""
    from warroom.agents.orch_base import heuristic_subagent
    from warroom.env.domain import DomainEpisode
    from warroom.scenarios.fact_templates import open_task

    episodes = []
    for row in rows:
        task = open_task(str(row["task"]))
        ep = DomainEpisode(domain, task=task)
        obs = ep.reset()
        policy = heuristic_subagent(domain)()
        policy.reset(obs, ep.tools, task.seed, None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
        result = ep.finish()
        episodes.append({"task": task.id, "success": bool(result["success"]),
                         "score": float(result["score"]), "tool_calls": len(ep.trace)})
    n = len(episodes)
    return {"n": n, "success_rate": sum(e["success"] for e in episodes) / n,
            "score": sum(e["score"] for e in episodes) / n,
            "reward": sum(e["score"] for e in episodes) / n, "finished": 1.0,
            "tool_calls": sum(e["tool_calls"] for e in episodes) / n, "episodes": episodes}


def train_subagent(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """Stage 1: GRPO on the domain's fact tasks, checked and evaluated; returns the trained
    model, its tokenizer and the stage's summary (exit 3 when it did not train)."""
    from trl import GRPOTrainer

    from warroom.integrations.trl_domain import domain_rows, make_domain_env_class
    from warroom.train.datasets import to_dataset

    domain = args.train_subagent
    out = Path(args.subagent_output_dir or Path(args.output_dir) / f"subagent-{domain}")
    out.mkdir(parents=True, exist_ok=True)
    rows = domain_rows(domain, split=args.subagent_split, n=args.subagent_n, seed=args.seed,
                       system_prompt=args.subagent_system_prompt)
    env_cls = make_domain_env_class(domain, reward=args.reward,
                                    unfinished_reward=args.unfinished_reward)
    model, tokenizer = load_subagent_model(args)
    trainer = GRPOTrainer(model=model, args=grpo_config(args, str(out),
                                                        args.subagent_max_steps),
                          train_dataset=to_dataset(rows), processing_class=tokenizer,
                          environment_factory=env_cls, peft_config=peft_config(args))
    start = grpo.lora_state(trainer.model) if args.lora_r else grpo.fingerprint(trainer.model)
    print(f"stage 1, the {domain} subagent: {len(rows)} fact tasks of "
          f"{args.subagent_split}, {args.subagent_max_steps} steps, tools "
          f"{', '.join(env_cls._tool_names)}, reward={args.reward}, lora_r={args.lora_r}")
    trainer.train()
    trainer.save_model(str(out))
    curve = grpo.write_curve(trainer.state.log_history, env_cls.__name__,
                             [(domain, args.subagent_max_steps)], out)
    print("subagent reward per step: " + ", ".join(f"{p['step']}:{p['reward']:.3f}"
                                                     for p in curve["points"]))
    summary: dict[str, Any] = {"domain": domain, "curve": curve, "output_dir": str(out),
                               "steps": int(trainer.state.global_step), "tasks": len(rows),
                               "system_prompt": rows[0]["prompt"][0]["content"]}
    trained = trainer.accelerator.unwrap_model(trainer.model)
    try:
        summary["check"] = grpo.verify_trained(trained, start, out, bool(args.lora_r))
    except NotTrained as exc:
        summary["check"] = {"changed": False, "error": str(exc)}
        Path(args.output_dir).mkdir(parents=True, exist_ok=True)
        (Path(args.output_dir) / "summary.json").write_text(json.dumps(
            {"trained": f"{domain} subagent (refused)", "subagent": summary}, indent=1))
        print(f"REFUSING to report a trained result: the {domain} subagent did not train "
              f"({exc}). Nothing was evaluated and the orchestrator was not trained; the "
              f"curve is in {curve['png']}.")
        raise SystemExit(UNTRAINED_EXIT) from exc
    print(f"subagent checked: {summary['check']}")
    trained.eval()
    if args.subagent_eval_n > 0:
        held_out = domain_rows(domain, split=args.subagent_eval_split,
                               n=args.subagent_eval_n, seed=args.seed,
                               system_prompt=args.subagent_system_prompt)
        table = {"trained": grpo.evaluate(trained, tokenizer, env_cls, held_out, args)}
        if args.lora_r:
            with trained.disable_adapter():
                table["base"] = grpo.evaluate(trained, tokenizer, env_cls, held_out, args)
        table["heuristic_subagent"] = heuristic_subagent_reference(domain, held_out)
        (out / "eval.json").write_text(json.dumps(table, indent=1))
        summary["eval"] = {k: {m: v for m, v in t.items() if m != "episodes"}
                           for k, t in table.items()}
        for name, t in summary["eval"].items():
            print(f"held-out {args.subagent_eval_split} ({t['n']} {domain} fact tasks) "
                  f"{name}: success {t['success_rate']:.2f}, score {t['score']:.3f}")
    return trained, tokenizer, summary


def env_class(args: argparse.Namespace, trained_subagent: Any = None) -> Any:
    """The orchestrator's environment class for these arguments; ``trained_subagent``
    (a ``ModelSubagent`` factory) answers for ``--train-subagent``'s domain."""
    from warroom.harness.hierarchy import parse_subagents
    from warroom.integrations.trl_hierarchy import make_hierarchy_env_class

    options: dict[str, Any] = {}
    if args.reward_config:
        from warroom.scoring.configs import get_config

        options["reward_config"] = get_config(args.reward_config).id
    if args.max_episode_steps:
        options["max_steps"] = args.max_episode_steps
    if args.sub_steps:
        options["sub_steps"] = args.sub_steps
    subagents = parse_subagents(args.subagents)
    if trained_subagent is not None:
        subagents = {**(subagents or {}), args.train_subagent: trained_subagent}
    return make_hierarchy_env_class(subagents=subagents, reward=args.reward,
                                    unfinished_reward=args.unfinished_reward, **options)


def heuristic_reference(env_cls: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The heuristic orchestrator over the same subagents on the held-out rows."""
    from warroom.agents.orch_base import make_orchestrator

    episodes = []
    for row in rows:
        env = env_cls()
        ep = env._episode = env._open(str(row["scenario"]))
        policy = make_orchestrator("heuristic")
        obs = ep.reset(int(row["seed"]))
        policy.reset(obs, ep.tools, int(row["seed"]), None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
        episodes.append({"scenario": row["scenario"], "reward": env.get_reward(),
                         "success": bool(ep.result["success"]),
                         "score": float(ep.result["score"]), "tool_calls": len(ep.top_trace)})
    n = len(episodes)
    return {"n": n, "success_rate": sum(e["success"] for e in episodes) / n,
            "score": sum(e["score"] for e in episodes) / n,
            "reward": sum(e["reward"] for e in episodes) / n, "finished": 1.0,
            "tool_calls": sum(e["tool_calls"] for e in episodes) / n, "episodes": episodes}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train (the subagent, then) the orchestrator, save, plot, verify, evaluate; returns
    the summary written to ``summary.json``."""
    args = parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOTrainer

    from warroom.integrations.trl_hierarchy import hierarchy_rows
    from warroom.tools.slices import READ_DOMAINS
    from warroom.train.datasets import to_dataset

    if args.per_device_batch % args.num_generations:
        raise SystemExit("--per-device-batch must be a multiple of --num-generations")
    if args.train_subagent is not None and args.train_subagent not in READ_DOMAINS:
        raise SystemExit(f"--train-subagent must be one of {', '.join(READ_DOMAINS)}")
    out = Path(args.output_dir)
    stage1: dict[str, Any] | None = None
    factory: Callable[[], ModelSubagent] | None = None
    if args.train_subagent:
        sub_model, sub_tok, stage1 = train_subagent(args)
        factory = functools.partial(ModelSubagent, sub_model, sub_tok, args.train_subagent,
                                    args.subagent_max_new_tokens,
                                    stage1["system_prompt"])
    rows = hierarchy_rows(split=args.split, tier=args.tier, n=args.n, seed=args.seed,
                          system_prompt=args.system_prompt)
    env_cls = env_class(args, factory)
    model, tokenizer = load_model(args)
    config = grpo_config(args, args.output_dir, args.max_steps)
    peft = peft_config(args)
    trainer = GRPOTrainer(model=model, args=config, train_dataset=to_dataset(rows),
                          processing_class=tokenizer, environment_factory=env_cls,
                          peft_config=peft)
    start = grpo.lora_state(trainer.model) if args.lora_r else grpo.fingerprint(trainer.model)
    over = args.subagents + (f" (trained {args.train_subagent})" if stage1 else "")
    print(f"orchestrator over {over} subagents: {len(rows)} rows, "
          f"{args.max_steps} steps, tools {', '.join(env_cls._tool_names)}, "
          f"reward={args.reward}, lora_r={args.lora_r}")
    trainer.train()
    trainer.save_model(args.output_dir)
    print(f"saved to {args.output_dir}")
    curve = grpo.write_curve(trainer.state.log_history, env_cls.__name__,
                             [(args.tier or "all", args.max_steps)], out)
    print("reward per step: " + ", ".join(f"{p['step']}:{p['reward']:.3f}"
                                            for p in curve["points"]))
    summary: dict[str, Any] = {"curve": curve, "output_dir": str(out),
                               "steps": int(trainer.state.global_step),
                               "subagents": args.subagents, "trained": "orchestrator"}
    if stage1 is not None:
        summary.update(trained=f"{args.train_subagent} subagent, then orchestrator",
                       subagent=stage1)
    trained = trainer.accelerator.unwrap_model(trainer.model)
    try:
        summary["check"] = grpo.verify_trained(trained, start, out, bool(args.lora_r))
    except NotTrained as exc:
        summary["check"] = {"changed": False, "error": str(exc)}
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        print(f"REFUSING to report a trained result: {exc}. Nothing was evaluated; the "
              f"curve is in {curve['png']}.")
        raise SystemExit(UNTRAINED_EXIT) from exc
    print(f"checked: {summary['check']}")
    if args.eval_n > 0:
        held_out = hierarchy_rows(split=args.eval_split, tier=args.eval_tier, n=args.eval_n,
                                  seed=args.seed, system_prompt=args.system_prompt)
        trained.eval()
        table = {"trained": grpo.evaluate(trained, tokenizer, env_cls, held_out, args)}
        if args.lora_r:
            with trained.disable_adapter():
                table["base"] = grpo.evaluate(trained, tokenizer, env_cls, held_out, args)
        table["heuristic_orchestrator"] = heuristic_reference(env_cls, held_out)
        (out / "eval.json").write_text(json.dumps(table, indent=1))
        summary["eval"] = {k: {m: v for m, v in t.items() if m != "episodes"}
                           for k, t in table.items()}
        for name, t in summary["eval"].items():
            print(f"held-out {args.eval_split} ({t['n']} scenarios) {name}: success "
                  f"{t['success_rate']:.2f}, score {t['score']:.3f}, reward "
                  f"{t['reward']:.3f}, finished {t['finished']:.2f}")
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
