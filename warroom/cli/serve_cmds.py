"""``warroom serve mcp|openenv|web``: the tools as an MCP server or an OpenEnv environment,
and the web drill (leaderboard, replays, live incidents)."""

from __future__ import annotations

import typer

from .errors import fail

TOKEN = typer.Option(None, "--token", envvar="WARROOM_TOKEN",
                     help="bearer token clients must send; required to bind beyond loopback")
SCENARIO = typer.Option(None, "--scenario", help="default scenario when a client names none")
MAX_STEPS = typer.Option(None, "--max-steps", help="override every episode's step budget")


def _check_exposure(host: str, token: str | None) -> None:
    """Refuse, before any server starts, to bind beyond loopback without a token."""
    from ..servers.auth import check_exposure

    try:
        check_exposure(host, token)
    except ValueError as exc:
        fail(str(exc), hint="set --token or WARROOM_TOKEN, or keep --host 127.0.0.1")


def register(app: typer.Typer) -> None:
    serve_app = typer.Typer(help="Serve the warroom tools to agent frameworks.",
                            no_args_is_help=True)
    app.add_typer(serve_app, name="serve")

    @serve_app.command("mcp")
    def serve_mcp(
        transport: str = typer.Option("stdio", help="stdio or http"),
        host: str = typer.Option("127.0.0.1", help="bind address (http)"),
        port: int = typer.Option(8765, help="port (http)"),
        token: str | None = TOKEN,
        max_open: int = typer.Option(64, help="most episodes open at once"),
        idle_timeout: float = typer.Option(900.0, help="seconds before an idle episode closes"),
        scenario: str | None = SCENARIO,
        max_steps: int | None = MAX_STEPS,
        team: bool = typer.Option(False, "--team", help="also serve team incidents: "
                                  "start_team_incident, then join_incident(episode_id, "
                                  "role) gives each client a seat for one role"),
        domain: list[str] | None = typer.Option(
            None, "--domain", help="serve this domain's tools only (errors, database, "
            "deploys, kubernetes, observability, fleet, operations), plus start_task and "
            "answer for its fact tasks; repeat it (with --transport http) for one endpoint "
            "per domain, /mcp/<domain>, all on the same incidents"),
    ) -> None:
        """Every registry tool as an MCP tool. Call start_incident(scenario, seed) for an
        episode_id, pass it to every tool, and end_incident(episode_id) for the grade.
        With --team, clients share one team incident, one role each. With --domain, one
        subagent's server: that domain's tools only; several --domain (http), one endpoint
        per domain on the same incidents."""
        if transport not in ("stdio", "http"):
            fail(f"--transport must be stdio or http, not {transport!r}")
        if domain:
            from ..tools.slices import DOMAINS

            for d in domain:
                if d not in DOMAINS:
                    fail(f"unknown domain {d!r}", hint=f"domains: {', '.join(DOMAINS)}")
            if team:
                fail("--domain and --team do not combine: serve one or the other")
            if len(set(domain)) > 1 and transport != "http":
                fail("several --domain need --transport http (one endpoint per domain)")
        if transport == "http":
            _check_exposure(host, token)
        from ..servers.mcp_server import serve

        serve(transport, host, port, token, max_open, idle_timeout, scenario, max_steps,
              team=team, domain=domain or None)

    @serve_app.command("openenv")
    def serve_openenv(
        host: str = typer.Option("127.0.0.1", help="bind address"),
        port: int = typer.Option(8000, help="port"),
        token: str | None = TOKEN,
        scenario: str | None = SCENARIO,
        max_steps: int | None = MAX_STEPS,
        max_sessions: int = typer.Option(64, help="most concurrent sessions"),
        session_timeout: float = typer.Option(900.0, help="seconds before an idle session ends"),
    ) -> None:
        """An OpenEnv environment (reset/step/state over HTTP and WebSocket sessions)."""
        _check_exposure(host, token)
        from ..servers.openenv_app import serve

        serve(host, port, token, scenario, max_steps, max_sessions, session_timeout)

    @serve_app.command("web")
    def serve_web(
        host: str = typer.Option("127.0.0.1", help="bind address"),
        port: int = typer.Option(8080, help="port"),
        runs: str = typer.Option("runs", help="folder whose run directories are shown"),
        token: str | None = TOKEN,
    ) -> None:
        """The web drill: leaderboard, episode replays and live incidents (needs the web
        extra). Open http://HOST:PORT/ in a browser."""
        from ..servers.auth import check_exposure

        try:
            check_exposure(host, token)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--host") from None
        from ..servers.web.app import serve

        serve(host, port, runs, token)
