"""The MCP server driven by the official MCP client (``mcp`` 2.x): stdio, streamable HTTP in
both protocol eras, 32 concurrent isolated episodes, limits, idle expiry, bearer token.

Needs the ``mcp`` extra; runs in its own environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from warroom.servers.auth import check_exposure, is_loopback
from warroom.servers.bench import bench_servers
from warroom.servers.episodes import EpisodeStore
from warroom.servers.mcp_server import http_app
from warroom.servers.mcp_tools import IncidentTools, tool_definitions
from warroom.servers.process import ServerProcess, serve_in_thread
from warroom.tools.registry import load_all

SCENARIO = "db_connection_leak/app/easy/v1"
SERVER = ["-m", "warroom.servers.mcp_server", "--transport", "http"]
REPORT = {"root_cause": {"component": "app", "category": "database/connection_leak",
                         "culprit": None},
          "summary": "connection pool exhausted by a leak; restarted and patched"}


def _text(result: Any) -> str:
    return str(result.content[0].text)


async def _start(client: Client, seed: int = 0) -> str:
    r = await client.call_tool("start_incident", {"scenario": SCENARIO, "seed": seed})
    assert not r.is_error, _text(r)
    assert "db_connection_leak" not in _text(r) + json.dumps(r.structured_content)
    return str(r.structured_content["episode_id"])


@pytest.fixture(scope="module")
def http_server():
    with ServerProcess([*SERVER, "--max-open", "48"]) as srv:
        yield srv


def test_definitions_are_generated_from_the_registry() -> None:
    defs = {d["name"]: d for d in tool_definitions()}
    registry = load_all()
    assert set(defs) == set(registry) | {"start_incident", "end_incident"}
    for name, spec in registry.items():
        schema, base = defs[name]["inputSchema"], spec.json_schema()
        assert schema["properties"].pop("episode_id")["type"] == "string"
        assert schema["properties"] == base["properties"]
        assert schema["required"] == ["episode_id", *base["required"]]
        assert defs[name]["description"] == spec.description
        assert defs[name]["annotations"]["readOnlyHint"] == (spec.kind == "read")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_stdio_plays_a_whole_episode(mode: str) -> None:
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "warroom.servers.mcp_server"])

    async def play() -> None:
        async with Client(params, mode=mode) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            assert "submit_report" in listed and "start_incident" in listed
            assert "episode_id" in listed["list_alerts"].input_schema["required"]
            eid = await _start(client, seed=3)
            r = await client.call_tool("list_alerts", {"episode_id": eid})
            assert not r.is_error and r.structured_content["step"] == 1
            bad = await client.call_tool("query_metrics", {"episode_id": eid})
            assert bad.is_error and "missing required argument" in _text(bad)
            done = await client.call_tool("submit_report", {"episode_id": eid, **REPORT})
            assert not done.is_error, _text(done)
            assert done.structured_content["done"] is True
            result = done.structured_content["result"]
            assert 0.0 <= result["score"] <= 1.0 and isinstance(result["success"], bool)
            over = await client.call_tool("list_alerts", {"episode_id": eid})
            assert over.is_error and "over" in _text(over)
            end = await client.call_tool("end_incident", {"episode_id": eid})
            assert end.structured_content["result"] == result
            assert end.structured_content["reported"] is True
            gone = await client.call_tool("list_alerts", {"episode_id": eid})
            assert gone.is_error and "was ended" in _text(gone)

    anyio.run(play)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_http_both_protocol_eras(http_server: ServerProcess, mode: str) -> None:
    async def play() -> None:
        async with Client(f"{http_server.url}/mcp", mode=mode) as client:
            assert len((await client.list_tools()).tools) == len(load_all()) + 2
            eid = await _start(client)
            r = await client.call_tool("get_service_map", {"episode_id": eid})
            assert not r.is_error and r.structured_content["tool"] == "get_service_map"
            await client.call_tool("end_incident", {"episode_id": eid})

    anyio.run(play)


def test_http_32_concurrent_episodes_are_isolated(http_server: ServerProcess) -> None:
    seen: dict[int, list[int]] = {}
    ids: set[str] = set()

    async def one(i: int) -> None:
        async with Client(f"{http_server.url}/mcp") as client:
            eid = await _start(client, seed=i % 4)
            ids.add(eid)
            steps = []
            for _ in range(1 + i % 5):
                r = await client.call_tool("list_pods", {"episode_id": eid})
                assert not r.is_error, _text(r)
                assert r.structured_content["episode_id"] == eid
                steps.append(r.structured_content["step"])
            end = await client.call_tool("end_incident", {"episode_id": eid})
            assert end.structured_content["steps"] == len(steps)
            assert not end.structured_content["reported"]
            assert "score" in end.structured_content["result"]
            seen[i] = steps

    async def run_all() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(32):
                tg.start_soon(one, i)

    anyio.run(run_all)
    assert len(ids) == 32
    assert all(seen[i] == list(range(1, 2 + i % 5)) for i in range(32))
    with urllib.request.urlopen(f"{http_server.url}/health") as resp:
        assert json.load(resp)["open_episodes"] == 0


def test_open_episode_limit_over_http() -> None:
    async def play(url: str) -> None:
        async with Client(url) as client:
            eid = await _start(client)
            r = await client.call_tool("start_incident", {"scenario": SCENARIO})
            assert r.is_error and "too many open episodes (1 allowed)" in _text(r)
            await client.call_tool("end_incident", {"episode_id": eid})
            await _start(client)

    with serve_in_thread(http_app(EpisodeStore(max_open=1))) as url:
        anyio.run(play, f"{url}/mcp")


def test_idle_episodes_expire_with_a_clear_error() -> None:
    now = [0.0]
    tools = IncidentTools(EpisodeStore(max_open=2, idle_timeout_s=60, clock=lambda: now[0]))
    first = tools.call("start_incident", {"scenario": SCENARIO})
    eid = first.structured["episode_id"]
    now[0] = 59.0
    assert not tools.call("list_alerts", {"episode_id": eid}).is_error
    now[0] = 120.0
    late = tools.call("list_alerts", {"episode_id": eid})
    assert late.is_error and "expired after 60 s" in late.text
    assert not tools.call("start_incident", {"seed": 2}).is_error
    unknown = tools.call("list_alerts", {"episode_id": "nope"})
    assert unknown.is_error and "no open episode" in unknown.text
    assert tools.call("start_incident", {"seed": -1}).is_error
    assert tools.call("no_such_tool", {}).is_error


def test_bearer_token_and_loopback_rule() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    with pytest.raises(ValueError, match="without a bearer token"):
        check_exposure("0.0.0.0", None)
    check_exposure("0.0.0.0", "secret")

    async def play(url: str, token: str) -> list[str]:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers) as http, \
                Client(streamable_http_client(url, http_client=http)) as client:
            return [t.name for t in (await client.list_tools()).tools]

    with serve_in_thread(http_app(token="s3cret")) as url:
        req = urllib.request.Request(f"{url}/mcp", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 401
        with urllib.request.urlopen(f"{url}/health") as resp:
            assert resp.status == 200
        assert "start_incident" in anyio.run(play, f"{url}/mcp", "s3cret")
        with pytest.raises(Exception):  # noqa: B017 - the client raises its own error type
            anyio.run(play, f"{url}/mcp", "wrong")


def test_bench_measures_mcp_and_reports_missing_faces() -> None:
    out = bench_servers(duration_s=0.5, clients=4, rate=40.0)
    mcp = out["mcp_http"]
    for phase in ("saturation", "at_rate"):
        assert mcp[phase]["calls"] > 0 and mcp[phase]["errors"] == 0
        assert mcp[phase]["p99_ms"] >= mcp[phase]["p50_ms"] > 0
    assert "unavailable" in out["openenv_ws"]  # openenv is not installed next to mcp 2.x


def test_cli_serve_mcp_http_answers_health() -> None:
    """`warroom serve mcp --transport http` starts the same server from the command line."""
    args = ["-c", "from warroom.cli.main import app; app()", "serve", "mcp", "--transport",
            "http"]
    with ServerProcess(args) as srv, urllib.request.urlopen(f"{srv.url}/health") as resp:
        assert resp.status == 200
