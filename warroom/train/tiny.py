"""A tiny, randomly initialised Qwen2-style model and tokenizer, built locally.

For smoke tests and CI of the training path where no model hub can be reached: a byte-level
BPE tokenizer trained in a second on warroom text (so every string round-trips exactly), the
Qwen chat template with tools that TRL ships, and a two-layer ``Qwen2ForCausalLM`` with random
weights. Nothing is downloaded. The model learns nothing useful; it only exercises the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>",
                  "<tool_response>", "</tool_response>", "<think>", "</think>"]


def qwen_chat_template() -> str:
    """The Qwen2.5 chat template with tool calling, as shipped (and recognised) by TRL."""
    from trl.chat_template_utils import qwen2_5_chat_template

    return str(qwen2_5_chat_template)


def corpus() -> list[str]:
    """Text the tokenizer is trained on: the system prompt and every tool's schema."""
    import json

    from ..agents.llm import default_system_prompt
    from ..tools.registry import schemas

    tools = schemas()
    return [default_system_prompt(), *(json.dumps(t) for t in tools),
            *(json.dumps(t["function"]) for t in tools),
            '<tool_call>\n{"name": "list_alerts", "arguments": {}}\n</tool_call>',
            "<|im_start|>system\n<|im_start|>user\n<|im_start|>assistant\n<|im_end|>\n"]


def build_tokenizer(texts: Iterable[str] | None = None, vocab_size: int = 1024) -> Any:
    """A byte-level BPE tokenizer with Qwen's special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(texts) if texts is not None else corpus(), trainer=trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                 pad_token="<|endoftext|>", padding_side="left",
                                 additional_special_tokens=SPECIAL_TOKENS[3:])
    hf.chat_template = qwen_chat_template()
    return hf


def build_model(tokenizer: Any, hidden_size: int = 32, layers: int = 2, seed: int = 0,
                max_positions: int = 32_768) -> Any:
    """A randomly initialised two-layer ``Qwen2ForCausalLM`` sized to the tokenizer."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=hidden_size,
                         intermediate_size=2 * hidden_size, num_hidden_layers=layers,
                         num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=max_positions, tie_word_embeddings=True,
                         bos_token_id=None, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
