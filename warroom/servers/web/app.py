"""The Starlette app: pages for runs, replays and live incidents (see ``__init__``).

Paths: ``/`` leaderboard of every run, ``/compare?a=&b=`` two runs side by side,
``/runs/<run>`` one run, ``/runs/<run>/episodes/<i>?step=K`` a replay, ``/live`` the
browser session's live incident (``/live/start``, ``/live/call``, ``/live/events``).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...agents.base import POLICIES
from ...harness.policies import BUILTIN
from ...harness.report import breakdown_html, leaderboard_html
from ...scenarios import generate
from ...scenarios.files import ScenarioFileError, load
from ...tools.registry import REGISTRY, load_all
from .charts import svg
from .forms import arguments_from_form, tool_forms
from .live import Live, LiveError, LiveHub
from .replay import ReplayCache
from .runs import NotFound, RunIndex, RunView

SESSION_COOKIE = "warroom_live"
UPLOAD_LIMIT = 256 * 1024


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _ci(e: dict[str, Any] | None) -> Markup:
    if not e:
        return Markup("-")
    lo, hi = e["success_ci"]
    return Markup(f"{_pct(e['success_rate'])} <span class='ci'>[{lo:.0%}, {hi:.0%}]</span>")


def _brief(value: Any, limit: int = 140) -> str:
    """JSON of ``value``, cut to ``limit`` characters (the lanes show calls in short)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _env() -> Environment:
    env = Environment(loader=PackageLoader("warroom.servers.web", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.filters["pct"] = _pct
    env.filters["ci"] = _ci
    env.filters["svg"] = lambda chart, cursor=None: Markup(svg(chart, cursor))
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, default=str)
    env.filters["brief"] = _brief
    env.filters["num"] = lambda v, f="{:.2f}": "-" if v is None else f.format(v)
    return env


class WebApp:
    """Holds the run index, replay cache and live hub behind the routes."""

    def __init__(self, runs: Path, policy_delay_s: float = 0.5, max_sessions: int = 32) -> None:
        self.index = RunIndex(runs)
        self.replays = ReplayCache()
        self.hub = LiveHub(max_sessions=max_sessions, policy_delay_s=policy_delay_s)
        self.env = _env()
        load_all()

    def page(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(template).render(**ctx), status)

    # -- runs --------------------------------------------------------------------------
    async def leaderboard(self, request: Request) -> Response:
        runs = await asyncio.to_thread(self.index.all)
        tiers = list(dict.fromkeys(t for v in runs for t in v.tiers))
        families = sorted({str(g["family"]) for v in runs
                           for g in v.summary["groups"]["policy_family"]})
        llm = any(e.get("mean_tokens") for v in runs for e in v.summary["leaderboard"])
        team = any(r.get("team") for v in runs for r in v.records)
        return self.page("index.html", runs=runs, tiers=tiers, families=families, llm=llm,
                         team=team, root=str(self.index.root))

    async def compare(self, request: Request) -> Response:
        a = self._run(request.query_params.get("a", ""))
        b = self._run(request.query_params.get("b", ""))
        rows = []
        for p in dict.fromkeys(a.policies + b.policies):
            ea = next((e for e in a.summary["leaderboard"] if e["policy"] == p), None)
            eb = next((e for e in b.summary["leaderboard"] if e["policy"] == p), None)
            delta = (eb["success_rate"] - ea["success_rate"]) if ea and eb else None
            rows.append({"policy": p, "a": ea, "b": eb, "delta": delta})
        return self.page("compare.html", a=a, b=b, rows=rows,
                         board_a=Markup(leaderboard_html(a.summary["leaderboard"])),
                         board_b=Markup(leaderboard_html(b.summary["leaderboard"])))

    def _run(self, name: str) -> RunView:
        return self.index.get(name)

    async def run_page(self, request: Request) -> Response:
        view = await asyncio.to_thread(self._run, request.path_params["run"])
        groups = view.summary["groups"]
        return self.page(
            "run.html", run=view,
            board=Markup(leaderboard_html(view.summary["leaderboard"])),
            by_tier=Markup(breakdown_html(groups["policy_tier"], "tier", view.policies)),
            by_family=Markup(breakdown_html(groups["policy_family"], "family",
                                            view.policies)))

    async def replay_page(self, request: Request) -> Response:
        view = await asyncio.to_thread(self._run, request.path_params["run"])
        raw = request.path_params["i"]
        if not raw.isdigit():
            raise NotFound(f"episode {raw!r} of run {view.name!r}",
                           [f"/runs/{view.name}/episodes/{i}"
                            for i in range(len(view.records))])
        i = int(raw)
        record = self.index.episode(view, i)
        trace = view.run.path / str(record.get("trace", ""))
        stamp = trace.stat().st_mtime_ns if trace.is_file() else 0
        replay = await asyncio.to_thread(
            self.replays.get, (str(view.run.path), record["key"], stamp), record,
            lambda: view.run.trace(record))
        steps = replay.steps
        try:
            k = int(request.query_params.get("step", "1" if steps else "0"))
        except ValueError:
            k = 1
        k = max(0, min(k, len(steps)))
        cursor = float(steps[k - 1]["t"]) if k else 0.0
        result = record.get("result") or {}
        return self.page("replay.html", run=view, i=i, record=record, steps=steps, k=k,
                         replay=replay, cursor=cursor, result=result,
                         current=steps[k - 1] if k else None,
                         team=result.get("team") if replay.lanes else None)

    # -- live --------------------------------------------------------------------------
    def _session(self, request: Request) -> tuple[str, bool]:
        sid = request.cookies.get(SESSION_COOKIE)
        return (sid, False) if sid else (self.hub.new_session_id(), True)

    def _with_cookie(self, response: Response, sid: str, new: bool) -> Response:
        if new:
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict")
        return response

    async def live_page(self, request: Request, message: str | None = None,
                        status: int = 200) -> Response:
        sid, new = self._session(request)
        live = self.hub.get(sid)
        ctx: dict[str, Any] = {"live": live, "message": message,
                               "policies": [p for p in BUILTIN if p in POLICIES] or
                               list(BUILTIN), "scenarios": _catalog_ids()}
        if live is not None:
            charts = await asyncio.to_thread(live.charts)
            ctx.update(forms=tool_forms(), charts=charts, alerts=live.alerts(),
                       cursor=live.steps[-1]["t"] if live.steps else 0.0)
        return self._with_cookie(self.page("live.html", status, **ctx), sid, new)

    async def live_start(self, request: Request) -> Response:
        sid, new = self._session(request)
        form = await request.form()
        policy = str(form.get("policy") or "") or None
        try:
            seed = int(str(form.get("seed") or "0"))
        except ValueError:
            seed = 0
        upload = form.get("file")
        try:
            if isinstance(upload, UploadFile) and upload.filename:
                scenario = await _uploaded_scenario(upload)
            else:
                from ...scenarios import get

                name = str(form.get("scenario") or "").strip()
                try:
                    scenario = get(name)
                except KeyError as exc:
                    raise LiveError(str(exc.args[0]) if exc.args else str(exc)) from None
            if policy and policy not in BUILTIN:
                raise LiveError(f"unknown policy {policy!r}; valid: {', '.join(BUILTIN)}")
            await asyncio.to_thread(self.hub.start, sid, scenario, seed, policy)
        except (LiveError, ScenarioFileError) as exc:
            request.cookies[SESSION_COOKIE] = sid
            resp = await self.live_page(request, str(exc), 400)
            return self._with_cookie(resp, sid, new)
        return self._with_cookie(RedirectResponse("/live", 303), sid, new)

    async def live_call(self, request: Request) -> Response:
        sid, _ = self._session(request)
        live = self.hub.get(sid)
        if live is None:
            return await self.live_page(request, "no live incident in this browser session; "
                                                 "start one first", 400)
        form = await request.form()
        name = str(form.get("tool") or "")
        spec = REGISTRY.get(name)
        if spec is None:
            return await self.live_page(request, f"unknown tool {name!r}", 400)
        fields = {k: str(v) for k, v in form.items() if k != "tool" and isinstance(v, str)}
        args, problems = arguments_from_form(spec, fields)
        if problems:
            return await self.live_page(request, "; ".join(problems), 400)
        try:
            await asyncio.to_thread(self.hub.call, live, name, args)
        except LiveError as exc:
            return await self.live_page(request, str(exc), 400)
        return RedirectResponse(f"/live#step-{len(live.steps)}", 303)

    async def live_events(self, request: Request) -> Response:
        sid, _ = self._session(request)
        live = self.hub.get(sid)
        if live is None:
            return Response("no live incident in this session", 404)
        try:
            seen = int(request.query_params.get("after", "0"))
        except ValueError:
            seen = 0
        return StreamingResponse(_events(live, seen), media_type="text/event-stream",
                                 headers={"cache-control": "no-store"})

    async def live_state(self, request: Request) -> Response:
        sid, _ = self._session(request)
        live = self.hub.get(sid)
        if live is None:
            return JSONResponse({"live": False})
        return JSONResponse({"live": True, "steps": len(live.steps), "done": live.done,
                             "clock": live.clock, "policy": live.policy})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotFound):
            return self.page("missing.html", 404, what=exc.what, available=exc.available)
        status = getattr(exc, "status_code", 404)
        return self.page("missing.html", status, what=f"page {request.url.path}",
                         available=["/", "/live", *[f"/runs/{n}" for n in self.index.names()]])


async def _events(live: Live, seen: int) -> Any:
    """Server-sent events: one ``step`` per new step, then ``done``."""
    yield ": connected\n\n"
    while True:
        while seen < len(live.steps):
            s = live.steps[seen]
            seen += 1
            yield f"event: step\ndata: {json.dumps(s, default=str)}\n\n"
        if live.done:
            yield f"event: done\ndata: {json.dumps({'error': live.error})}\n\n"
            return
        await asyncio.to_thread(_wait, live, seen)


def _wait(live: Live, seen: int) -> None:
    with live.changed:
        if len(live.steps) <= seen and not live.done:
            live.changed.wait(timeout=1.0)


async def _uploaded_scenario(upload: UploadFile) -> Any:
    data = await upload.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        raise LiveError(f"{upload.filename}: scenario files are at most "
                        f"{UPLOAD_LIMIT // 1024} KiB")
    name = Path(upload.filename or "scenario.yaml").name
    if not name.endswith((".yaml", ".yml", ".json")):
        raise LiveError(f"{name}: a scenario file must end in .yaml, .yml or .json")
    with tempfile.TemporaryDirectory(prefix="warroom-web-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return load(path)


DEFAULT_SCENARIO = "db_connection_leak/checkout/medium/v3"
_CATALOG: list[str] = []


def _warm_catalog() -> None:
    """Fill the scenario picker's suggestions (building the catalog takes seconds)."""
    ids = [s.id for s in generate(tier="easy")][:200]
    _CATALOG.extend(i for i in ids if i != DEFAULT_SCENARIO)


def _catalog_ids() -> list[str]:
    return [DEFAULT_SCENARIO, *_CATALOG]


def create_app(runs: Path | str = "runs", token: str | None = None,
               policy_delay_s: float = 0.5, max_sessions: int = 32) -> Any:
    """The ASGI app; with ``token`` every page but ``/health`` needs it."""
    web = WebApp(Path(runs), policy_delay_s, max_sessions)
    if not _CATALOG:
        threading.Thread(target=_warm_catalog, daemon=True, name="warroom-web-catalog").start()
    static = Path(__file__).with_name("static")
    routes = [
        Route("/", web.leaderboard), Route("/compare", web.compare),
        Route("/runs/{run}", web.run_page), Route("/runs/{run}/episodes/{i}", web.replay_page),
        Route("/live", web.live_page), Route("/live/start", web.live_start, methods=["POST"]),
        Route("/live/call", web.live_call, methods=["POST"]),
        Route("/live/events", web.live_events), Route("/live/state", web.live_state),
        Route("/health", web.health), Mount("/static", StaticFiles(directory=static)),
    ]
    app: Any = Starlette(routes=routes, exception_handlers={
        NotFound: web.not_found, HTTPException: web.not_found})
    app.state.web = web
    if token:
        from .auth import TokenGate

        app = TokenGate(app, token)
    return app


def serve(host: str, port: int, runs: Path | str, token: str | None) -> None:
    """Run the app with uvicorn (refuses a non-loopback host without a token)."""
    import uvicorn

    from ..auth import check_exposure

    check_exposure(host, token)
    print(f"warroom web on http://{host}:{port}/  (runs from {Path(runs).resolve()})")
    uvicorn.run(create_app(runs, token), host=host, port=port, log_level="warning")
