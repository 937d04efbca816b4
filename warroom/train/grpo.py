"""The warroom environment for TRL's ``GRPOTrainer(environment_factory=...)``.

TRL makes one instance per rollout, calls ``reset(**row)`` with the dataset row, appends the
returned text (the incident page) to the prompt, exposes every public method as a tool (its
schema comes from the type hints and Google docstring), and calls ``get_reward()`` when the
rollout ends. Here each registry tool becomes such a method, generated from the registry, so
the tools are never written twice.

Observes: the incident page, then each tool's text output. Acts: any registry tool; a call
the episode rejects raises, so TRL shows the error to the model and counts it in
``tools/failure_frequency``. Reward: the grader's partial-credit ``score`` (or binary
``success``) once the report is submitted or the step budget runs out, multiplied by
``rogue_bonus`` when a rogue fleet agent was present and caught (paused or flagged);
``unfinished_reward`` if the model stopped calling tools before either. Ends: after
``submit_report``.

    >>> from warroom.train.grpo import WarroomEnv, make_env_class
    >>> trainer = GRPOTrainer(model, args=config, train_dataset=rows,
    ...                       environment_factory=WarroomEnv)
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

from ..tools.registry import READ, REGISTRY, ToolSpec, load_all
from ..types import ToolCall

Reward = Literal["score", "success"]
_SCALARS = (str, int, float, bool, type(None))
_FROM_SCHEMA: dict[str, Any] = {"string": str, "integer": int, "number": float,
                                "boolean": bool, "object": dict[str, Any], "array": list[Any]}


class ToolCallError(RuntimeError):
    """A call the episode rejected; TRL turns it into an ``{"error": ...}`` tool message."""


class WarroomToolEnv:
    """Base of the generated environment classes (see the module docstring)."""

    _tool_names: ClassVar[tuple[str, ...]] = ()
    _reward: ClassVar[Reward] = "score"
    _unfinished_reward: ClassVar[float] = 0.0
    _rogue_bonus: ClassVar[float] = 1.0
    _make_options: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        self._episode: Any = None
        self._row: dict[str, Any] = {}

    def reset(self, **row: Any) -> str:
        """Start the episode named by the row (``scenario`` and ``seed``); return the page."""
        scenario = row.get("scenario")
        if not scenario:
            raise ValueError(f"a warroom dataset row needs a 'scenario' column; got "
                             f"{sorted(row)}")
        seed = row.get("seed")
        self._row = row
        self._episode = self._open(str(scenario))
        return str(self._episode.reset(seed=None if seed is None else int(seed)).text)

    def _open(self, scenario: str) -> Any:
        """The episode of a row's scenario (a subclass may open another kind: one role of a
        team episode, say)."""
        import warroom

        return warroom.make(scenario, **self._make_options)

    def get_reward(self) -> float:
        """The grader's score (or success) for this rollout, times the rogue bonus if earned."""
        result = self._result()
        if result is None:
            return float(self._unfinished_reward)
        reward = float(_field(result, self._reward))
        return reward * self._rogue_bonus if caught_rogue(result) else reward

    def _result(self) -> Any:
        return None if self._episode is None else self._episode.result

    def _call(self, name: str, arguments: dict[str, Any]) -> str:
        if self._episode is None:
            raise RuntimeError("reset() must be called before any tool")
        if self._episode.done:
            raise ToolCallError("The episode is over: the report was submitted or the step "
                                "budget is spent. Stop calling tools.")
        res = self._episode.step(ToolCall(name, arguments))
        text = str(res.observation.text)
        if res.truncated:
            text += "\n[The step budget is spent: the episode is over.]"
        if not res.observation.ok:
            raise ToolCallError(text)
        return text


def caught_rogue(result: Any) -> bool:
    """Whether a rogue fleet agent was present in the episode and caught by the end."""
    metrics = _field(result, "metrics") or {}
    return bool(metrics.get("rogue_present")) and int(metrics.get("rogue_caught") or 0) > 0


def _field(result: Any, key: str) -> Any:
    return result[key] if isinstance(result, dict) else getattr(result, key)


def _plain(tp: Any) -> bool:
    """Whether transformers can turn this annotation into a JSON schema."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None:
        return tp in (*_SCALARS, list, dict, Any)
    if origin is Literal:
        return all(isinstance(a, _SCALARS) for a in args)
    if origin in (list, dict, typing.Union, types.UnionType):
        return all(a is Any or _plain(a) for a in args)
    return False


def _hint(annotation: Any, schema: dict[str, Any]) -> Any:
    if _plain(annotation):
        return annotation
    return _FROM_SCHEMA.get(str(schema.get("type")), Any)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def docstring(spec: ToolSpec) -> str:
    """A Google-style docstring for a tool, from its registry entry."""
    lines = [_one_line(spec.description) or spec.name]
    args = [(p.name, p.description) for p in spec.params]
    if spec.kind == READ:
        args.append(("page", "Page of a long output (default 1)."))
    if args:
        lines += ["", "Args:", *(f"    {n}: {_one_line(d) or n}" for n, d in args)]
    lines += ["", "Returns:", "    The tool's output, as the on-call engineer would see it."]
    return "\n".join(lines)


def tool_method(spec: ToolSpec) -> Callable[..., str]:
    """A method with the tool's signature, type hints and docstring that runs it."""

    ordered = sorted(spec.params, key=lambda p: not p.required)
    order = [p.name for p in ordered] + (["page"] if spec.kind == READ else [])

    def method(self: WarroomToolEnv, *args: Any, **arguments: Any) -> str:
        if len(args) > len(order):
            raise ToolCallError(f"{spec.name} takes at most {len(order)} arguments")
        return self._call(spec.name, {**dict(zip(order, args, strict=False)), **arguments})

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("self", kind)]
    hints: dict[str, Any] = {}
    for p in ordered:
        hints[p.name] = _hint(p.annotation, p.schema)
        default = inspect.Parameter.empty if p.required else p.default
        params.append(inspect.Parameter(p.name, kind, default=default, annotation=hints[p.name]))
    if spec.kind == READ:
        hints["page"] = int
        params.append(inspect.Parameter("page", kind, default=1, annotation=int))
    hints["return"] = str
    method.__name__ = method.__qualname__ = spec.name
    method.__doc__ = docstring(spec)
    method.__annotations__ = hints
    method.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    return method


def make_env_class(tools: Sequence[str] | None = None, reward: Reward = "score",
                   unfinished_reward: float = 0.0, name: str = "WarroomEnv",
                   rogue_bonus: float = 1.0, **make_options: Any) -> type[WarroomToolEnv]:
    """An environment class for ``environment_factory`` (a class is a zero-argument factory).

    Args:
        tools: registry tools to expose (default all); ``submit_report`` is always included.
        reward: ``score`` (partial credit) or ``success`` (0/1) from the grader.
        unfinished_reward: reward when the model stopped before the episode ended.
        name: class name; TRL logs the reward as ``rewards/<name>/mean``.
        rogue_bonus: multiplier on the reward of an episode where a rogue fleet agent was
            present and caught (1 leaves rewards as the grader gives them).
        make_options: passed to ``warroom.make`` (e.g. ``max_steps``, ``reward_config``).
    """
    if reward not in ("score", "success"):
        raise ValueError(f"reward must be 'score' or 'success', got {reward!r}")
    if rogue_bonus < 0:
        raise ValueError(f"rogue_bonus must be >= 0, got {rogue_bonus}")
    registry = load_all()
    names = list(registry) if tools is None else list(dict.fromkeys([*tools, "submit_report"]))
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown tool(s) {unknown}; valid: {sorted(registry)}")
    clash = [n for n in names if n.startswith("_") or hasattr(WarroomToolEnv, n)]
    if clash:
        raise ValueError(f"tool name(s) {clash} clash with the environment's own methods")
    body: dict[str, Any] = {n: tool_method(REGISTRY[n]) for n in names}
    body.update(_tool_names=tuple(names), _reward=reward,
                _unfinished_reward=float(unfinished_reward), _rogue_bonus=float(rogue_bonus),
                _make_options=dict(make_options),
                __module__=__name__, __qualname__=name, __doc__=WarroomToolEnv.__doc__)
    return type(name, (WarroomToolEnv,), body)


def __getattr__(attr: str) -> Any:
    """``WarroomEnv``: the default class (all tools, score reward), built on first use."""
    if attr == "WarroomEnv":
        cls = make_env_class()
        globals()["WarroomEnv"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
