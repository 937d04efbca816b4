"""Supervised fine-tuning on expert trajectories, then GRPO from the tuned weights.

1. ``warroom.train.sft.export_sft`` plays the train split with a scripted expert (oracle or
   heuristic) and writes chat-format JSONL with tool calls.
2. TRL's ``SFTTrainer`` tunes the model on it and saves model and tokenizer to
   ``OUT/sft``.
3. ``examples/train_grpo.py`` runs GRPO from ``OUT/sft`` (every GRPO option after ``--``
   is passed on), saving to ``OUT/grpo``.

    pip install 'warroom[train]'
    python examples/train_sft_then_grpo.py --model Qwen/Qwen3-1.7B --episodes 400 --bf16 \\
        --output-dir runs/sft-grpo -- --curriculum easy:100,medium:200 --lora-r 16 --bf16
    python examples/train_sft_then_grpo.py --tiny --episodes 2 --sft-steps 2 -- \\
        --max-steps 1 --num-generations 2 --per-device-batch 2 --grad-accum 1   # CPU smoke

GPU: as ``train_grpo.py`` (one >= 24 GB GPU for 0.5-3B models). ``--tiny`` uses a local,
randomly initialised model and learns nothing; it only exercises the code on a CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    argv = list(argv or [])
    grpo = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen3-1.7B", help="hub id or local path")
    p.add_argument("--tiny", action="store_true", help="random local model (CPU smoke run)")
    p.add_argument("--expert", choices=["oracle", "heuristic"], default="oracle")
    p.add_argument("--episodes", type=int, default=400, help="train scenarios to export")
    p.add_argument("--tier", choices=["easy", "medium", "hard"], default=None)
    p.add_argument("--sft-steps", type=int, default=200)
    p.add_argument("--sft-lr", type=float, default=1e-5)
    p.add_argument("--sft-batch", type=int, default=1)
    p.add_argument("--max-length", type=int, default=8192, help="SFT sequence length")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", default="runs/sft-grpo")
    return p.parse_args(own), grpo


def load_model(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.tiny:
        from warroom.train.tiny import build_model, build_tokenizer

        tok = build_tokenizer()
        return build_model(tok), tok
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.model)
    return AutoModelForCausalLM.from_pretrained(
        args.model, dtype="bfloat16" if args.bf16 else "auto"), tok


def sft(args: argparse.Namespace, out: Path) -> Path:
    """Export expert trajectories and tune on them; returns the saved model directory."""
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    from warroom.train.sft import export_sft

    data = out / "sft.jsonl"
    stats = export_sft(args.expert, split="train", n=args.episodes, out_path=data,
                       tier=args.tier, seed=args.seed)
    if not stats.get("written"):
        raise SystemExit(f"the expert solved none of the exported episodes: {stats}")
    print(f"SFT data: {stats}")
    model, tok = load_model(args)
    dataset = load_dataset("json", data_files=str(data), split="train")
    dataset = dataset.remove_columns([c for c in dataset.column_names
                                      if c not in ("messages", "tools")])
    config = SFTConfig(output_dir=str(out / "sft"), max_steps=args.sft_steps,
                       learning_rate=args.sft_lr, per_device_train_batch_size=args.sft_batch,
                       max_length=args.max_length, bf16=args.bf16, use_cpu=args.tiny,
                       logging_steps=1, save_strategy="no", report_to="none", seed=args.seed)
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset,
                         processing_class=tok)
    trainer.train()
    trainer.save_model(str(out / "sft"))
    tok.save_pretrained(str(out / "sft"))
    return out / "sft"


def grpo_example() -> Any:
    path = Path(__file__).with_name("train_grpo.py")
    spec = importlib.util.spec_from_file_location("train_grpo_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> None:
    args, grpo_args = parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tuned = sft(args, out)
    if not (tuned / "config.json").is_file():
        raise SystemExit(f"SFT did not save a model to {tuned}; refusing to run GRPO on "
                         f"anything else")
    grpo_example().main(["--model", str(tuned), "--output-dir", str(out / "grpo"),
                         "--seed", str(args.seed), *grpo_args])


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
