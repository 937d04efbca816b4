"""``warroom serve mcp``: the incident tools over MCP, on the official SDK (``mcp>=2.3,<3``).

Tools: ``start_incident(scenario, seed)`` returns an ``episode_id``; every registry tool
takes that id; ``end_incident(episode_id)`` closes the episode (see ``mcp_tools``). One
server holds many episodes, over stdio as over HTTP, each reachable only through its id.

HTTP is streamable HTTP at ``/mcp`` with JSON responses and no transport sessions (the
episode id is the session), so both the 2026-07-28 per-request protocol and older
handshake clients work. It binds 127.0.0.1 by default; any other address needs a bearer
token. ``GET /health`` answers without a token. Limits: ``max_open`` episodes at once and
``idle_timeout_s`` before an untouched episode is dropped; both refusals are tool errors
that say what to do. ``domain`` serves one domain's tools only (a subagent's server, see
``mcp_domain``); several domains over HTTP get one endpoint each, ``/mcp/<domain>``, over
one shared episode store, so subagents composed as separate MCP servers work on the same
live incident (an episode id from any endpoint is valid on all). ``team`` adds team
incidents (``mcp_team``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel.server import Server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import warroom

from .auth import BearerAuth, check_exposure
from .episodes import DEFAULT_IDLE_TIMEOUT_S, DEFAULT_MAX_OPEN, EpisodeStore
from .mcp_tools import CallOutcome, IncidentTools

INSTRUCTIONS = (
    "warroom: you are on call for a simulated production system. Call start_incident to "
    "open an episode (it returns an episode_id and the incident page), investigate and fix "
    "with the other tools, passing that episode_id, and finish with submit_report. "
    "end_incident frees the episode.")


def _result(outcome: CallOutcome) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=outcome.text)],
                                structured_content=outcome.structured,
                                is_error=outcome.is_error)


def build_server(tools: IncidentTools) -> Server[Any]:
    """An SDK ``Server`` that lists and answers the incident tools."""
    listing = types.ListToolsResult(
        tools=[types.Tool.model_validate(d) for d in tools.definitions])
    schemas = {d["name"]: d["inputSchema"] for d in tools.definitions}

    async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return listing

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams
                           ) -> types.CallToolResult:
        name, args = params.name, dict(params.arguments or {})
        if name in tools.slow:
            outcome = await anyio.to_thread.run_sync(tools.call, name, args)
        else:
            outcome = tools.call(name, args)
        return _result(outcome)

    return Server("warroom", version=warroom.__version__, instructions=INSTRUCTIONS,
                  get_tool_input_schema=schemas.get, on_list_tools=on_list_tools,
                  on_call_tool=on_call_tool)


def incident_tools(store: EpisodeStore | None = None, team: bool = False,
                   domain: str | None = None) -> IncidentTools:
    """The tools to serve: single-agent incidents, plus team incidents with one seat per
    role (``start_team_incident``, ``join_incident``) when ``team``; or, with ``domain``,
    that domain's tools only over incidents and its fact tasks."""
    if domain is not None:
        if team:
            raise ValueError("serve either one domain or team incidents, not both")
        from .mcp_domain import DomainIncidentTools

        return DomainIncidentTools(domain, store)
    if team:
        from .mcp_team import TeamIncidentTools

        return TeamIncidentTools(store)
    return IncidentTools(store)


def _domains(domain: str | Sequence[str] | None) -> list[str]:
    return [domain] if isinstance(domain, str) else list(dict.fromkeys(domain or ()))


def http_app(store: EpisodeStore | None = None, token: str | None = None,
             host: str = "127.0.0.1", path: str = "/mcp", team: bool = False,
             domain: str | Sequence[str] | None = None) -> Any:
    """The ASGI app for streamable HTTP (wrapped in ``BearerAuth`` when a token is given);
    several domains get one endpoint each (``<path>/<domain>``) over one store."""
    domains = _domains(domain)
    if len(domains) > 1:
        if team:
            raise ValueError("serve either domains or team incidents, not both")
        app = _domains_app(domains, store if store is not None else EpisodeStore(), host,
                           path)
        return BearerAuth(app, token) if token else app
    tools = incident_tools(store, team, domains[0] if domains else None)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "open_episodes": len(tools.store)})

    app = build_server(tools).streamable_http_app(
        streamable_http_path=path, json_response=True, stateless_http=True, host=host,
        custom_starlette_routes=[Route("/health", health, methods=["GET"])])
    return BearerAuth(app, token) if token else app


def _domains_app(domains: list[str], store: EpisodeStore, host: str, path: str) -> Any:
    """One Starlette app: a streamable-HTTP endpoint per domain, all over ``store``."""
    from .mcp_domain import DomainIncidentTools

    subs = [build_server(DomainIncidentTools(d, store)).streamable_http_app(
        streamable_http_path=f"{path}/{d}", json_response=True, stateless_http=True,
        host=host) for d in domains]

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "open_episodes": len(store),
                             "endpoints": {d: f"{path}/{d}" for d in domains}})

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        async with AsyncExitStack() as stack:  # every endpoint's session manager
            for sub in subs:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    routes = [r for sub in subs for r in sub.routes]
    return Starlette(routes=[*routes, Route("/health", health, methods=["GET"])],
                     lifespan=lifespan)


async def serve_stdio(store: EpisodeStore | None = None, team: bool = False,
                      domain: str | None = None) -> None:
    """Serve one client over this process's stdin and stdout until it disconnects."""
    from mcp.server.stdio import stdio_server

    server = build_server(incident_tools(store, team, domain))
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765,
          token: str | None = None, max_open: int = DEFAULT_MAX_OPEN,
          idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S, scenario: str | None = None,
          max_steps: int | None = None, log_level: str = "warning", team: bool = False,
          domain: str | Sequence[str] | None = None) -> None:
    """Run the MCP server until interrupted (what ``warroom serve mcp`` calls).

    ``scenario`` is the default for ``start_incident`` calls that name none; ``max_steps``
    overrides every episode's step budget; ``team`` adds team incidents (a seat per role);
    ``domain`` serves that domain's tools only (several: one HTTP endpoint each, over one
    store).
    """
    options = {"max_steps": max_steps} if max_steps else None
    store = EpisodeStore(max_open, idle_timeout_s, options, scenario)
    domains = _domains(domain)
    checks: list[str | None] = list(domains) or [None]
    for d in checks:  # a bad domain or combination fails before serving
        incident_tools(None, team, d)
    if transport == "stdio":
        if len(domains) > 1:
            raise ValueError("several domains need --transport http (one endpoint each)")
        anyio.run(serve_stdio, store, team, domains[0] if domains else None)
        return
    if transport not in ("http", "streamable-http"):
        raise ValueError(f"unknown transport {transport!r}; use stdio or http")
    check_exposure(host, token)
    import uvicorn

    uvicorn.run(http_app(store, token, host, team=team, domain=domain), host=host, port=port,
                log_level=log_level)


def main(argv: list[str] | None = None) -> None:
    """``python -m warroom.servers.mcp_server``: the same as ``warroom serve mcp``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m warroom.servers.mcp_server",
                                description=__doc__.split("\n")[0])
    p.add_argument("--transport", default="stdio", choices=["stdio", "http"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", default=os.environ.get("WARROOM_TOKEN"))
    p.add_argument("--max-open", type=int, default=DEFAULT_MAX_OPEN)
    p.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT_S)
    p.add_argument("--scenario", default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--team", action="store_true", help="also serve team incidents")
    p.add_argument("--domain", action="append", default=None,
                   help="serve this domain's tools only (repeat: one endpoint each, http)")
    a = p.parse_args(argv)
    serve(a.transport, a.host, a.port, a.token, a.max_open, a.idle_timeout, a.scenario,
          a.max_steps, team=a.team, domain=a.domain)


if __name__ == "__main__":
    main()
