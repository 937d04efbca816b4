"""The OpenEnv face through OpenEnv's own clients: a whole episode over the WebSocket
session, the MCP tool client, concurrent isolated sessions, capacity, token, manifest.

Needs the ``openenv`` extra; runs in its own environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from openenv.core.env_server.mcp_types import CallToolAction, ListToolsAction
from openenv.core.generic_client import GenericEnvClient
from openenv.core.mcp_client import MCPToolClient
from openenv.validation.parsers.openenv_yaml import OpenEnvYamlParser

import warroom
from warroom.servers.bench import bench_servers
from warroom.servers.openenv_app import create_openenv_app
from warroom.servers.openenv_env import IncidentEnvironment
from warroom.servers.process import ServerProcess, serve_in_thread
from warroom.tools.registry import load_all

SCENARIO = "db_connection_leak/app/easy/v1"
SERVER = ["-m", "warroom.servers.openenv_app"]
ROOT = Path(__file__).resolve().parents[1]
REPORT = {"root_cause": {"component": "app", "category": "database/connection_leak",
                         "culprit": "rel-4171"},
          "summary": "a release leaked db connections; rolled it back"}
READS = [("list_alerts", {}), ("get_service_map", {}), ("list_pods", {}),
         ("list_deploys", {})]


def _call(name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "call_tool", "tool_name": name, "arguments": args or {}}


@pytest.fixture(scope="module")
def server():
    with ServerProcess([*SERVER, "--max-sessions", "16"]) as srv:
        yield srv


def test_manifest_parses_with_openenv() -> None:
    manifest = OpenEnvYamlParser().parse(ROOT)
    assert manifest.name == "warroom" and manifest.capabilities.task_api


def test_whole_episode_over_websocket(server: ServerProcess) -> None:
    with GenericEnvClient(base_url=server.url).sync() as env:
        page = env.reset(scenario=SCENARIO, seed=7)
        assert page.observation["seed"] == 7 and "db_connection_leak" not in str(page)
        assert "INCIDENT PAGE" in page.observation["text"] and not page.done
        for i, (name, args) in enumerate(READS, start=1):
            r = env.step(_call(name, args))
            assert r.observation["ok"] and r.observation["step"] == i and not r.done
            assert r.observation["result"]["content"][0]["text"] == r.observation["text"]
        bad = env.step(_call("query_metrics"))
        assert not bad.observation["ok"] and bad.observation["result"]["is_error"]
        final = env.step(_call("submit_report", REPORT))
        assert final.done and final.observation["ok"]
        result = final.metadata["result"]
        assert 0.0 <= result["score"] <= 1.0 and isinstance(result["success"], bool)
        state = env.state()
        assert state["done"] and state["step_count"] == len(READS) + 2
        assert state["scenario"] == SCENARIO
        assert state["result"] == result and len(state["state_hash"]) == 64


def test_mcp_tool_client(server: ServerProcess) -> None:
    async def play() -> None:
        async with MCPToolClient(base_url=server.url) as env:
            await env.reset(scenario=SCENARIO)
            names = {t.name for t in await env.list_tools()}
            assert names == set(load_all())
            out = await env.call_tool("list_alerts")
            assert out["tool_name"] == "list_alerts" and out["ok"] and out["step"] == 1

    asyncio.run(play())


def test_concurrent_sessions_are_isolated_and_deterministic(server: ServerProcess) -> None:
    local = warroom.make(SCENARIO)
    local.reset(seed=1)
    for name, args in READS[:2]:
        local.step(warroom.ToolCall(name, args))

    async def session(i: int) -> dict[str, Any]:
        async with GenericEnvClient(base_url=server.url) as env:
            await env.reset(scenario=SCENARIO, seed=1)
            for name, args in READS[: 2 + i % 3]:
                await env.step(_call(name, args))
            return dict(await env.state())

    async def run_all() -> list[dict[str, Any]]:
        return await asyncio.gather(*(session(i) for i in range(12)))

    states = asyncio.run(run_all())
    for i, st in enumerate(states):
        assert st["step_count"] == 2 + i % 3
    same = [st["state_hash"] for i, st in enumerate(states) if i % 3 == 0]
    assert set(same) == {local.state_hash()}
    assert len({st["state_hash"] for st in states}) == 3


def test_capacity_is_refused_clearly() -> None:
    async def play(url: str) -> None:
        async with GenericEnvClient(base_url=url) as first:
            await first.reset(scenario=SCENARIO)
            async with GenericEnvClient(base_url=url) as second:
                with pytest.raises(RuntimeError, match="CAPACITY_REACHED"):
                    await second.reset(scenario=SCENARIO)

    with serve_in_thread(create_openenv_app(max_concurrent_envs=1)) as url:
        asyncio.run(play(url))


def test_bearer_token_guards_the_websocket() -> None:
    with serve_in_thread(create_openenv_app(token="s3cret")) as url:
        with pytest.raises(ConnectionError), GenericEnvClient(base_url=url).sync() as env:
            env.reset(scenario=SCENARIO)
        headers = {"Authorization": "Bearer s3cret"}
        with GenericEnvClient(base_url=url, headers=headers).sync() as env:
            assert env.reset(scenario=SCENARIO).observation["step_budget"] > 0


def test_environment_contract_in_process() -> None:
    env = IncidentEnvironment()
    listed = env.step(ListToolsAction())
    assert {t.name for t in listed.tools} == set(load_all())
    with pytest.raises(RuntimeError, match="reset"):
        env.step(CallToolAction(tool_name="list_alerts"))
    assert env.list_splits() == ["train", "dev", "test"]
    task = env.get_task("test", 0)
    page = env.reset(split="test", index=0, seed=3)
    assert env.state.scenario == task["id"] and page.seed == 3
    assert env.num_tasks("test") == len(env.list_tasks("test")) > 0
    with pytest.raises(IndexError):
        env.get_task("test", 10**6)
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(bogus=1)
    first, second = IncidentEnvironment(), IncidentEnvironment()
    first.reset(seed=5)
    second.reset(seed=5)
    assert first.state.scenario == second.state.scenario is not None


def test_bench_measures_openenv() -> None:
    ws = bench_servers(duration_s=0.5, clients=4, rate=40.0, faces=("openenv",))["openenv_ws"]
    for phase in ("saturation", "at_rate"):
        assert ws[phase]["calls"] > 0 and ws[phase]["errors"] == 0
