"""Log lines, sampled per minute from the physics and rendered in each technology's format.

Each minute a component logs a few lines: error lines drawn from its failure causes in
proportion to their rates, info lines at a steady trickle, and anything discrete that
happened then (restarts, config changes, crashes). Sampling is counter-based, so the same
minute always yields the same lines.

Lines reach search through the log pipeline: while a service's code writes more than the
node shippers forward (``log_volume_mult`` above ``SHIPPER_HEADROOM``), the pipeline falls
further behind and a search sees only what has been shipped (``shipping_delay_s``).
"""

from __future__ import annotations

from typing import Any

from .. import noise
from ..physics.snapshot import answer_status
from ..physics.stores import replica_serving
from ..topology import dep_prefix
from ..world import World
from . import fmt
from .messages import INFO_LINES, error_text

MAX_ERRORS_PER_MIN = 4
INFO_PER_MIN = 2
SHIPPER_HEADROOM = 4.0  # the shippers keep up with this many times a service's usual volume


def _client_ip(seed: int, *k: int) -> str:
    b = noise.bits(seed, *k)
    return f"10.{40 + b % 8}.{(b >> 8) % 256}.{(b >> 16) % 250 + 2}"


def _line(world: World, comp: Any, unix: float, level: str, msg: str, rid: str = "-") -> str:
    lang = comp.language
    if lang == "python":
        return f"{fmt.plain_time(unix, ' ', ',')} {level:<5} [{comp.name}] request_id={rid} {msg}"
    if lang == "java":
        thread = f"http-nio-8080-exec-{noise.bits(world.seed, int(unix)) % 200 + 1}"
        return (f"{fmt.plain_time(unix)} {level:>5} 1 --- [{thread}] c.shop.{comp.name}.Api "
                f": {msg}")
    if lang == "go":
        return (f'{{"level":"{level.lower()}","ts":"{fmt.iso(unix)}","service":"{comp.name}",'
                f'"request_id":"{rid}","msg":"{msg}"}}')
    if lang == "postgres":
        pid = 20000 + noise.bits(world.seed, int(unix)) % 40000
        return f"{fmt.plain_time(unix)} UTC [{pid}] {msg}"
    if lang == "redis":
        return f"1:M {fmt.nginx_time(unix)[:20].replace('/', ' ')} {msg}"
    if lang in ("kafka", "rabbitmq"):
        return f"[{fmt.plain_time(unix, ' ', ',')}] {level} {msg}"
    return f"{fmt.iso(unix)} {level} {msg}"


def minute_lines(world: World, name: str, t: float, span: float = 60.0
                 ) -> list[tuple[float, str, str]]:
    """(unix time, level, line) logged by ``name`` in the ``span`` seconds ending at ``t``."""
    return world.memo("logs", t, lambda: _minute_lines(world, name, t, span), name, span)


def _minute_lines(world: World, name: str, t: float, span: float
                  ) -> list[tuple[float, str, str]]:
    comp = world.topology[name]
    snap = world.snapshot(t)
    m = snap[name]
    st = world.at(t)
    cfg = st.services[name].config
    seed = world.seed
    minute = int(-(-t // 60))
    out: list[tuple[float, str, str]] = []
    kind = comp.kind
    if kind == "edge":
        return _nginx_lines(world, t, span) + _records(world, comp, t, span)
    causes = {k: v for k, v in m.causes.items() if v > 0}
    if kind in ("service", "gateway", "worker"):
        crashed = [p for p in m.pods if p.crash_message and p.crash_message != "OOMKilled"
                   and not p.ready]
        for i, p in enumerate(crashed[:2]):
            u = world.wallclock(t) - span * (0.9 - 0.2 * i)
            out.append((u, "ERROR", _line(world, comp, u, "ERROR",
                                          f"Traceback (most recent call last): ... "
                                          f"{p.crash_message}" if comp.language == "python"
                                          else f"fatal: {p.crash_message}", "-")))
        gc_msg = _gc_line(comp, m, st.services[name].mem_limit_mb)
        if gc_msg:
            u = world.wallclock(t) - span * 0.45
            out.append((u, "WARN", _line(world, comp, u, "WARN", gc_msg, "-")))
        total = sum(causes.values())
        n_err = 0 if total <= 0 else min(MAX_ERRORS_PER_MIN, 1 + int(total * 60 / 400))
        keys = sorted(causes)
        for i in range(n_err):
            r = noise.unit(seed, noise.sid(name), minute, i, 1) * total
            acc = 0.0
            cause = keys[-1]
            for k in keys:
                acc += causes[k]
                if r < acc:
                    cause = k
                    break
            ctx: dict[str, Any] = {"config": cfg}
            if cause.startswith("dep_error:"):
                ctx["status"] = answer_status(snap[cause.split(":", 1)[1]].causes)
            if cause.startswith("exception:"):
                ctx["entry"] = find_raise(_behaviors(world, name, t), cause)
            if cause.startswith("serialize:"):
                tgt = cause.split(":")[1]
                ctx["entry"] = next((b["dep_error"][tgt] for b in _behaviors(world, name, t)
                                     if tgt in b.get("dep_error", {})), {})
            msg, frames = error_text(comp.language, name, cause, ctx)
            u = world.wallclock(t) - span + noise.unit(seed, noise.sid(name), minute, i, 2) * span
            rid = noise.hexid(seed, 12, noise.sid(name), minute, i)
            out.append((u, "ERROR", _line(world, comp, u, "ERROR", msg, rid)))
            for f in frames[:2]:
                out.append((u, "ERROR", "    " + (f'File "/usr/local/lib/python3.12/site-packages/'
                                                   f"{f}" if ".py\"" in f else f)))
        if m.extra.get("cache_errors_rps", 0) > 0:
            u = world.wallclock(t) - span * 0.50
            host = next((v for k, v in cfg.items() if k.startswith("REDIS") and k.endswith(
                "_HOST")), "redis")
            why = "unavailable"
            for d in comp.deps:
                need = st.services[d.target].config.get("requirepass") if d.kind == "cache" \
                    else None
                if need is not None and cfg.get(f"{dep_prefix(d.target)}_AUTH") != need:
                    why = "rejected: WRONGPASS invalid username-password pair"
            out.append((u, "WARN", _line(world, comp, u, "WARN",
                                         f"cache {why} ({host}); falling back to database",
                                         "-")))
        if m.pool_waiting > 0 and comp.language == "python":
            u = world.wallclock(t) - span * 0.33
            out.append((u, "WARN", _line(world, comp, u, "WARN",
                                         f"db pool saturated in_use={m.pool_in_use:.0f}/"
                                         f"{m.pool_size} waiting={m.pool_waiting:.0f}", "-")))
    elif kind == "postgres":
        out.extend(_postgres_lines(world, name, t, causes, span))
    elif kind == "redis":
        for p in [p for p in m.pods if p.crash_message and not p.ready][:1]:
            u = world.wallclock(t) - span * 0.8
            out.append((u, "ERROR", _line(world, comp, u, "ERROR", p.crash_message)))
        cache = st.caches[name]
        if abs(world.wallclock(cache.restarted_at) - world.wallclock(t)) < 60 or (
                cache.restarted_at <= t < cache.restarted_at + 60):
            u = world.wallclock(cache.restarted_at)
            out.append((u, "INFO", _line(world, comp, u, "INFO",
                                         "* Ready to accept connections tcp")))
        if m.extra.get("evictions_per_s", 0) > 1:
            u = world.wallclock(t) - span * 0.67
            msg = (f"# evicted_keys rising: {m.extra['evictions_per_s']:.0f}/s "
                   f"(used_memory at maxmemory)")
            out.append((u, "WARN", _line(world, comp, u, "WARN", msg)))
    elif kind == "queue":
        lag = m.extra.get("lag_s", 0.0)
        if lag > 60:
            u = world.wallclock(t) - span * 0.25
            group = st.services[next(iter(st.topics.values())).consumer_service].config.get(
                "CONSUMER_GROUP", "workers")
            out.append((u, "WARN", _line(world, comp, u, "WARN",
                                         f"[GroupCoordinator] group {group} lag "
                                         f"{m.extra.get('depth', 0):.0f} messages "
                                         f"({lag:.0f}s behind)")))
    if kind in ("service", "gateway", "worker"):
        templates = INFO_LINES.get(comp.language, INFO_LINES["python"])
        for i in range(INFO_PER_MIN):
            tpl = noise.choice(seed, templates, noise.sid(name), minute, i, 3)
            msg = tpl.format(ms=int(m.mean_ms * (0.6 + noise.unit(seed, minute, i, 4))),
                             pool=m.pool_size // max(m.ready, 1),
                             active=int(m.pool_in_use / max(m.ready, 1)),
                             idle=max(0, int((m.pool_size - m.pool_in_use) / max(m.ready, 1))),
                             waiting=int(m.pool_waiting / max(m.ready, 1)))
            u = world.wallclock(t) - span + noise.unit(seed, noise.sid(name), minute, i, 5) * span
            out.append((u, "INFO", _line(world, comp, u, "INFO", msg,
                                         noise.hexid(seed, 12, minute, i, 6))))
        if any(b.get("log_volume_mult") for b in _behaviors(world, name, t)):
            u = world.wallclock(t) - span * 0.3
            out.append((u, "INFO", _line(world, comp, u, "INFO", REQUEST_DUMP.format(
                n=noise.bits(seed, noise.sid(name), minute, 7) % 90000 + 10000),
                noise.hexid(seed, 12, minute, 8))))
    return out + _records(world, comp, t, span)


REQUEST_DUMP = ('request dump: headers={{"content-type": "application/json", "x-request-id": '
                '"..."}} body={{"items": [...], "customer": {{...}}}} ({n} bytes)')


def shipping_delay_s(world: World, name: str, t: float) -> float:
    """How far behind the log pipeline is for ``name`` at ``t``: while its pods write ``v``
    times their usual volume and the shippers forward ``SHIPPER_HEADROOM`` times it, the
    backlog grows by ``1 - headroom / v`` seconds of log per second since that code went
    live; it drains once the code is gone."""
    st = world.at(t)
    svc = st.services.get(name)
    if svc is None or world.topology[name].kind not in ("service", "gateway", "worker"):
        return 0.0
    loud = [(float(b["log_volume_mult"]), st.releases[p.release].deployed_at)
            for p in svc.pods if p.alive(t) and p.release in st.releases
            for b in [st.releases[p.release].behavior] if b.get("log_volume_mult")]
    if not loud:
        return 0.0
    alive = sum(1 for p in svc.pods if p.alive(t))
    volume = 1.0 + sum(v - 1.0 for v, _ in loud) / max(alive, 1)
    if volume <= SHIPPER_HEADROOM:
        return 0.0
    since = min(at for _, at in loud)
    return (1.0 - SHIPPER_HEADROOM / volume) * max(0.0, t - since)


def _records(world: World, comp: Any, t: float, span: float) -> list[tuple[float, str, str]]:
    """Discrete things that happened to ``comp`` in the span (restarts, config changes)."""
    out: list[tuple[float, str, str]] = []
    for rec in world.records:
        if rec.source == comp.name and t - span <= rec.t < t:
            u = world.wallclock(rec.t)
            out.append((u, "INFO", _line(world, comp, u, "INFO", rec.text, "-")))
    return out


def _gc_line(comp: Any, m: Any, limit_mb: float) -> str | None:
    """What a runtime says when collection eats its CPU (heap near the limit)."""
    gc = m.extra.get("gc_factor", 1.0)
    if gc < 1.5:
        return None
    used = m.extra.get("heap_frac", 0.0) * limit_mb
    if comp.language == "java":
        return (f"[gc] Pause Full (G1 Compaction Pause) {used:.0f}M->{used * 0.97:.0f}M"
                f"({limit_mb:.0f}M) {180 * gc:.3f}ms; GC overhead {min(95, 12 * gc):.0f}%")
    if comp.language == "go":
        return f"GC forced: heap {used:.0f}MB near GOMEMLIMIT {limit_mb:.0f}MB; gc cpu " \
               f"{min(95, 12 * gc):.0f}%"
    return (f"gc: generation 2 collections took {min(95, 12 * gc):.0f}% of CPU; rss "
            f"{used:.0f}MB of {limit_mb:.0f}MB")


def find_raise(behaviors: list[dict[str, Any]], cause: str) -> dict[str, Any]:
    from ..physics.flow import find_raise as find

    return find(behaviors, cause)


def _behaviors(world: World, name: str, t: float) -> list[dict[str, Any]]:
    from ..physics.flow import service_behavior

    st = world.at(t)
    svc = st.services[name]
    return [service_behavior(st, svc, p.release) for p in svc.pods if p.alive(t)]


def _postgres_lines(world: World, name: str, t: float, causes: dict[str, float],
                    span: float) -> list[tuple[float, str, str]]:
    comp = world.topology[name]
    db = world.at(t).databases[name]
    out = []
    minute = int(-(-t // 60))
    for i, (cause, _) in enumerate(sorted(causes.items(), key=lambda kv: -kv[1])[:3]):
        u = world.wallclock(t) - span * 0.83 + i * 7
        reason = cause.split(":", 1)[1]
        msg = {"too_many_clients": "FATAL:  sorry, too many clients already",
               "lock_timeout": "ERROR:  canceling statement due to lock timeout",
               "statement_timeout": "ERROR:  canceling statement due to statement timeout",
               "disk_full": 'PANIC:  could not write to file "pg_wal/xlogtemp.188": '
                            "No space left on device"}.get(reason, "LOG:  connection reset")
        if reason.startswith("undefined_column."):
            msg = f'ERROR:  column "{reason.split(".", 1)[1]}" does not exist at character 42'

        out.append((u, "ERROR", _line(world, comp, u, "ERROR", msg)))
    snap = world.snapshot(t)
    m = snap[name]
    for q in db.queries.values():
        from ..physics.stores import query_cost_mult

        mult, _ = query_cost_mult(db, q.service)
        ms = q.base_ms * mult * (m.mean_ms / max(comp.base_latency_ms, 0.1))
        if ms > 500:
            u = world.wallclock(t) - span * 0.58
            out.append((u, "LOG", _line(world, comp, u, "LOG",
                                        f"LOG:  duration: {ms:.3f} ms  statement: {q.text}")))
    if db.replica_of and not replica_serving(db, world.at(t).services[name].config):
        u = world.wallclock(t) - span * 0.4
        out.append((u, "ERROR", _line(world, comp, u, "ERROR",
                                      "FATAL:  the database system is not accepting "
                                      "connections  DETAIL:  Hot standby mode is disabled.")))
    for tx in db.transactions:
        if tx.locks and tx.started_at < t - 60 and minute % 2 == 0:
            u = world.wallclock(t) - span * 0.17
            out.append((u, "LOG", _line(world, comp, u, "LOG",
                                        f"LOG:  process {tx.pid + 7} still waiting for "
                                        f"{tx.locks} after 1000.112 ms")))
    if minute % 5 == 0:
        u = world.wallclock(t) - span * 0.92
        out.append((u, "LOG", _line(world, comp, u, "LOG",
                                    "LOG:  checkpoint complete: wrote 1843 buffers (1.4%)")))
    return out


def _nginx_lines(world: World, t: float, span: float) -> list[tuple[float, str, str]]:
    snap = world.snapshot(t)
    st = world.at(t)
    seed = world.seed
    minute = int(-(-t // 60))
    out = []
    host = st.edge.cert_domain
    agents = ('"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"',
              '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0"', '"okhttp/4.12.0"')
    for ei, ep in enumerate(snap.endpoints):
        for i in range(2):
            r = noise.unit(seed, minute, ei, i, 7) * max(ep.rps, 1e-9)
            acc, code = 0.0, 200
            for c, v in sorted(ep.status.items()):
                acc += v
                if r < acc:
                    code = c
                    break
            u = world.wallclock(t) - span + noise.unit(seed, minute, ei, i, 8) * span
            rt = ep.p50_ms / 1000 * (0.5 + noise.unit(seed, minute, ei, i, 9))
            if code == 504:
                rt = max(rt, 2.0)
            ip = _client_ip(seed, minute, ei, i)
            ua = noise.choice(seed, agents, minute, ei, i)
            line = (f'{ip} - - [{fmt.nginx_time(u)}] "{ep.method} {ep.path} HTTP/1.1" {code} '
                    f'{180 if code >= 400 else 2048 + ei * 37} "-" {ua} rt={rt:.3f} '
                    f'upstream_status={code if code != 495 else "-"}')
            out.append((u, "INFO" if code < 500 else "ERROR", line))
    edge_name = world.topology.kind_of("edge")[0]
    edge = snap[edge_name]
    draining = next((p for p, u in st.edge.upstreams.items() if u.draining), "-")
    errors = {
        "tls": f"SSL_do_handshake() failed (SSL: error:0A000416:SSL routines::sslv3 alert "
               f"certificate expired) while SSL handshaking, server: {host}",
        "health_check": "no live upstreams while connecting to upstream, upstream: "
                        '"http://api_backend"',
        "upstream_draining": "connect() failed (111: Connection refused) while connecting to "
                             'upstream, upstream: "http://10.0.4.17:8080" (pool '
                             f"{draining})",
        "edge_conn_limit": f"{st.services[edge_name].config.get('WORKER_CONNECTIONS')} "
                           "worker_connections are not enough while connecting to upstream",
    }
    for c in edge.causes:
        if c.startswith("dns:"):
            up = str(st.services[edge.name].config.get(f"{dep_prefix(c[4:])}_HOST", ""))
            errors[c] = f"{up.rsplit(':', 1)[0]} could not be resolved (3: Host not found)"
    for i, cause in enumerate(c for c in edge.causes if c in errors):
        u = world.wallclock(t) - span * 0.75 + i * 5
        out.append((u, "ERROR", f"{fmt.plain_time(u, ' ', '.')[:19].replace('-', '/')} [error] "
                                f"31#31: *{48000 + minute * 7 + i} {errors[cause]}"))
    return out


def search(world: World, name: str, start: float, end: float, query: str | None,
           level: str | None, limit: int) -> tuple[list[tuple[float, str, str]], int]:
    """Matching lines newest first (at most ``limit``) and how many matched in total: the
    lines the log pipeline has shipped by ``end``."""
    end -= shipping_delay_s(world, name, end)
    if end <= start:
        return [], 0
    lines: list[tuple[float, str, str]] = []
    t = (end // 60) * 60
    if end > t:
        lines.extend(minute_lines(world, name, end, end - t))
    while t > start:
        lines.extend(minute_lines(world, name, t))
        t -= 60
    q = (query or "").lower()
    lv = (level or "").upper()
    hits = [ln for ln in lines if (not q or q in ln[2].lower()) and (
        not lv or ln[1] == lv or (lv == "WARN" and ln[1] == "WARNING"))]
    hits.sort(key=lambda ln: -ln[0])
    return hits[:limit], len(hits)
