"""Server throughput for ``warroom bench``: MCP over streamable HTTP and OpenEnv over
WebSocket, both on loopback.

Each face runs in a child process (in the interpreter given for it, so it can live in the
environment that has its extra) with one open episode per client. The load generator
(``loadgen``: raw keep-alive HTTP and WebSocket, no client library) drives ``clients``
concurrent clients through a mix of read tools in two phases:

- ``saturation``: every client sends its next call as soon as the last one is answered;
  calls per second here is the server's capacity.
- ``at_rate``: the clients together offer ``rate`` calls per second on a fixed schedule and
  latency is measured from the scheduled send time, so queueing delay is counted.

Both phases also report the server's own CPU time per call (from ``/proc``, Linux), which
other load on the machine does not inflate: ``1000 / server_cpu_ms_per_call`` is what one
free core can serve. A face whose extra is missing reports ``{"unavailable": reason}``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .loadgen import HttpConn, WsConn
from .process import ServerProcess

MODERN = "2026-07-28"
MIX: tuple[tuple[str, dict[str, Any]], ...] = (
    ("list_alerts", {}), ("list_pods", {}), ("get_service_map", {}),
    ("list_deploys", {}), ("get_events", {}), ("cache_stats", {}))
SCENARIO = "db_connection_leak/checkout/medium/v3"
TARGET = {"calls_per_s": 1000.0, "p99_ms": 20.0}
_BUDGET = "10000000"

Call = Callable[[str, dict[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class Load:
    """What to offer a server: clients, phase length, open-loop rate, scenario, tool mix."""

    clients: int = 32
    duration_s: float = 5.0
    rate: float = 1000.0
    scenario: str = SCENARIO
    mix: tuple[tuple[str, dict[str, Any]], ...] = MIX


def _cpu_s(pid: int | None) -> float | None:
    """User plus system CPU seconds of process ``pid`` so far (None where /proc is absent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, Any]:
    lat = sorted(latencies)
    pick = (lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3, 2)) if lat \
        else (lambda q: None)
    return {"calls": len(lat), "errors": errors, "calls_per_s": round(len(lat) / elapsed, 1),
            "p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": pick(1.0)}


async def _phase(calls: list[Call], mix: tuple[tuple[str, dict[str, Any]], ...],
                 duration_s: float, rate: float | None, pid: int | None) -> dict[str, Any]:
    """Run every client for ``duration_s``; closed loop, or open loop at ``rate`` in total."""
    latencies: list[float] = []
    errors = 0
    cpu0 = _cpu_s(pid)
    start = time.perf_counter()
    stop = start + duration_s

    async def client(k: int, call: Call) -> None:
        nonlocal errors
        tools = itertools.cycle(mix[k % len(mix):] + mix[: k % len(mix)])
        period = len(calls) / rate if rate else 0.0
        due = start + (k / rate if rate else 0.0)
        while True:
            now = time.perf_counter()
            if rate and due > now:
                await asyncio.sleep(due - now)
            sent = due if rate else time.perf_counter()
            if sent >= stop:
                return
            name, args = next(tools)
            if not await call(name, args):
                errors += 1
            latencies.append(time.perf_counter() - sent)
            due += period

    await asyncio.gather(*(client(k, c) for k, c in enumerate(calls)))
    out = _summary(latencies, errors, time.perf_counter() - start)
    cpu1 = _cpu_s(pid)
    if cpu0 is not None and cpu1 is not None and latencies:
        out["server_cpu_ms_per_call"] = round((cpu1 - cpu0) * 1e3 / len(latencies), 3)
    return out


async def _run(calls: list[Call], load: Load, pid: int | None) -> dict[str, Any]:
    await _phase(calls, load.mix, min(1.0, load.duration_s / 4), None, pid)
    saturation = await _phase(calls, load.mix, load.duration_s, None, pid)
    at_rate = await _phase(calls, load.mix, load.duration_s, load.rate, pid)
    at_rate["target_per_s"] = load.rate
    return {"clients": len(calls), "tools": [n for n, _ in load.mix], "saturation": saturation,
            "at_rate": at_rate,
            "meets_target": bool(saturation["calls_per_s"] >= TARGET["calls_per_s"]
                                 and at_rate["p99_ms"] is not None
                                 and at_rate["p99_ms"] < TARGET["p99_ms"]
                                 and not saturation["errors"] and not at_rate["errors"])}


async def _mcp_load(host: str, port: int, load: Load, pid: int | None) -> dict[str, Any]:
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {}}
    conns = [await HttpConn.open(host, port) for _ in range(load.clients)]
    ids = itertools.count(1)

    async def rpc(conn: HttpConn, name: str, args: dict[str, Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": next(ids), "method": "tools/call",
                "params": {"name": name, "arguments": args, "_meta": meta}}
        status, reply = await conn.request("POST", "/mcp", body, {
            "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "tools/call", "Mcp-Name": name})
        if status != 200 or not isinstance(reply, dict) or "result" not in reply:
            raise RuntimeError(f"MCP call {name} failed: HTTP {status}: {str(reply)[:300]}")
        return dict(reply["result"])

    episodes = []
    for conn in conns:
        started = await rpc(conn, "start_incident", {"scenario": load.scenario})
        episodes.append(started["structuredContent"]["episode_id"])

    def caller(conn: HttpConn, eid: str) -> Call:
        async def call(name: str, args: dict[str, Any]) -> bool:
            return not (await rpc(conn, name, {"episode_id": eid, **args})).get("isError")
        return call

    try:
        out = await _run([caller(c, e) for c, e in zip(conns, episodes, strict=True)],
                         load, pid)
        out["protocol"] = f"MCP streamable HTTP {MODERN}, JSON responses"
        return out
    finally:
        for conn, eid in zip(conns, episodes, strict=False):
            await rpc(conn, "end_incident", {"episode_id": eid})
        for conn in conns:
            await conn.close()


async def _openenv_load(host: str, port: int, load: Load, pid: int | None) -> dict[str, Any]:
    conns = [await WsConn.open(host, port, "/ws") for _ in range(load.clients)]

    async def send(conn: WsConn, message: dict[str, Any]) -> dict[str, Any]:
        await conn.send_json(message)
        reply = dict(await conn.recv_json())
        if reply.get("type") == "error":
            raise RuntimeError(f"OpenEnv error: {str(reply.get('data'))[:300]}")
        return reply

    for conn in conns:
        await send(conn, {"type": "reset", "data": {"scenario": load.scenario,
                                                    "max_steps": int(_BUDGET)}})

    def caller(conn: WsConn) -> Call:
        async def call(name: str, args: dict[str, Any]) -> bool:
            reply = await send(conn, {"type": "step", "data": {
                "type": "call_tool", "tool_name": name, "arguments": args}})
            return bool(reply["data"]["observation"]["ok"])
        return call

    try:
        out = await _run([caller(c) for c in conns], load, pid)
        out["protocol"] = "OpenEnv WebSocket /ws (step messages)"
        return out
    finally:
        for conn in conns:
            await conn.close()


def _face(args: list[str], python: str | None, drive: Any, load: Load) -> dict[str, Any]:
    try:
        server = ServerProcess(args, python=python)
        server.__enter__()
    except (RuntimeError, TimeoutError, OSError) as exc:
        return {"unavailable": str(exc).strip().splitlines()[-1][:300]}
    try:
        pid = server.proc.pid if server.proc else None
        return dict(asyncio.run(drive(server.host, server.port, load, pid)))
    finally:
        server.stop()


def bench_servers(duration_s: float = 5.0, clients: int = 32, rate: float = 1000.0,
                  scenario: str = SCENARIO, mcp_python: str | None = None,
                  openenv_python: str | None = None,
                  faces: tuple[str, ...] = ("mcp", "openenv"),
                  mix: tuple[tuple[str, dict[str, Any]], ...] = MIX) -> dict[str, Any]:
    """MCP-over-HTTP and OpenEnv-over-WebSocket figures (see the module docstring).

    ``mcp_python`` / ``openenv_python`` name the interpreter that has each face's extra
    (default: ``$WARROOM_MCP_PYTHON`` / ``$WARROOM_OPENENV_PYTHON``, else this one); ``mix``
    is the cycle of argument-free read calls each client makes. Keys: ``mcp_http``,
    ``openenv_ws``, ``target``.
    """
    mcp_python = mcp_python or os.environ.get("WARROOM_MCP_PYTHON")
    openenv_python = openenv_python or os.environ.get("WARROOM_OPENENV_PYTHON")
    load = Load(clients, duration_s, rate, scenario, mix)
    out: dict[str, Any] = {"target": dict(TARGET, clients=clients)}
    sessions = str(max(64, clients))
    if "mcp" in faces:
        out["mcp_http"] = _face(
            ["-m", "warroom.servers.mcp_server", "--transport", "http", "--max-open", sessions,
             "--max-steps", _BUDGET], mcp_python, _mcp_load, load)
    if "openenv" in faces:
        out["openenv_ws"] = _face(
            ["-m", "warroom.servers.openenv_app", "--max-sessions", sessions],
            openenv_python, _openenv_load, load)
    return out


def main() -> None:
    """``python -m warroom.servers.bench [--mcp-python P] [--openenv-python P]``: print JSON."""
    import argparse
    import json

    p = argparse.ArgumentParser(description="Benchmark the warroom servers on loopback.")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--mcp-python", default=None)
    p.add_argument("--openenv-python", default=None)
    p.add_argument("--faces", default="mcp,openenv")
    p.add_argument("--tools", default=",".join(n for n, _ in MIX),
                   help="comma-separated argument-free read tools to cycle through")
    a = p.parse_args()
    mix: tuple[tuple[str, dict[str, Any]], ...] = tuple((n, {}) for n in a.tools.split(","))
    print(json.dumps(bench_servers(a.duration, a.clients, a.rate, mcp_python=a.mcp_python,
                                   openenv_python=a.openenv_python,
                                   faces=tuple(a.faces.split(",")), mix=mix), indent=2))


if __name__ == "__main__":
    main()
