"""``warroom serve openenv``: the OpenEnv app (``create_app``) around ``IncidentEnvironment``.

Endpoints are OpenEnv's: ``/ws`` (a persistent session per connection: reset, step,
state, close), ``/reset``, ``/step``, ``/state``, ``/schema``, ``/health``, ``/mcp`` and the
task API. Each WebSocket session holds its own episode; ``max_concurrent_envs`` bounds
them and sessions idle for ``session_timeout_s`` are reaped. Binds 127.0.0.1 by default;
any other address needs a bearer token (checked on HTTP and WebSocket alike).
``uvicorn warroom.servers.openenv_app:app`` serves the defaults.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from openenv.core.env_server.http_server import create_app
from openenv.core.env_server.mcp_types import CallToolAction
from openenv.core.env_server.types import ConcurrencyConfig

from .auth import BearerAuth, check_exposure
from .openenv_env import IncidentEnvironment, IncidentObservation, IncidentPage, IncidentState

DEFAULT_MAX_SESSIONS = 64
DEFAULT_SESSION_TIMEOUT_S = 900.0


def create_openenv_app(scenario: str | None = None, max_steps: int | None = None,
                       max_concurrent_envs: int = DEFAULT_MAX_SESSIONS,
                       session_timeout_s: float = DEFAULT_SESSION_TIMEOUT_S,
                       token: str | None = None) -> Any:
    """The ASGI app; ``scenario`` and ``max_steps`` are defaults that reset can override."""
    factory = functools.partial(IncidentEnvironment, scenario=scenario, max_steps=max_steps)
    app = create_app(
        factory, CallToolAction, IncidentObservation, env_name="warroom",
        concurrency_config=ConcurrencyConfig(max_concurrent_envs=max_concurrent_envs,
                                             session_timeout=session_timeout_s),
        state_cls=IncidentState, reset_observation_cls=IncidentPage)
    return BearerAuth(app, token) if token else app


def serve(host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          scenario: str | None = None, max_steps: int | None = None,
          max_concurrent_envs: int = DEFAULT_MAX_SESSIONS,
          session_timeout_s: float = DEFAULT_SESSION_TIMEOUT_S,
          log_level: str = "warning") -> None:
    """Run the OpenEnv server until interrupted (what ``warroom serve openenv`` calls)."""
    check_exposure(host, token)
    import uvicorn

    app = create_openenv_app(scenario, max_steps, max_concurrent_envs, session_timeout_s, token)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def main(argv: list[str] | None = None) -> None:
    """``python -m warroom.servers.openenv_app``: the same as ``warroom serve openenv``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m warroom.servers.openenv_app",
                                description="Serve warroom as an OpenEnv environment.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", default=os.environ.get("WARROOM_TOKEN"))
    p.add_argument("--scenario", default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS)
    p.add_argument("--session-timeout", type=float, default=DEFAULT_SESSION_TIMEOUT_S)
    a = p.parse_args(argv)
    serve(a.host, a.port, a.token, a.scenario, a.max_steps, a.max_sessions, a.session_timeout)


@functools.cache
def _default_app() -> Any:
    return create_openenv_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    main()
