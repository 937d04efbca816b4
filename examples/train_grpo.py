"""Train a tool-calling model on warroom incidents with TRL's GRPO.

Hardware: one GPU with >= 24 GB for a 0.5-3B model with LoRA (an H100 80 GB fits a 7B model
with LoRA and ``--use-vllm colocate``); several GPUs via ``accelerate launch``. The model must
have a tool-calling chat template TRL recognises (Qwen2.5/Qwen3 instruct, Llama 3.1/3.2, ...).

    pip install 'warroom[train]'            # + vllm for --use-vllm
    python examples/train_grpo.py --model Qwen/Qwen3-1.7B --curriculum easy:100,medium:200 \\
        --lora-r 16 --bf16 --use-vllm colocate --output-dir runs/grpo-qwen3-1.7b
    python examples/train_grpo.py --tiny --max-steps 2 --lora-r 4   # CPU smoke run: a random
    #   tiny model gets equal rewards, does not move, and the script refuses (exit 3)

Rows come from ``warroom.train.datasets`` (a split, optionally one tier, or a curriculum that
moves easy -> medium -> hard after the given numbers of optimizer steps); the environment is
``warroom.train.grpo.make_env_class`` and the reward is the grader's (``--reward-config``,
``--reward``, ``--rogue-bonus``), logged by TRL as ``rewards/WarroomEnv/mean``.

After training it writes ``learning_curve.png`` and ``curve.json`` (reward per optimizer
step, curriculum stages marked), then checks that what it trained is what it will evaluate:
with LoRA the model must be the PEFT-wrapped one, the saved adapter must hold the same
weights, those weights must differ from their initialisation and must change the model's
output; without LoRA the weights must differ from the starting ones. If any check fails it
exits with status 3 and reports no trained result (never a silent fallback to the base
model). Otherwise it plays ``--eval-n`` held-out scenarios (``--eval-split test``) greedily
with the trained model, and with the base model (adapter disabled) for comparison, and
writes ``eval.json``. The held-out rollouts parse Qwen/Hermes-style ``<tool_call>`` blocks.
For a vLLM-served evaluation use ``warroom eval --policy llm`` against the saved model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

UNTRAINED_EXIT = 3
TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen3-1.7B", help="hub id or local path")
    p.add_argument("--tiny", action="store_true",
                   help="use a tiny random local model instead of --model (CPU smoke run)")
    p.add_argument("--output-dir", default="runs/grpo")
    data = p.add_argument_group("data")
    data.add_argument("--split", default="train")
    data.add_argument("--tier", choices=["easy", "medium", "hard"], default=None)
    data.add_argument("--n", type=int, default=None, help="scenarios (default: all)")
    data.add_argument("--curriculum", default=None,
                      help="tier:steps stages, e.g. easy:100,medium:200,hard:200")
    data.add_argument("--seed", type=int, default=0)
    env = p.add_argument_group("environment and reward")
    env.add_argument("--reward", choices=["score", "success"], default="score",
                     help="partial-credit score or binary success from the grader")
    env.add_argument("--unfinished-reward", type=float, default=0.0,
                     help="reward when the model stops before submit_report")
    env.add_argument("--reward-config", default=None,
                     help="named grader config (standard, strict, binary, discounted)")
    env.add_argument("--rogue-bonus", type=float, default=1.0,
                     help="reward multiplier for episodes where a rogue fleet agent was "
                          "present and caught")
    env.add_argument("--max-episode-steps", type=int, default=None,
                     help="override the scenarios' step budgets")
    env.add_argument("--tools", default=None, help="comma-separated subset of tools")
    env.add_argument("--system-prompt", default=None, help="file replacing the default prompt")
    tr = p.add_argument_group("GRPO")
    tr.add_argument("--max-steps", type=int, default=500,
                    help="optimizer steps (with --curriculum: the sum of its stages)")
    tr.add_argument("--num-generations", type=int, default=8)
    tr.add_argument("--per-device-batch", type=int, default=8, help="completions per device")
    tr.add_argument("--grad-accum", type=int, default=4)
    tr.add_argument("--lr", type=float, default=1e-6)
    tr.add_argument("--beta", type=float, default=0.0, help="KL coefficient")
    tr.add_argument("--temperature", type=float, default=1.0)
    tr.add_argument("--max-completion-length", type=int, default=16384,
                    help="tokens over the whole multi-turn rollout, tool outputs included")
    tr.add_argument("--max-tool-iterations", type=int, default=40)
    tr.add_argument("--bf16", action="store_true")
    tr.add_argument("--gradient-checkpointing", action="store_true")
    tr.add_argument("--use-vllm", choices=["colocate", "server"], default=None)
    tr.add_argument("--vllm-gpu-memory", type=float, default=0.3)
    tr.add_argument("--logging-steps", type=int, default=1)
    tr.add_argument("--save-steps", type=int, default=100)
    tr.add_argument("--report-to", default="none", help="none, wandb, trackio, tensorboard")
    lora = p.add_argument_group("LoRA (peft)")
    lora.add_argument("--lora-r", type=int, default=0, help="rank; 0 trains all weights")
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


def build_rows(args: argparse.Namespace, prompts_per_step: int) -> list[dict[str, Any]]:
    """The training rows: a curriculum in order, or a split/tier selection."""
    from warroom.train.datasets import curriculum_rows, parse_schedule, scenario_rows

    if args.curriculum:
        stages = parse_schedule(args.curriculum)
        args.max_steps = sum(steps for _, steps in stages)
        return curriculum_rows(stages, prompts_per_step, split=args.split, seed=args.seed,
                               system_prompt=args.system_prompt)
    return scenario_rows(split=args.split, tier=args.tier, n=args.n, seed=args.seed,
                         system_prompt=args.system_prompt)


def load_model(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.tiny:
        from warroom.train.tiny import build_model, build_tokenizer

        tok = build_tokenizer()
        return build_model(tok), tok
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.model, padding_side="left")
    dtype = "bfloat16" if args.bf16 else "auto"
    return AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype), tok


class NotTrained(RuntimeError):
    """What was trained is not what would be evaluated (or it did not move at all)."""


def lora_state(model: Any) -> dict[str, Any]:
    """The adapter's weights (as PEFT saves them), detached copies on the CPU."""
    from peft import get_peft_model_state_dict

    return {k: v.detach().float().cpu().clone()
            for k, v in get_peft_model_state_dict(model).items()}


def fingerprint(model: Any) -> list[float]:
    """A cheap signature of every trainable weight (sums), to see whether training moved it."""
    return [float(p.detach().double().sum()) for p in model.parameters() if p.requires_grad]


def verify_trained(model: Any, start: Any, output_dir: Path, lora: bool) -> dict[str, Any]:
    """Check that the model to evaluate is the trained one; raise ``NotTrained`` if not."""
    import torch

    if not lora:
        if not any((output_dir / f).is_file() for f in ("model.safetensors",
                                                         "model.safetensors.index.json")):
            raise NotTrained(f"no saved model in {output_dir}")
        if fingerprint(model) == start:
            raise NotTrained("the weights are identical to the starting weights")
        return {"kind": "full", "changed": True}
    from peft import PeftModel
    from safetensors.torch import load_file

    if not isinstance(model, PeftModel):
        raise NotTrained(f"LoRA was asked for but the trained model is a "
                         f"{type(model).__name__}, not a PEFT model")
    now = lora_state(model)
    if not now:
        raise NotTrained("the PEFT model holds no adapter weights")
    saved_path = output_dir / "adapter_model.safetensors"
    if not saved_path.is_file():
        raise NotTrained(f"no saved adapter at {saved_path}")
    saved = load_file(str(saved_path))
    if set(saved) != set(now) or any(not torch.equal(saved[k].float(), now[k]) for k in now):
        raise NotTrained(f"the adapter saved in {saved_path} is not the one in the model")
    moved = [k for k in now if not torch.equal(now[k], start[k])]
    if not moved:
        raise NotTrained("every adapter weight is identical to its initialisation")
    probe = torch.arange(1, 17, device=model.device).unsqueeze(0)
    with torch.no_grad():
        tuned = model(input_ids=probe).logits
        with model.disable_adapter():
            base = model(input_ids=probe).logits
    delta = float((tuned - base).abs().max())
    if delta == 0.0:
        raise NotTrained("the adapter does not change the model's output")
    return {"kind": "lora", "changed": True, "weights": len(now), "moved": len(moved),
            "max_logit_delta": delta}


def parse_calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Hermes/Qwen ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks."""
    calls = []
    for raw in TOOL_CALL.findall(text):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            args = data.get("arguments") or {}
            calls.append((data["name"], args if isinstance(args, dict) else {}))
    return calls


def rollout(model: Any, tokenizer: Any, env_cls: Any, row: dict[str, Any], max_turns: int,
            max_tokens: int, per_turn: int) -> dict[str, Any]:
    """One greedy multi-turn episode of the model on the environment, as TRL plays it."""
    import torch

    env = env_cls()
    page = env.reset(**row)
    messages = [dict(m) for m in row["prompt"]]
    messages[-1]["content"] = (messages[-1]["content"] + page) if messages[-1][
        "content"] else page
    tools = [getattr(env, n) for n in env._tool_names]
    used, calls, errors = 0, 0, 0
    for _ in range(max_turns):
        ids = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                            return_tensors="pt", return_dict=True)
        budget = min(per_turn, max_tokens - used)
        if budget <= 0:
            break
        with torch.no_grad():
            out = model.generate(input_ids=ids["input_ids"].to(model.device),
                                 attention_mask=ids["attention_mask"].to(model.device),
                                 max_new_tokens=budget, do_sample=False)
        new = out[0, ids["input_ids"].shape[1]:]
        used += int(new.shape[0])
        text = tokenizer.decode(new, skip_special_tokens=False)
        text = text.split(tokenizer.eos_token)[0] if tokenizer.eos_token else text
        found = parse_calls(text)
        if not found:
            break
        messages.append({"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": n, "arguments": a}} for n, a in found]})
        for name, args in found:
            calls += 1
            try:
                if name not in env._tool_names:
                    raise ValueError(f"unknown tool {name!r}")
                reply = str(getattr(env, name)(**args))
            except Exception as exc:  # the model sees the error, as under TRL
                errors += 1
                reply = json.dumps({"error": str(exc)})
            messages.append({"role": "tool", "name": name, "content": reply})
        if env._episode.done:
            break
    result = env._result()
    return {"scenario": row["scenario"], "tier": row.get("tier"), "reward": env.get_reward(),
            "success": bool(result and result["success"]),
            "score": float(result["score"]) if result else 0.0,
            "finished": result is not None, "tool_calls": calls, "tool_errors": errors}


def evaluate(model: Any, tokenizer: Any, env_cls: Any, rows: list[dict[str, Any]],
             args: argparse.Namespace) -> dict[str, Any]:
    """Mean success, score and reward of greedy rollouts over held-out rows."""
    per_turn = min(args.eval_max_new_tokens, args.max_completion_length)
    episodes = [rollout(model, tokenizer, env_cls, r, args.max_tool_iterations,
                        args.max_completion_length, per_turn) for r in rows]
    n = len(episodes)
    return {"n": n, "success_rate": sum(e["success"] for e in episodes) / n,
            "score": sum(e["score"] for e in episodes) / n,
            "reward": sum(e["reward"] for e in episodes) / n,
            "finished": sum(e["finished"] for e in episodes) / n,
            "tool_calls": sum(e["tool_calls"] for e in episodes) / n, "episodes": episodes}


def write_curve(history: list[dict[str, Any]], env_name: str, stages: list[tuple[str, int]],
                out: Path) -> dict[str, Any]:
    """Reward per optimizer step from TRL's log: ``curve.json`` and ``learning_curve.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = f"rewards/{env_name}/mean"
    points = [{"step": int(h["step"]), "reward": float(h[key]),
               "reward_std": float(h.get("reward_std", 0.0)),
               "tool_calls": float(h.get("tools/call_frequency", 0.0))}
              for h in history if key in h]
    curve = {"metric": key, "points": points, "stages": [list(s) for s in stages]}
    (out / "curve.json").write_text(json.dumps(curve, indent=1))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([p["step"] for p in points], [p["reward"] for p in points], marker="o")
    edge = 0
    for tier, steps in stages:
        ax.axvline(edge + 0.5, color="grey", lw=0.6, ls="--")
        ax.text(edge + 0.6, 1.0, tier, fontsize=8, va="top",
                transform=ax.get_xaxis_transform())
        edge += steps
    ax.set(xlabel="optimizer step", ylabel="mean reward", title="GRPO on warroom")
    fig.tight_layout()
    fig.savefig(out / "learning_curve.png", dpi=110)
    plt.close(fig)
    curve["png"] = str(out / "learning_curve.png")
    return curve


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, save, plot, verify, evaluate; returns the summary written to ``summary.json``."""
    args = parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOConfig, GRPOTrainer

    from warroom.train.datasets import parse_schedule, scenario_rows, to_dataset
    from warroom.train.grpo import make_env_class

    if args.per_device_batch % args.num_generations:
        raise SystemExit("--per-device-batch must be a multiple of --num-generations")
    out = Path(args.output_dir)
    prompts_per_step = args.per_device_batch * args.grad_accum // args.num_generations
    rows = build_rows(args, prompts_per_step)
    stages = parse_schedule(args.curriculum) if args.curriculum else [
        (args.tier or "all", args.max_steps)]
    options: dict[str, Any] = {}
    if args.reward_config:
        from warroom.scoring.configs import get_config

        options["reward_config"] = get_config(args.reward_config).id
    if args.max_episode_steps:
        options["max_steps"] = args.max_episode_steps
    env_cls = make_env_class(tools=args.tools.split(",") if args.tools else None,
                             reward=args.reward, unfinished_reward=args.unfinished_reward,
                             rogue_bonus=args.rogue_bonus, **options)
    model, tokenizer = load_model(args)
    peft_config = None
    if args.lora_r:
        from peft import LoraConfig

        peft_config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha,
                                 lora_dropout=args.lora_dropout, task_type="CAUSAL_LM",
                                 target_modules=args.lora_targets.split(","))
    vllm: dict[str, Any] = {}
    if args.use_vllm:
        vllm = {"use_vllm": True, "vllm_mode": args.use_vllm}
        if args.use_vllm == "colocate":
            vllm["vllm_gpu_memory_utilization"] = args.vllm_gpu_memory
    config = GRPOConfig(
        output_dir=args.output_dir, max_steps=args.max_steps, learning_rate=args.lr,
        per_device_train_batch_size=args.per_device_batch,
        gradient_accumulation_steps=args.grad_accum, num_generations=args.num_generations,
        max_completion_length=args.max_completion_length,
        max_tool_calling_iterations=args.max_tool_iterations, beta=args.beta,
        temperature=args.temperature, bf16=args.bf16,
        gradient_checkpointing=args.gradient_checkpointing,
        shuffle_dataset=not args.curriculum, logging_steps=args.logging_steps,
        save_steps=args.save_steps, report_to=args.report_to, seed=args.seed,
        use_cpu=args.tiny, **vllm)
    trainer = GRPOTrainer(model=model, args=config, train_dataset=to_dataset(rows),
                          processing_class=tokenizer, environment_factory=env_cls,
                          peft_config=peft_config)
    start = lora_state(trainer.model) if args.lora_r else fingerprint(trainer.model)
    print(f"{len(rows)} rows, {args.max_steps} steps, {prompts_per_step} prompts/step, "
          f"{len(env_cls._tool_names)} tools, reward={args.reward}, "
          f"reward_config={options.get('reward_config', 'standard')}, "
          f"rogue_bonus={args.rogue_bonus}, lora_r={args.lora_r}")
    trainer.train()
    trainer.save_model(args.output_dir)
    print(f"saved to {args.output_dir}")
    curve = write_curve(trainer.state.log_history, env_cls.__name__, stages, out)
    print("reward per step: " + ", ".join(f"{p['step']}:{p['reward']:.3f}"
                                            for p in curve["points"]))
    summary: dict[str, Any] = {"curve": curve, "output_dir": str(out),
                               "steps": int(trainer.state.global_step)}
    trained = trainer.accelerator.unwrap_model(trainer.model)
    try:
        summary["check"] = verify_trained(trained, start, out, bool(args.lora_r))
    except NotTrained as exc:
        summary["check"] = {"changed": False, "error": str(exc)}
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        print(f"REFUSING to report a trained result: {exc}. Nothing was evaluated; the "
              f"curve is in {curve['png']}.")
        raise SystemExit(UNTRAINED_EXIT) from exc
    print(f"checked: {summary['check']}")
    if args.eval_n > 0:
        held_out = scenario_rows(split=args.eval_split, tier=args.eval_tier, n=args.eval_n,
                                 seed=args.seed, system_prompt=args.system_prompt)
        trained.eval()
        table = {"trained": evaluate(trained, tokenizer, env_cls, held_out, args)}
        if args.lora_r:
            with trained.disable_adapter():
                table["base"] = evaluate(trained, tokenizer, env_cls, held_out, args)
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
