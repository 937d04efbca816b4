"""`warroom serve mcp --team`: four official MCP clients over HTTP each take one role of
the same team incident, act in turn, talk, and the commander's report grades the team.

Needs the ``mcp`` extra; runs in its own environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import anyio
from mcp import Client

from warroom.servers.process import ServerProcess

SCENARIO = "db_connection_leak/app/easy/v1"
CLI = ["-m", "warroom", "serve", "mcp", "--transport", "http", "--team"]


def _text(result: Any) -> str:
    return str(result.content[0].text)


ROLES = ("sre", "oversight", "developer", "commander")
REPORT = {"root_cause": {"component": "app", "category": "database/connection_leak",
                         "culprit": None},
          "summary": "app leaks database connections"}


def test_four_clients_share_one_team_incident() -> None:
    with ServerProcess(CLI) as srv:
        url = f"{srv.url}/mcp"

        async def drill() -> None:
            async with Client(url) as host:
                names = {t.name for t in (await host.list_tools()).tools}
                assert {"start_team_incident", "join_incident", "say"} <= names
                opened = await host.call_tool("start_team_incident",
                                              {"scenario": SCENARIO, "seed": 2})
                assert not opened.is_error, _text(opened)
                room = opened.structured_content["episode_id"]
            async with AsyncExitStack() as stack:
                clients = {role: await stack.enter_async_context(Client(url))
                           for role in ROLES}
                await _play(clients, room)

        anyio.run(drill)


async def _play(clients: dict[str, Client], room: str) -> None:
    """Each client takes its role, then the four act in the default turn order."""
    seats = {}
    for role, client in clients.items():
        joined = await client.call_tool("join_incident", {"episode_id": room, "role": role})
        assert not joined.is_error, _text(joined)
        seats[role] = joined.structured_content["seat_id"]

    async def act(role: str, tool: str, **args: Any) -> Any:
        return await clients[role].call_tool(tool, {"episode_id": seats[role], **args})

    early = await act("developer", "stand_by")
    assert early.is_error and "not your turn" in _text(early)
    assert not (await act("sre", "search_logs", service="app")).is_error
    assert not (await act("oversight", "say", to="all",
                          message="no fleet agent touched app")).is_error
    assert not (await act("developer", "stand_by")).is_error
    report = await act("commander", "submit_report", **REPORT)
    assert not report.is_error, _text(report)
    assert "no fleet agent touched app" in _text(report)  # the chat since its last turn
    done = report.structured_content
    assert done["done"] and set(done["result"]["team"]["roles"]) >= set(ROLES)


def test_without_team_flag_no_team_tools() -> None:
    with ServerProcess(["-m", "warroom", "serve", "mcp", "--transport", "http"]) as srv:
        async def listing() -> set[str]:
            async with Client(f"{srv.url}/mcp") as client:
                return {t.name for t in (await client.list_tools()).tools}

        names = anyio.run(listing)
        assert "start_incident" in names and "join_incident" not in names
