"""The domain episode: one subagent's question about one domain of a world.

Observation: at reset, the question, the domain's title and its tool names; then each tool's
output as text plus data, exactly as in the incident ``Episode`` (same validation,
pagination and simulated clock). Actions: a call to one of the domain's tools (from
``warroom.tools.slices.DOMAINS``) or ``answer(text)``, which ends the episode. A tool outside
the domain, an unknown tool or bad arguments is an observation that counts as invalid;
nothing raises out of ``step``. The step budget truncates.

Two uses: a ``FactTask`` (its scenario's world is built on reset; the answer is graded by
exact facts and decoys, ``warroom.scoring.fact_grading``), or a live ``World`` shared with a
caller and a free question (the orchestrator's subagent call: calls cost simulated time on
that world and the write tools of ``operations`` change it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..scenarios.setup import start
from ..scoring.fact_grading import grade_answer
from ..tools.registry import ToolSpec, load_all
from ..tools.slices import DOMAINS
from ..types import Observation, StepResult, ToolCall, TraceStep
from ..world.telemetry import fmt
from ..world.world import World
from .episode import INVALID_COST_S, as_call, run_tool

if TYPE_CHECKING:
    from ..scenarios.fact_tasks import FactTask

ANSWER = "answer"
ANSWER_SCHEMA: dict[str, Any] = {"type": "function", "function": {
    "name": ANSWER,
    "description": "Give your final answer to the question (ends the episode). Name the "
                   "exact identifiers asked for; naming look-alikes that are not the answer "
                   "fails the task.",
    "parameters": {"type": "object", "properties": {
        "text": {"type": "string", "description": "The answer, with the exact identifiers."}},
        "required": ["text"], "additionalProperties": False}}}


class DomainEpisode:
    """One subagent's episode: a question about one domain of a world, answered with
    ``answer(text)`` (see the module docstring for the contract)."""

    def __init__(self, domain: str, *, task: FactTask | None = None, world: World | None = None,
                 question: str | None = None, step_budget: int = 12) -> None:
        if domain not in DOMAINS:
            raise KeyError(f"unknown domain {domain!r}; domains: {', '.join(DOMAINS)}")
        if (task is None) == (world is None):
            raise ValueError("give either a fact task or a live world (with a question)")
        if task is not None and task.domain != domain:
            raise ValueError(f"task {task.id} is a {task.domain} task, not {domain}")
        if world is not None and not question:
            raise ValueError("a live-world episode needs a question")
        load_all()
        self.domain = domain
        self.task = task
        self.question = task.question if task is not None else str(question)
        self.step_budget = task.step_budget if task is not None and step_budget == 12 \
            else step_budget
        self.specs: dict[str, ToolSpec] = {s.name: s for s in DOMAINS[domain].tools()}
        self.world: World | None = world
        self._live = world is not None
        self.seed = task.seed if task is not None else 0
        self.answer: str | None = None
        self.done = False
        self.truncated = False
        self.trace: list[TraceStep] = []
        self.result: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return self.task.id if self.task is not None else f"{self.domain}:live"

    @property
    def tools(self) -> list[dict[str, Any]]:
        """OpenAI function-calling schemas: the domain's tools, then ``answer``."""
        return [s.openai_schema() for s in self.specs.values()] + [ANSWER_SCHEMA]

    @property
    def tool_names(self) -> list[str]:
        return [*self.specs, ANSWER]

    def reset(self, seed: int | None = None) -> Observation:
        """Start the episode. A task episode builds its scenario's world (``seed`` other
        than the task's reopens the task on that seed); a live one keeps the shared world."""
        if self.task is not None:
            if seed is not None and int(seed) != self.task.seed:
                from ..scenarios.fact_templates import open_task

                self.task = open_task(self.task.id, seed=int(seed))
                self.question = self.task.question
            self.seed = self.task.seed
            self.world, _, _ = start(self.task.scenario, self.seed)
        self.trace = []
        self.answer = None
        self.done = self.truncated = False
        self.result = None
        data = {"question": self.question, "domain": self.domain, "tools": self.tool_names,
                "step_budget": self.step_budget, "time": self._clock()}
        return Observation(self.intro(), data, None, True, None, self._clock(), 0)

    def intro(self) -> str:
        d = DOMAINS[self.domain]
        return "\n".join([
            f"QUESTION ({self.domain}, {self._clock()}): {self.question}",
            f"You are the {self.domain} specialist. {d.title}.",
            f"Tools: {', '.join(self.tool_names)}.",
            f"Read what you need, then call answer(text) with the exact identifiers. "
            f"Budget: {self.step_budget} tool calls."])

    def _clock(self) -> str:
        assert self.world is not None
        return fmt.iso(self.world.wallclock(self.world.now))

    def step(self, call: ToolCall | dict[str, Any]) -> StepResult:
        if self.world is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            obs = Observation("The episode is over; call reset() to start another.", None,
                              None, False, "episode over", self._clock(), len(self.trace))
            return StepResult(obs, 0.0, True, self.truncated, {"invalid": True})
        tc, problem = as_call(call)
        text, data, ok, kind = "", None, False, "invalid"
        if problem is None and tc.name == ANSWER:
            problem = self._check_answer(tc)
            if problem is None:
                self.answer = str(tc.arguments["text"])
                text, data, ok, kind = "Answer recorded.", {"answer": self.answer}, True, ANSWER
        elif problem is None:
            spec = self.specs.get(tc.name)
            if spec is None:
                problem = self._outside(tc.name)
            else:
                text, data, ok, problem = run_tool(self.world, spec, tc)
                kind = spec.kind
        if problem is not None:
            text = f"ERROR: {problem}"
            kind = "invalid"
            self.world.advance(INVALID_COST_S)
        step = TraceStep(len(self.trace) + 1, tc, ok, text, self.world.now, kind)
        self.trace.append(step)
        info: dict[str, Any] = {"invalid": not ok}
        reward = 0.0
        if self.answer is not None:
            self.done = True
        elif len(self.trace) >= self.step_budget:
            self.done = self.truncated = True
        if self.done:
            self.result = self._grade()
            reward = float(self.result.get("score", 0.0))
            info["result"] = self.result
        step.reward = reward
        step.info = dict(info)
        obs = Observation(text, data, tc.name, ok, problem, self._clock(), len(self.trace))
        return StepResult(obs, reward, self.done and not self.truncated, self.truncated, info)

    def _check_answer(self, tc: ToolCall) -> str | None:
        args = tc.arguments
        extra = sorted(set(args) - {"text"})
        if extra:
            return f"answer: unknown argument(s) {', '.join(extra)}. Usage: answer(text: string)"
        if not isinstance(args.get("text"), str):
            return "answer: text must be a string. Usage: answer(text: string)"
        return None

    def _outside(self, name: str) -> str:
        registry = load_all()
        valid = ", ".join(self.tool_names)
        if name in registry:
            return f"tool {name!r} is not in the {self.domain} domain. Valid tools: {valid}"
        return f"unknown tool {name!r}. Valid tools: {valid}"

    def _grade(self) -> dict[str, Any]:
        base: dict[str, Any] = {"domain": self.domain, "answer": self.answer,
                                "steps": len(self.trace), "truncated": self.truncated,
                                "invalid_actions": sum(not s.ok for s in self.trace)}
        if self.task is None:
            return base
        graded = grade_answer(self.answer, self.task.facts, self.task.decoys,
                              steps=len(self.trace), optimal_steps=len(self.task.reads) + 1)
        return {"task": self.task.id, "template": self.task.template, **base, **graded}

    def finish(self) -> dict[str, Any]:
        """End the episode (without an answer if none was given) and grade it; for task
        episodes ``{success, score, facts_found, decoys_named, ...}``. Idempotent."""
        if self.world is None:
            raise RuntimeError("call reset() first")
        if not self.done:
            self.done = self.truncated = True
            self.result = self._grade()
        assert self.result is not None
        return self.result

    def state_hash(self) -> str:
        """sha256 of the world's canonical state (clock, state, events, logs)."""
        if self.world is None:
            raise RuntimeError("call reset() first")
        return self.world.state_hash()
