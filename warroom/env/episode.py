"""The Episode: one incident, from the page to the report.

Observation: the incident page at reset (firing alerts with their start times and the
affected SLOs, never a hint of the cause), then each tool's output as text plus data.
Actions: ``ToolCall(name, arguments)`` for any registry tool. Every call costs simulated
time (reads seconds, writes minutes). Bad calls return an observation that says what was
wrong and count as invalid actions; nothing raises out of ``step``.
Ends when the agent calls ``submit_report`` (done) or the step budget runs out
(truncated). Scoring is done by the grader (``warroom.scoring``) from the trace and state.
"""

from __future__ import annotations

import json
from typing import Any

from ..scenarios.setup import start
from ..scenarios.spec import Scenario
from ..tools.registry import (
    FINAL,
    REGISTRY,
    WRITE,
    ToolError,
    ToolSpec,
    load_all,
    paginate,
    validate,
)
from ..types import Observation, StepResult, ToolCall, TraceStep
from ..world.alerts import active_alerts
from ..world.faults import Truth
from ..world.telemetry import fmt
from ..world.world import World

INVALID_COST_S = 2.0


class Episode:
    """One incident episode of a scenario (see module docstring for the contract)."""

    def __init__(self, scenario: Scenario, max_steps: int | None = None,
                 reward_config: str | None = None) -> None:
        load_all()
        self.scenario = scenario
        self.max_steps = max_steps or scenario.step_budget
        self.reward_config = reward_config
        self.seed = 0
        self.world: World | None = None
        self.truths: list[Truth] = []
        self.distractors: list[Truth] = []
        self.trace: list[TraceStep] = []
        self.report: dict[str, Any] | None = None
        self.done = False
        self.truncated = False
        self.result: dict[str, Any] | None = None
        self.grader: Any = None

    @property
    def tools(self) -> list[dict[str, Any]]:
        """OpenAI function-calling schemas of every tool."""
        return [s.openai_schema() for s in REGISTRY.values()]

    @property
    def id(self) -> str:
        return self.scenario.id

    def reset(self, seed: int | None = None) -> Observation:
        from ..scoring import make_grader

        self.seed = self.scenario.seed if seed is None else int(seed)
        self.world, self.truths, self.distractors = start(self.scenario, self.seed)
        self.trace = []
        self.report = None
        self.done = self.truncated = False
        self.result = None
        self.grader = make_grader(self, self.reward_config)
        data = self.page_data()
        return Observation(self.incident_page(data), data, None, True, None, self._clock(), 0)

    def _clock(self) -> str:
        assert self.world is not None
        return fmt.iso(self.world.wallclock(self.world.now))

    def page_data(self) -> dict[str, Any]:
        assert self.world is not None
        alerts = active_alerts(self.world)
        return {"time": self._clock(), "step_budget": self.max_steps,
                "alerts": [{"name": a.name, "severity": a.severity, "summary": a.summary,
                            "since": fmt.iso(self.world.wallclock(a.since)), "slo": a.slo}
                           for a in alerts]}

    def incident_page(self, data: dict[str, Any] | None = None) -> str:
        data = data or self.page_data()
        lines = [f"INCIDENT PAGE {data['time']}", "You are the on-call engineer. Firing alerts:",
                 *alert_lines(data)]
        lines.append(f"Investigate with the tools, fix the cause durably, then call "
                     f"submit_report. Budget: {self.max_steps} tool calls.")
        return "\n".join(lines)

    def step(self, call: ToolCall | dict[str, Any]) -> StepResult:
        if self.world is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            obs = Observation("The episode is over; call reset() to start another.", None,
                              None, False, "episode over", self._clock(), len(self.trace))
            return StepResult(obs, 0.0, True, self.truncated, {"invalid": True})
        tc, problem = _as_call(call)
        spec = REGISTRY.get(tc.name) if problem is None else None
        if problem is None and spec is None:
            problem = (f"unknown tool {tc.name!r}. Valid tools: "
                       f"{', '.join(sorted(REGISTRY))}")
        text, data, ok = "", None, False
        if problem is None and spec is not None:
            if spec.kind == WRITE:
                self.grader.before_write()
            text, data, ok, problem = self._run(spec, tc)
        if problem is not None:
            text = f"ERROR: {problem}"
            self.world.advance(INVALID_COST_S)
        step = TraceStep(len(self.trace) + 1, tc, ok, text, self.world.now,
                         spec.kind if spec else "invalid")
        self.trace.append(step)
        if ok and spec is not None and spec.kind == FINAL:
            self.report = data
            self.done = True
        elif len(self.trace) >= self.max_steps:
            self.done = self.truncated = True
        reward, info = self.grader.on_step(step)
        step.reward = reward
        step.info = info
        if self.done:
            self.result = self.grader.final()
            info = dict(info, result=self.result)
        info["invalid"] = not ok
        obs = Observation(text, data, tc.name, ok, problem, self._clock(), len(self.trace))
        return StepResult(obs, reward, self.done and not self.truncated, self.truncated, info)

    def _run(self, spec: ToolSpec, tc: ToolCall) -> tuple[str, Any, bool, str | None]:
        assert self.world is not None
        return run_tool(self.world, spec, tc)

    def finish(self) -> dict[str, Any]:
        """End the episode without a report (the agent gave up or a face stopped it) and
        grade it as truncated; returns the result. Idempotent."""
        if self.world is None:
            raise RuntimeError("call reset() first")
        if not self.done:
            self.done = self.truncated = True
            self.result = self.grader.final()
        assert self.result is not None
        return self.result

    def state_hash(self) -> str:
        """sha256 of the world's canonical state (clock, state, events, logs)."""
        if self.world is None:
            raise RuntimeError("call reset() first")
        return self.world.state_hash()


def run_tool(world: World, spec: ToolSpec, tc: ToolCall) -> tuple[str, Any, bool, str | None]:
    """Validate and run one registry tool on ``world``, paginate its text and charge its
    simulated cost: (text, data, ok, problem); a bad call costs nothing here."""
    try:
        args, page = validate(spec, tc.arguments)
        out = spec.fn(world, **args)
        text = paginate(out.text, page)
    except ToolError as exc:
        return "", None, False, str(exc)
    world.advance(spec.cost_s)
    return text, out.data, True, None


def as_call(call: Any) -> tuple[ToolCall, str | None]:
    """Accept a ToolCall or a dict (arguments may be a JSON string); say what is wrong."""
    return _as_call(call)


def _as_call(call: Any) -> tuple[ToolCall, str | None]:
    """Accept a ToolCall or a dict (arguments may be a JSON string); say what is wrong."""
    if isinstance(call, ToolCall):
        if not isinstance(call.arguments, dict):
            return ToolCall(str(call.name), {}), "arguments must be a JSON object"
        return call, None
    if not isinstance(call, dict):
        return ToolCall("?", {}), f"a tool call must be an object with name and arguments, " \
                                  f"got {type(call).__name__}"
    name = call.get("name")
    args = call.get("arguments", {})
    if not isinstance(name, str) or not name:
        return ToolCall("?", {}), "a tool call needs a 'name' string"
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(name, {}), f"arguments are not valid JSON: {exc}"
    if not isinstance(args, dict):
        return ToolCall(name, {}), "arguments must be a JSON object"
    return ToolCall(name, args, call.get("id")), None


def alert_lines(data: dict[str, Any]) -> list[str]:
    """The page's firing alerts (or a note that they resolved) and the affected SLOs."""
    lines = [f"  [{a['severity']}] {a['name']} since {a['since'][11:19]}: {a['summary']}"
             for a in data["alerts"]]
    if not data["alerts"]:
        lines.append("  (alerts resolved before you joined; users still report problems)")
    slos = sorted({a["slo"] for a in data["alerts"] if a["slo"]})
    if slos:
        lines.append(f"Affected SLOs: {', '.join(slos)}")
    return lines
