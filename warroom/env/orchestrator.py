"""The HierarchyEpisode: one incident worked by an orchestrator over domain subagents.

Observation: the incident page (firing alerts, the affected SLOs, the report categories and
the specialists on call), then each specialist's answer as text. The top level never sees
a raw tool output: its only tools are ``ask_<domain>(question)`` for every domain in
``warroom.tools.slices.DOMAINS`` and ``submit_report``.
Actions: an ``ask_<domain>`` call runs that domain's subagent policy in a ``DomainEpisode``
on the same live world: its tool calls cost simulated time there, and the operations
subagent's writes change it. The subagent's answer is the observation.
Ends with ``submit_report`` (done) or when the top-level step budget runs out (truncated).
Scoring: the flat Episode's grader on the same world, fed every tool call the subagents
made (so evidence, actions, safety and efficiency are graded exactly as for a flat agent)
and the report; flat and hierarchical scores compare.
Bookkeeping: ``top_trace`` (the orchestrator's calls and what it received),
``trace`` (every world-level call, each with ``info["via"]`` naming its domain), and
``usage`` (top-level calls, subagent calls, characters that reached the top context, and
the model tokens LLM subagents spent).
Bad calls (unknown tool, missing question, a failing subagent) are observations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..scenarios.spec import Scenario
from ..tools.registry import FINAL, REGISTRY, WRITE, load_all
from ..tools.slices import DOMAINS
from ..types import Observation, StepResult, ToolCall, TraceStep
from .episode import INVALID_COST_S, Episode, alert_lines, as_call

ASK = "ask_"
REPORT = "submit_report"
SUB_STEPS = 12
CHARS_PER_TOKEN = 4


class SubagentPolicy(Protocol):
    """What a subagent must do: the ``warroom.agents`` Policy interface."""

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: Any = None) -> None: ...

    def act(self, observation: Observation) -> ToolCall: ...


SubagentFactory = Callable[[], SubagentPolicy]


def ask_schema(domain: str) -> dict[str, Any]:
    """The OpenAI schema of ``ask_<domain>``; its description lists the domain's tools."""
    d = DOMAINS[domain]
    names = [s.name for s in d.tools()]
    who = "It may change the system." if d.kind == WRITE else "It only reads."
    return {"type": "function", "function": {
        "name": f"{ASK}{domain}",
        "description": (f"Ask the {domain} specialist ({d.title}). {who} It runs its own "
                        f"tools ({', '.join(names)}) and answers in compact text with exact "
                        "ids. Ask in plain words, or name one tool and its JSON arguments, "
                        'e.g. `list_issues {"service": "checkout"}`.'),
        "parameters": {"type": "object", "properties": {"question": {
            "type": "string", "description": "what you want to know (or, for operations, "
                                              "exactly what to do)"}},
            "required": ["question"]}}}


def tokens(text: str) -> int:
    """The token estimate used for context accounting (characters / 4, rounded up)."""
    return -(-len(text) // CHARS_PER_TOKEN)


class HierarchyEpisode:
    """One incident for an orchestrator (see the module docstring for the contract)."""

    def __init__(self, scenario: Scenario, subagents: Mapping[str, SubagentFactory],
                 max_steps: int | None = None, sub_steps: int = SUB_STEPS,
                 reward_config: str | None = None) -> None:
        load_all()
        missing = [d for d in DOMAINS if d not in subagents]
        if missing:
            raise ValueError(f"no subagent for domain(s) {', '.join(missing)}; give a "
                             f"factory for each of {', '.join(DOMAINS)}")
        self.scenario = scenario
        self.subagents = dict(subagents)
        self.max_steps = max_steps or scenario.step_budget
        self.sub_steps = sub_steps
        self.inner = Episode(scenario, max_steps=10**9, reward_config=reward_config)
        self.top_trace: list[TraceStep] = []
        self.usage: dict[str, int] = {}

    # -- what the orchestrator sees ---------------------------------------------------------
    @property
    def id(self) -> str:
        return self.scenario.id

    @property
    def tools(self) -> list[dict[str, Any]]:
        """``ask_<domain>`` for every domain, then ``submit_report``; nothing else."""
        return [ask_schema(d) for d in DOMAINS] + [REGISTRY[REPORT].openai_schema()]

    @property
    def world(self) -> Any:
        return self.inner.world

    @property
    def trace(self) -> list[TraceStep]:
        """Every world-level call (the subagents' tools, invalid top calls, the report)."""
        return self.inner.trace

    @property
    def truths(self) -> Any:
        return self.inner.truths

    @property
    def done(self) -> bool:
        return self.inner.done

    @property
    def truncated(self) -> bool:
        return self.inner.truncated

    @property
    def result(self) -> dict[str, Any] | None:
        return self.inner.result

    @property
    def seed(self) -> int:
        return self.inner.seed

    def incident_page(self) -> str:
        data = self.inner.page_data()
        cats = REGISTRY["list_categories"].fn(self.inner.world).text
        lines = [f"INCIDENT PAGE {data['time']}", "You are the incident commander. Firing "
                 "alerts:", *alert_lines(data),
                 "You cannot run tools yourself: ask the specialists, each with its own "
                 "tools:"]
        lines += [f"  {ASK}{n}: {d.title} ({len(d.tools())} tools)" for n, d in DOMAINS.items()]
        lines += ["Report categories (for submit_report): " + " ".join(cats.split()),
                  f"Find the cause, have operations fix it durably, then call {REPORT}. "
                  f"Budget: {self.max_steps} calls."]
        return "\n".join(lines)

    # -- control ----------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Observation:
        page = self.inner.reset(seed)
        self.top_trace = []
        self.usage = {"top_calls": 0, "subagent_calls": 0, "top_context_chars": 0,
                      "asks": 0, "invalid": 0}
        text = self.incident_page()
        self.usage["top_context_chars"] += len(text)
        data = dict(page.data or {}, step_budget=self.max_steps)
        return Observation(text, data, None, True, None, page.time, 0)

    def step(self, call: ToolCall | dict[str, Any]) -> StepResult:
        if self.inner.world is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            obs = Observation("The episode is over; call reset() to start another.", None,
                              None, False, "episode over", self.inner._clock(),
                              len(self.top_trace))
            return StepResult(obs, 0.0, True, self.truncated, {"invalid": True})
        tc, problem = as_call(call)
        self.usage["top_calls"] += 1
        before = len(self.trace)
        reward, info = 0.0, {}
        text, data, ok = "", None, False
        if problem is None and tc.name == REPORT:
            res = self.inner.step(tc)
            for s in self.trace[before:]:
                s.info["via"] = "top"
            text, data, ok, problem = (res.observation.text, res.observation.data,
                                       res.observation.ok, res.observation.error)
            reward, info = res.reward, res.info
        elif problem is None and tc.name.startswith(ASK) and tc.name[len(ASK):] in DOMAINS:
            question = tc.arguments.get("question")
            if not isinstance(question, str) or not question.strip():
                problem = f"{tc.name} needs a 'question' string"
            else:
                text, data, reward = self._ask(tc.name[len(ASK):], question.strip())
                ok = True
        elif problem is None:
            problem = (f"unknown tool {tc.name!r}. Valid tools: "
                       f"{', '.join(t['function']['name'] for t in self.tools)}")
        if problem is not None and not (tc.name == REPORT and len(self.trace) > before):
            text = f"ERROR: {problem}"
            reward += self._invalid(tc, text)
        self.usage["invalid"] += int(not ok)
        self.usage["top_context_chars"] += len(text)
        top = TraceStep(len(self.top_trace) + 1, tc, ok, text, self.inner.world.now,
                        "ask" if tc.name.startswith(ASK) and ok else
                        (FINAL if ok else "invalid"), reward,
                        {"world_steps": [s.step for s in self.trace[before:]]})
        self.top_trace.append(top)
        if not self.done and len(self.top_trace) >= self.max_steps:
            self.inner.finish()
        if self.done and self.result is not None:
            info = dict(info, result=self.result)
        info["invalid"] = not ok
        obs = Observation(text, data, tc.name, ok, problem, self.inner._clock(),
                          len(self.top_trace))
        return StepResult(obs, reward, self.done and not self.truncated, self.truncated, info)

    def _invalid(self, tc: ToolCall, text: str) -> float:
        """A bad top-level call: recorded as an invalid world step (as the flat Episode
        records one) so the grader counts it; returns its reward."""
        world = self.inner.world
        assert world is not None
        world.advance(INVALID_COST_S)
        return self._record(TraceStep(0, tc, False, text, world.now, "invalid"), "top")

    def _record(self, step: TraceStep, via: str) -> float:
        """Append a world-level step to the shared trace and let the grader see it."""
        ep = self.inner
        rec = TraceStep(len(ep.trace) + 1, step.call, step.ok, step.text, step.t, step.kind,
                        info={"via": via})
        ep.trace.append(rec)
        reward, info = ep.grader.on_step(rec)
        rec.reward = reward
        rec.info.update(info)
        return reward

    # -- one subagent run -------------------------------------------------------------------
    def _ask(self, domain: str, question: str) -> tuple[str, dict[str, Any], float]:
        """Run ``domain``'s subagent on ``question``; (answer, data, summed reward)."""
        from .domain import DomainEpisode

        self.usage["asks"] += 1
        sub = DomainEpisode(domain, world=self.inner.world, question=question,
                            step_budget=self.sub_steps)
        reward, error, calls = 0.0, None, 0
        policy: Any = None
        try:
            policy = self.subagents[domain]()
            obs = sub.reset(seed=self.inner.seed)
            policy.reset(obs, sub.tools, self._sub_seed(domain), None)
            seen = 0
            while not sub.done:
                call = policy.act(obs)
                spec = REGISTRY.get(as_call(call)[0].name)
                if spec is not None and spec.kind == WRITE:
                    self.inner.grader.before_write()
                obs = sub.step(call).observation
                for s in sub.trace[seen:]:
                    if s.call.name in REGISTRY or not s.ok:
                        calls += 1
                        reward += self._record(s, domain)
                seen = len(sub.trace)
        except Exception as exc:  # a broken subagent answers with its error
            error = f"{type(exc).__name__}: {exc}"
        self.usage["subagent_calls"] += calls
        spent = getattr(policy, "usage", None) or {}
        for key in ("tokens_in", "tokens_out"):
            if isinstance(spent.get(key), int):
                self.usage[f"subagent_{key}"] = self.usage.get(f"subagent_{key}", 0) + spent[key]
        answer = sub.answer if getattr(sub, "answer", None) else None
        if answer is None:
            answer = (f"({domain} specialist failed: {error})" if error else
                      f"({domain} specialist gave no answer within {self.sub_steps} calls)")
        findings = getattr(policy, "findings", None)
        data = {"domain": domain, "answer": answer, "calls": calls,
                "findings": findings if isinstance(findings, dict) else None}
        return answer, data, reward

    def _sub_seed(self, domain: str) -> int:
        digest = hashlib.sha256(f"{self.id}#{self.inner.seed}#{domain}#"
                                f"{self.usage['asks']}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    # -- the end ----------------------------------------------------------------------------
    def finish(self) -> dict[str, Any]:
        """End without a report and grade as truncated (idempotent)."""
        return self.inner.finish()

    def state_hash(self) -> str:
        """sha256 of the shared world's canonical state."""
        return self.inner.state_hash()

    @property
    def top_context_tokens(self) -> int:
        """Tokens (characters / 4) of everything the top level received: the page and
        every answer (the tool schemas are counted apart, in ``schema_tokens``)."""
        return -(-self.usage.get("top_context_chars", 0) // CHARS_PER_TOKEN)

    @property
    def schema_tokens(self) -> int:
        return tokens(json.dumps(self.tools))
