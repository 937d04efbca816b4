"""Expert trajectories as chat-format SFT data with tool calls.

Each JSONL line is one episode played by a scripted policy (oracle or heuristic)::

    {"messages": [system, user (incident page),
                  assistant {tool_calls: [{id, type: function, function: {name, arguments}}]},
                  tool {tool_call_id, name, content}, ...],
     "tools": [OpenAI tool schemas],
     "scenario": ..., "seed": ..., "policy": ..., "score": ..., "success": ..., "steps": ...}

``arguments`` are JSON objects, as Hugging Face chat templates expect; ``datasets`` loads them
as its ``Json`` type, and TRL's ``SFTTrainer`` trains on the file as is. The tool messages are
exactly the text the policy saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..types import ToolCall


def _field(result: Any, key: str, default: Any = None) -> Any:
    if result is None:
        return default
    return result.get(key, default) if isinstance(result, dict) else getattr(result, key, default)


def play(policy: Any, episode: Any, seed: int | None = None,
         system_prompt: str | None = None) -> dict[str, Any]:
    """Play one episode with a ready policy; return its SFT record."""
    from ..agents.llm import load_system_prompt

    obs = episode.reset(seed=seed)
    tools = episode.tools
    truths = episode.truths if getattr(policy, "needs_truth", False) else None
    policy.reset(obs, tools, int(episode.seed), truths=truths)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": load_system_prompt(system_prompt)},
        {"role": "user", "content": obs.text}]
    while not episode.done:
        call = policy.act(obs)
        if isinstance(call, dict):
            call = ToolCall(call["name"], call.get("arguments", {}))
        call_id = f"call_{len(messages) // 2}"
        messages.append({"role": "assistant", "content": "", "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": call.name, "arguments": dict(call.arguments)}}]})
        res = episode.step(call)
        obs = res.observation
        messages.append({"role": "tool", "tool_call_id": call_id, "name": call.name,
                         "content": obs.text})
    result = episode.result
    return {"messages": messages, "tools": tools, "scenario": episode.id,
            "seed": int(episode.seed), "policy": getattr(policy, "name", str(policy)),
            "score": float(_field(result, "score", 0.0)),
            "success": bool(_field(result, "success", False)),
            "steps": len(episode.trace)}


def export_sft(policy: str, split: str = "train", n: int | None = None,
               out_path: str | Path = "sft.jsonl", only_successful: bool = True,
               tier: str | None = None, seed: int = 0, system_prompt: str | None = None,
               policy_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Play the split's scenarios with a scripted policy and write SFT JSONL.

    Returns counts: ``episodes``, ``written``, ``skipped`` (unsuccessful, when
    ``only_successful``), ``mean_score`` and ``path``.
    """
    import warroom

    from ..agents import make_policy
    from ..scenarios import generate

    scenarios = generate(split=split, tier=tier, n=n, seed=seed)
    if not scenarios:
        raise ValueError(f"no scenarios for split={split!r} tier={tier!r}")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    scores = []
    with out.open("w", encoding="utf-8") as fh:
        for sc in scenarios:
            episode = warroom.make(sc)
            agent = make_policy(policy, **(policy_kwargs or {}))
            record = play(agent, episode, seed=sc.seed, system_prompt=system_prompt)
            scores.append(record["score"])
            if only_successful and not record["success"]:
                skipped += 1
                continue
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return {"episodes": len(scenarios), "written": written, "skipped": skipped,
            "mean_score": round(sum(scores) / len(scores), 4), "path": str(out)}


def load_sft(path: str | Path) -> Any:
    """The JSONL as a ``datasets.Dataset`` (the ``train`` extra)."""
    from datasets import load_dataset

    return load_dataset("json", data_files=str(path), split="train")
