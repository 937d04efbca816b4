"""warroom as a HUD environment (the ``hud`` extra).

What the agent gets: a prompt with the incident page, and an MCP capability named
``tools`` that serves every registry tool with its JSON schema (read tools are marked
read-only). There is one task template per scenario family; its arguments are a catalog
scenario id of that family and a seed. The agent ends the incident with ``submit_report``;
a final answer that is a JSON report (``{"root_cause": {...}, "summary": ...}``) is filed
for it when it did not. The grade is warroom's own result: ``reward`` is the episode score,
``subscores`` the rubric tree, ``info`` success and the whole result; an incident left
open (no report, step budget not spent) scores 0.

One environment instance works one incident at a time. HUD's ``LocalRuntime`` serializes
rollouts on a live instance; for parallel rollouts give it a constructor, e.g.
``LocalRuntime(lambda task: make_environment())``, so that each rollout has its own
instance and its own MCP server. The MCP server binds to loopback on a free port.

    env = make_environment()
    job = await env.templates["database"](scenario="db_connection_leak/app/easy/v0").run(agent)

Served as a process (a container CMD, say):
``python -m hud.environment.server warroom.integrations.hud_env --env make_environment``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncGenerator, Iterable
from importlib import resources
from typing import Any

import uvicorn
from fastmcp import FastMCP
from fastmcp.tools import Tool
from fastmcp.tools.base import ToolResult
from hud import Environment, Task
from hud.capabilities import Capability
from hud.graders.results import EvaluationResult, SubScore
from mcp.types import TextContent, ToolAnnotations
from pydantic import Field

import warroom
from warroom.scenarios import all_scenarios, generate, get
from warroom.scenarios.spec import Scenario
from warroom.tools.registry import READ, WRITE, ToolSpec, load_all
from warroom.types import ToolCall

CAPABILITY = "tools"


class IncidentDesk:
    """The one incident an environment instance is working: opened by a template,
    stepped by the MCP tools, closed after grading."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.episode: warroom.Episode | None = None

    def open(self, scenario: Scenario, seed: int) -> str:
        """Start the incident and return its page."""
        if self.episode is not None:
            raise RuntimeError(
                f"this environment is already working {self.episode.id}; it runs one "
                "incident at a time (give LocalRuntime a constructor for parallel rollouts)")
        episode = warroom.make(scenario, **self.options)
        page = episode.reset(seed=seed)
        self.episode = episode
        return page.text

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Play one tool call and render the observation as an MCP result."""
        if self.episode is None:
            return _error_result("no incident is open; start a warroom task first")
        if self.episode.done:
            return _error_result("the incident is closed: submit_report was already called "
                                 "or the step budget ran out")
        res = self.episode.step(ToolCall(name, arguments))
        obs = res.observation
        data = {"ok": obs.ok, "done": self.episode.done, "step": obs.step, "time": obs.time,
                "data": _jsonable(obs.data)}
        return ToolResult([TextContent(type="text", text=obs.text)], data, is_error=not obs.ok)

    def grade(self, answer: Any) -> EvaluationResult:
        """warroom's result for the incident, filing ``answer`` as the report if needed."""
        episode = self.episode
        if episode is None:
            raise RuntimeError("no incident is open")
        report = _report_from(answer)
        if not episode.done and report is not None:
            self.call("submit_report", report)
        result = episode.result
        if result is None:
            return EvaluationResult(
                reward=0.0, content=f"{episode.id}: closed without a report (score 0)",
                info={"scenario": episode.id, "seed": episode.seed, "success": False,
                      "reported": False, "steps": len(episode.trace)})
        score = float(result["score"])
        return EvaluationResult(
            reward=score, subscores=rubric_subscores(result.get("rubric"), score),
            content=f"{episode.id}: score {score:.3f}, success {bool(result['success'])}",
            info={"scenario": episode.id, "seed": episode.seed, "reported": True,
                  "success": bool(result["success"]), "result": _jsonable(result)})

    def close(self) -> None:
        self.episode = None


class IncidentTool(Tool):
    """One registry tool served over MCP; calls go to the desk's open incident."""

    desk: Any = Field(default=None, exclude=True)

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return self.desk.call(self.name, arguments)


def mcp_server(desk: IncidentDesk) -> FastMCP:
    """A FastMCP server with every registry tool bound to ``desk``."""
    server: FastMCP = FastMCP("warroom")
    for spec in load_all().values():
        server.add_tool(IncidentTool(
            name=spec.name, description=spec.description, parameters=spec.json_schema(),
            annotations=_annotations(spec), desk=desk))
    return server


def make_environment(name: str = "warroom", *, families: Iterable[str] | None = None,
                     host: str = "127.0.0.1", port: int = 0,
                     **episode_options: Any) -> Environment:
    """A HUD environment: the ``tools`` MCP capability plus one template per family.

    ``families`` limits the templates (default: every family in the catalog);
    ``episode_options`` go to ``warroom.make`` (for example ``max_steps``).
    """
    env = Environment(name)
    desk = IncidentDesk(**episode_options)
    server = mcp_server(desk)
    serving: dict[str, Any] = {}

    @env.initialize
    async def _start_tools() -> None:
        serving["server"], serving["task"], bound = await _serve_http(server, host, port)
        env.add_capability(Capability.mcp(name=CAPABILITY, url=f"http://{host}:{bound}/mcp"))

    @env.shutdown
    async def _stop_tools() -> None:
        if "server" in serving:
            serving["server"].should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await serving.pop("task")
            serving.pop("server")

    wanted = sorted(set(families) if families is not None else _families())
    for family in wanted:
        env.template(id=family, description=f"Work one {family} incident: find the cause, "
                     "fix it durably, file the report.")(_template(desk, family))
    return env


def tasks(env: Environment, *, split: str | None = "test", tier: str | None = None,
          n: int | None = None, seed: int = 0) -> list[Task]:
    """HUD task rows for a catalog selection (``warroom.scenarios.generate``), one per
    scenario, on the templates ``env`` has; each row's seed is the scenario's own."""
    rows = []
    for sc in generate(split=split, tier=tier, n=n, seed=seed):
        if sc.family in env.templates:
            task = env.templates[sc.family](scenario=sc.id, seed=sc.seed)
            task.columns = {"family": sc.family, "tier": sc.tier, "split": sc.split}
            rows.append(task)
    return rows


def rubric_subscores(rubric: Any, score: float) -> list[SubScore] | None:
    """warroom's rubric tree (``Node.to_dict()``) as HUD's subscore tree: one root that
    explains the reward, each node with its weight and its own score. ``None`` when there
    is no tree or its root is not the reward (a ``binary`` reward config)."""
    if not isinstance(rubric, dict) or abs(float(rubric["score"]) - score) > 1e-3:
        return None
    return [_subscore(dict(rubric, weight=1.0))]


def _subscore(node: dict[str, Any]) -> SubScore:
    info: dict[str, Any] = {k: node[k] for k in ("combine", "note", "applies") if k in node}
    children = [_subscore(child) for child in node.get("children", [])]
    return SubScore(name=str(node["name"]), weight=float(node.get("weight", 1.0)),
                    value=float(node["score"]), children=children or None, info=info or None)


def _template(desk: IncidentDesk, family: str) -> Any:
    async def incident(scenario: str, seed: int = 0) -> AsyncGenerator[Any, Any]:
        sc = get(scenario)
        if sc.family != family:
            raise ValueError(f"{scenario} is a {sc.family} scenario, not {family}")
        page = desk.open(sc, seed)
        try:
            answer = yield f"{_system_prompt()}\n\n{page}"
            yield desk.grade(answer)
        finally:
            desk.close()

    incident.__name__ = f"{family}_incident"
    return incident


async def _serve_http(server: FastMCP, host: str,
                      port: int) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """Serve ``server`` over streamable HTTP in this event loop; returns the bound port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = int(sock.getsockname()[1])
    http = uvicorn.Server(uvicorn.Config(server.http_app(path="/mcp"), log_level="warning",
                                         lifespan="on"))
    task = asyncio.create_task(http.serve(sockets=[sock]))
    while not http.started:
        if task.done():
            task.result()
            raise RuntimeError("the warroom MCP server stopped while starting")
        await asyncio.sleep(0.01)
    return http, task, bound


def _families() -> set[str]:
    return {sc.family for sc in all_scenarios()}


def _system_prompt() -> str:
    return resources.files("warroom.agents").joinpath("prompts/system.md").read_text("utf-8")


def _annotations(spec: ToolSpec) -> ToolAnnotations:
    # By wire name: mcp 1.x (hud's) and 2.x spell the Python fields differently.
    return ToolAnnotations.model_validate({
        "readOnlyHint": spec.kind == READ, "destructiveHint": spec.kind == WRITE,
        "idempotentHint": spec.kind == READ, "openWorldHint": False})


def _report_from(answer: Any) -> dict[str, Any] | None:
    """The ``submit_report`` arguments in a final answer, if it holds a JSON report."""
    raw = getattr(answer, "raw", answer)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return None
    if isinstance(raw, dict) and isinstance(raw.get("root_cause"), dict):
        return {"root_cause": raw["root_cause"], "summary": str(raw.get("summary", ""))}
    return None


def _error_result(message: str) -> ToolResult:
    return ToolResult([TextContent(type="text", text=f"ERROR: {message}")], is_error=True)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


__all__ = ["CAPABILITY", "IncidentDesk", "IncidentTool", "make_environment", "mcp_server",
           "rubric_subscores", "tasks"]
