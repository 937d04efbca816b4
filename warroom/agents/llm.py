"""A language-model agent behind any OpenAI-compatible chat-completions endpoint.

Works with vLLM, Ollama, llama.cpp's server, SGLang and hosted APIs through the official
``openai`` client (the ``llm`` extra). Two ways to act:

- ``native``: the registry's tool schemas go in ``tools=`` and the model answers with
  ``tool_calls``; several calls in one turn are played one per step, in order.
- ``react``: the tools are described in the system prompt and the model writes
  ``Action:`` / ``Action Input:`` text (see ``react.py``).

A malformed action (bad JSON, unknown tool, plain text, several ReAct actions) is answered with
an observation that says what was wrong, and the model is asked again; past
``max_format_errors`` such retries in a row the policy raises ``LLMActionError``. Endpoint
failures are never hidden: 429, 5xx, timeouts and connection errors are retried with
exponential back-off (honouring ``Retry-After``), then raise ``LLMEndpointError`` with what was
tried; other 4xx errors raise at once. Old observations are trimmed to fit a context budget;
the system prompt and the incident page never are. Tokens, latency, retries and cost are kept
per step and per episode.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..types import Observation, ToolCall
from ..world.faults import Truth
from . import react
from .base import Policy, register_policy

ToolMode = Literal["native", "react"]
USAGE_KEYS = ("steps", "calls", "tokens_in", "tokens_out", "latency_s", "retries",
              "format_errors", "trimmed")
TRIMMED = "[observation trimmed to fit the context budget; call the tool again if needed]"


class LLMEndpointError(RuntimeError):
    """The endpoint could not be reached or refused the request; the message says which."""


class LLMActionError(RuntimeError):
    """The model kept producing malformed actions past ``max_format_errors`` retries."""


def default_system_prompt() -> str:
    """The packaged system prompt (``warroom/agents/prompts/system.md``)."""
    return resources.files("warroom.agents").joinpath("prompts/system.md").read_text("utf-8")


def load_system_prompt(prompt: str | Path | None) -> str:
    """``None`` gives the default; a path (an existing file, or one-line text ending in .md or
    .txt) is read, and a missing file is an error; any other text is the prompt itself."""
    if prompt is None:
        return default_system_prompt()
    text = str(prompt)
    looks_like_path = "\n" not in text and len(text) < 1024 and (
        Path(text).suffix in (".md", ".txt") or Path(text).is_file())
    if isinstance(prompt, Path) or looks_like_path:
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"system prompt file not found: {path}")
        return path.read_text("utf-8")
    return text


@dataclass
class StepUsage:
    """What one action cost: model calls, tokens, wall time, retries and malformed replies."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    retries: int = 0
    format_errors: int = 0
    trimmed: int = 0
    cost_usd: float | None = None


@register_policy("llm")
class LLMPolicy(Policy):
    """Drives an OpenAI-compatible model through an episode, one tool call per step.

    Args:
        model: model name as the endpoint knows it.
        base_url: endpoint root, e.g. ``http://localhost:8000/v1`` (default: the client's,
            which reads ``OPENAI_BASE_URL``).
        api_key_env: environment variable holding the API key. Unset variable: an error when
            named explicitly; otherwise ``OPENAI_API_KEY`` or, for a ``base_url``, ``"EMPTY"``.
        tool_mode: ``native`` tool calls or ``react`` text actions.
        system_prompt: a file path or the prompt text (default: ``prompts/system.md``).
        temperature, max_tokens, seed_requests: sampling settings sent with each request.
        timeout_s: per-request timeout; max_retries: retries on 429/5xx/timeouts/connection.
        backoff_s, backoff_max_s: first and largest back-off delay.
        context_tokens: prompt budget (estimated from characters, calibrated on real counts).
        keep_last: observations always kept whole, besides the incident page.
        price_in, price_out: USD per million input/output tokens, for cost accounting.
        max_format_errors: malformed replies tolerated in a row; one more raises
            ``LLMActionError``.
        extra_body: extra JSON fields for the request (e.g. vLLM sampling options).
        client: a ready ``openai.OpenAI``-like client (tests); sleep: back-off sleeper.
    """

    name = "llm"

    def __init__(self, model: str, base_url: str | None = None, api_key_env: str | None = None,
                 tool_mode: ToolMode = "native", system_prompt: str | Path | None = None,
                 temperature: float = 0.0, max_tokens: int | None = 1024,
                 seed_requests: bool = True, timeout_s: float = 120.0, max_retries: int = 4,
                 backoff_s: float = 1.0, backoff_max_s: float = 30.0,
                 context_tokens: int = 32_000, keep_last: int = 2,
                 price_in: float | None = None, price_out: float | None = None,
                 max_format_errors: int = 3, extra_body: dict[str, Any] | None = None,
                 client: Any = None, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        if tool_mode not in ("native", "react"):
            raise ValueError(f"tool_mode must be 'native' or 'react', got {tool_mode!r}")
        if not model:
            raise ValueError("an LLM policy needs a model name (--model)")
        self.model, self.base_url, self.tool_mode = model, base_url, tool_mode
        self.system_prompt = load_system_prompt(system_prompt)
        self.temperature, self.max_tokens, self.seed_requests = (temperature, max_tokens,
                                                                 seed_requests)
        self.timeout_s, self.max_retries = timeout_s, max_retries
        self.backoff_s, self.backoff_max_s = backoff_s, backoff_max_s
        self.context_tokens, self.keep_last = context_tokens, keep_last
        self.price_in, self.price_out = price_in, price_out
        self.max_format_errors, self.extra_body = max_format_errors, extra_body
        self._sleep = sleep
        self._client = client if client is not None else self._make_client(api_key_env)
        self.name = f"llm:{model}" + (":react" if tool_mode == "react" else "")
        self._reset_state([], 0)

    # -- setup -------------------------------------------------------------------------------

    def _make_client(self, api_key_env: str | None) -> Any:
        try:
            import openai
        except ImportError as exc:
            raise ImportError("the llm policy needs the openai client: "
                              "pip install 'warroom[llm]'") from exc
        if api_key_env is not None:
            key = os.environ.get(api_key_env)
            if not key:
                raise LLMEndpointError(f"environment variable {api_key_env} (--api-key-env) "
                                       "is not set")
        else:
            key = os.environ.get("OPENAI_API_KEY") or ("EMPTY" if self.base_url else None)
            if key is None:
                raise LLMEndpointError("no API key: set OPENAI_API_KEY, name another variable "
                                       "with --api-key-env, or give --base-url for a local "
                                       "server")
        return openai.OpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout_s,
                             max_retries=0)

    def _reset_state(self, tools: list[dict[str, Any]], seed: int) -> None:
        self.tools = tools
        self.tool_names = [t.get("function", t)["name"] for t in tools]
        self.messages: list[dict[str, Any]] = []
        self._observation_idx: list[int] = []
        self._queue: list[tuple[str, ToolCall]] = []
        self._awaiting: str | None = None
        self._chars_per_token = 3.5
        self._rng = random.Random(seed)
        self._seed = seed
        self._next_id = 0
        self.step_usage: list[StepUsage] = []
        self.usage = {key: 0 for key in USAGE_KEYS}
        self.usage["latency_s"] = 0.0
        if self.priced:
            self.usage["cost_usd"] = 0.0

    def check_endpoint(self) -> list[str]:
        """List the endpoint's models, raising ``LLMEndpointError`` if it cannot be reached or
        does not serve ``model``; harnesses call this once before a batch to fail fast."""
        try:
            names = [m.id for m in self._client.models.list()]
        except Exception as exc:  # the client raises many transport types; all mean "down"
            raise LLMEndpointError(f"cannot list models at {self._where()}: {exc}") from exc
        if names and self.model not in names:
            raise LLMEndpointError(f"model {self.model!r} is not served at {self._where()}; "
                                   f"available: {', '.join(names[:10])}")
        return names

    def _where(self) -> str:
        return self.base_url or "the default OpenAI endpoint"

    # -- the policy interface ----------------------------------------------------------------

    @property
    def priced(self) -> bool:
        """Whether prices were given, so ``usage`` carries ``cost_usd``."""
        return self.price_in is not None or self.price_out is not None

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        """Start an episode: system prompt (plus the ReAct tool list) and the incident page.
        The ground truth is never given to a model (``needs_truth`` is false)."""
        self._reset_state(tools, seed)
        system = self.system_prompt
        if self.tool_mode == "react":
            system = f"{system.rstrip()}\n\n{react.render_instructions(tools)}"
        self.messages = [{"role": "system", "content": system},
                         {"role": "user", "content": observation.text}]

    def act(self, observation: Observation) -> ToolCall:
        """Record the last observation, then return the next tool call from the model."""
        step = StepUsage()
        try:
            if self._awaiting is not None:
                self._add_observation(self._awaiting, observation.text)
                self._awaiting = None
            if self._queue:
                call_id, queued = self._queue.pop(0)
                self._awaiting = call_id
                return queued
            for _ in range(self.max_format_errors + 1):
                message = self._complete(step)
                call = (self._take_native(message, step) if self.tool_mode == "native"
                        else self._take_react(message, step))
                if call is not None:
                    return call
            raise LLMActionError(f"{self.model} gave {step.format_errors} malformed replies in "
                                 "a row; the last problem is in the transcript (policy.messages)")
        finally:
            self._account(step)

    # -- turning replies into calls ----------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 1
        return f"call_{self._next_id}"

    def _take_native(self, message: Any, step: StepUsage) -> ToolCall | None:
        raw_calls = list(getattr(message, "tool_calls", None) or [])
        content = getattr(message, "content", None) or ""
        if not raw_calls:
            self.messages.append({"role": "assistant", "content": content})
            finish = ("know the answer, call answer with the exact identifiers"
                      if react.answers(self.tool_names)
                      else "know the root cause and have fixed it, call submit_report")
            self.messages.append({"role": "user", "content": (
                f"No tool was called. Call exactly one of the provided tools; when you {finish}.")})
            step.format_errors += 1
            return None
        parsed: list[tuple[str, ToolCall | None, str | None]] = []
        wire = []
        for rc in raw_calls:
            call_id = getattr(rc, "id", None) or self._new_id()
            name, raw_args = rc.function.name, rc.function.arguments
            call, error = self._native_call(name, raw_args)
            parsed.append((call_id, call, error))
            wire.append({"id": call_id, "type": "function",
                         "function": {"name": name, "arguments": raw_args or "{}"}})
        self.messages.append({"role": "assistant", "content": content, "tool_calls": wire})
        if any(error for _, _, error in parsed):
            step.format_errors += 1
            for call_id, _, error in parsed:
                text = error or "Not run: another call in the same turn was malformed."
                self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
            return None
        self._queue = [(call_id, call) for call_id, call, _ in parsed if call is not None]
        call_id, first = self._queue.pop(0)
        self._awaiting = call_id
        return first

    def _native_call(self, name: str, raw_args: Any) -> tuple[ToolCall | None, str | None]:
        if name not in self.tool_names:
            close = react._suggest(name, self.tool_names)
            return None, f"Unknown tool {name!r}.{close} Use one of the provided tools."
        if isinstance(raw_args, dict):
            return ToolCall(name, raw_args), None
        try:
            args = json.loads(raw_args) if raw_args and raw_args.strip() else {}
        except json.JSONDecodeError as exc:
            return None, (f"The arguments of {name} are not valid JSON ({exc.msg} at character "
                          f"{exc.pos}); send one JSON object.")
        if not isinstance(args, dict):
            return None, f"The arguments of {name} must be a JSON object."
        return ToolCall(name, args), None

    def _take_react(self, message: Any, step: StepUsage) -> ToolCall | None:
        text = getattr(message, "content", None) or ""
        parsed = react.parse_action(text, self.tool_names)
        cut = text.split("\nObservation:")[0].rstrip()
        self.messages.append({"role": "assistant", "content": cut})
        if parsed.call is None:
            step.format_errors += 1
            self.messages.append({"role": "user", "content": f"Observation: {parsed.error}"})
            return None
        self._awaiting = self._new_id()
        return parsed.call

    def _add_observation(self, call_id: str, text: str) -> None:
        self._observation_idx.append(len(self.messages))
        if self.tool_mode == "native":
            self.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        else:
            self.messages.append({"role": "user", "content": f"Observation: {text}"})

    # -- context budget ----------------------------------------------------------------------

    def _prompt_chars(self) -> int:
        chars = sum(len(m.get("content") or "") + len(json.dumps(m.get("tool_calls", "")))
                    for m in self.messages)
        return chars + (len(json.dumps(self.tools)) if self.tool_mode == "native" else 0)

    def _fit_context(self, step: StepUsage) -> None:
        """Trim the oldest observations (never the system prompt or the incident page)."""
        budget = self.context_tokens * self._chars_per_token
        trimmable = self._observation_idx[:-self.keep_last] if self.keep_last else \
            list(self._observation_idx)
        for i in trimmable:
            if self._prompt_chars() <= budget:
                return
            msg = self.messages[i]
            if msg["content"] in (TRIMMED, f"Observation: {TRIMMED}"):
                continue
            msg["content"] = TRIMMED if msg["role"] == "tool" else f"Observation: {TRIMMED}"
            step.trimmed += 1

    # -- the request, with retries -----------------------------------------------------------

    def _request(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model, "messages": self.messages,
                                  "temperature": self.temperature}
        if self.max_tokens is not None:
            kwargs["max_tokens"] = self.max_tokens
        if self.seed_requests:
            kwargs["seed"] = self._seed % 2**31
        if self.tool_mode == "native":
            kwargs["tools"] = self.tools
        else:
            kwargs["stop"] = react.STOP
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        return kwargs

    def _complete(self, step: StepUsage) -> Any:
        """One chat completion; returns the assistant message."""
        import openai

        self._fit_context(step)
        sent_chars = self._prompt_chars()
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                step.retries += 1
                self._sleep(self._delay(attempt, last))
            t0 = time.perf_counter()
            try:
                resp = self._client.chat.completions.create(**self._request())
            except (openai.RateLimitError, openai.InternalServerError,
                    openai.APIConnectionError) as exc:
                step.latency_s += time.perf_counter() - t0
                last = exc
                continue
            except openai.APIStatusError as exc:
                step.latency_s += time.perf_counter() - t0
                if exc.status_code in (408, 409):
                    last = exc
                    continue
                raise LLMEndpointError(self._refusal(exc)) from exc
            step.latency_s += time.perf_counter() - t0
            return self._message(resp, step, sent_chars)
        raise LLMEndpointError(self._gave_up(last)) from last

    def _delay(self, attempt: int, error: Exception | None) -> float:
        headers = getattr(getattr(error, "response", None), "headers", None) or {}
        for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            try:
                return min(float(headers[header]) * scale, self.backoff_max_s)
            except (KeyError, TypeError, ValueError):
                pass
        base = min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s)
        return base * (0.75 + 0.25 * self._rng.random())

    def _refusal(self, exc: Any) -> str:
        what = {401: "authentication failed (check the API key)",
                403: "permission denied", 404: f"model {self.model!r} or path not found"}
        reason = what.get(exc.status_code, "the request was rejected")
        return f"{self._where()}: HTTP {exc.status_code}: {reason}: {exc.message}"

    def _gave_up(self, exc: Exception | None) -> str:
        import openai

        tries = self.max_retries + 1
        if isinstance(exc, openai.APITimeoutError):
            why = f"timed out after {self.timeout_s:g}s"
        elif isinstance(exc, openai.APIConnectionError):
            why = "could not connect (is the server running, and is --base-url right?)"
        elif isinstance(exc, openai.APIStatusError):
            why = f"HTTP {exc.status_code}: {exc.message}"
        else:
            why = str(exc)
        return f"{self._where()} (model {self.model}): {why}; gave up after {tries} attempt(s)"

    def _message(self, resp: Any, step: StepUsage, sent_chars: int) -> Any:
        choices = getattr(resp, "choices", None)
        if not choices:
            raise LLMEndpointError(f"{self._where()}: the response has no choices: {resp!r}")
        step.calls += 1
        usage = getattr(resp, "usage", None)
        if usage is not None:
            tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
            step.tokens_in += tokens_in
            step.tokens_out += int(getattr(usage, "completion_tokens", 0) or 0)
            if tokens_in > 0:
                self._chars_per_token = max(1.0, sent_chars / tokens_in)
        return choices[0].message

    # -- accounting --------------------------------------------------------------------------

    def _account(self, step: StepUsage) -> None:
        if self.priced:
            step.cost_usd = (step.tokens_in * (self.price_in or 0.0)
                             + step.tokens_out * (self.price_out or 0.0)) / 1e6
        self.step_usage.append(step)
        u = self.usage
        u["steps"] += 1
        for key in USAGE_KEYS[1:]:
            u[key] += getattr(step, key)
        if step.cost_usd is not None:
            u["cost_usd"] = u.get("cost_usd", 0.0) + step.cost_usd

    def last_step_usage(self) -> dict[str, Any]:
        """Usage of the most recent ``act`` as a plain dict (for the trace)."""
        return asdict(self.step_usage[-1]) if self.step_usage else asdict(StepUsage())
