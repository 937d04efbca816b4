"""Train a tool-calling model on warroom incidents with TRL's GRPO.

Hardware: one GPU with >= 24 GB for a 0.5-3B model with LoRA (an H100 80 GB fits a 7B model
with LoRA and ``--use-vllm colocate``); several GPUs via ``accelerate launch``. The model must
have a tool-calling chat template TRL recognises (Qwen2.5/Qwen3 instruct, Llama 3.1/3.2, ...).

    pip install 'warroom[train]'            # + vllm for --use-vllm
    python examples/train_grpo.py --model Qwen/Qwen3-1.7B --curriculum easy:100,medium:200 \\
        --lora-r 16 --bf16 --use-vllm colocate --output-dir runs/grpo-qwen3-1.7b
    python examples/train_grpo.py --tiny --max-steps 2   # CPU smoke run, random tiny model

Rows come from ``warroom.train.datasets`` (a split, optionally one tier, or a curriculum that
moves easy -> medium -> hard after the given numbers of optimizer steps); the environment is
``warroom.train.grpo.make_env_class`` and the reward is the grader's, logged by TRL as
``rewards/WarroomEnv/mean``. Evaluate the result with ``warroom eval --policy llm`` against a
vLLM server of the saved model.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


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
    env.add_argument("--reward-config", default=None, help="named grader config")
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


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOConfig, GRPOTrainer

    from warroom.train.datasets import to_dataset
    from warroom.train.grpo import make_env_class

    if args.per_device_batch % args.num_generations:
        raise SystemExit("--per-device-batch must be a multiple of --num-generations")
    prompts_per_step = args.per_device_batch * args.grad_accum // args.num_generations
    rows = build_rows(args, prompts_per_step)
    options: dict[str, Any] = {}
    if args.reward_config:
        options["reward_config"] = args.reward_config
    if args.max_episode_steps:
        options["max_steps"] = args.max_episode_steps
    env_cls = make_env_class(tools=args.tools.split(",") if args.tools else None,
                             reward=args.reward, unfinished_reward=args.unfinished_reward,
                             **options)
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
    print(f"{len(rows)} rows, {args.max_steps} steps, {prompts_per_step} prompts/step, "
          f"{len(env_cls._tool_names)} tools, reward={args.reward}")
    trainer.train()
    trainer.save_model(args.output_dir)
    print(f"saved to {args.output_dir}")


if __name__ == "__main__":
    main()
