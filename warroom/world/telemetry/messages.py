"""What each failure mechanism looks like in each technology's own words.

``error_text(language, cause, ctx)`` returns the log message and stack frames a service
written in ``language`` emits when a request fails for ``cause`` (a mechanism from the
physics: pool timeout, dependency timeout, refused connection...), never a fault label.
"""

from __future__ import annotations

from typing import Any

from ..topology import dep_prefix

PY_FRAMES = {
    "pool": ["sqlalchemy/pool/impl.py\", line 159, in _do_get",
             "sqlalchemy/engine/base.py\", line 3298, in raw_connection"],
    "http": ["httpx/_transports/default.py\", line 118, in map_httpcore_exceptions",
             "httpx/_client.py\", line 1014, in _send_single_request"],
    "db": ["psycopg2/extras.py\", line 236, in execute"],
}


REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}


def error_text(lang: str, service: str, cause: str, ctx: dict[str, Any]) -> tuple[str, list[str]]:
    """(message, stack frames) for a failed request at ``service``."""
    kind, _, target = cause.partition(":")
    cfg = ctx.get("config", {})
    host = str(cfg.get(f"{dep_prefix(target)}_HOST", target)) if target else ""
    tmo = cfg.get(f"{dep_prefix(target)}_TIMEOUT_MS", 2000) if target else 0
    pool = cfg.get("DB_POOL_SIZE", 20)
    pool_tmo = cfg.get("DB_POOL_TIMEOUT_MS", 3000)
    py, java, go = lang == "python", lang == "java", lang == "go"
    if kind == "pool_timeout":
        if java:
            return (f"java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not "
                    f"available, request timed out after {pool_tmo}ms.",
                    ["at com.zaxxer.hikari.pool.HikariPool.createTimeoutException"
                     "(HikariPool.java:696)",
                     "at com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)"])
        if go:
            return "pgxpool: acquire connection: context deadline exceeded", []
        return (f"sqlalchemy.exc.TimeoutError: QueuePool limit of size {pool} overflow 0 reached, "
                f"connection timed out, timeout {float(pool_tmo) / 1000:.2f}", PY_FRAMES["pool"])
    if kind == "dep_timeout":
        if java:
            return (f"java.net.SocketTimeoutException: Read timed out calling {host} "
                    f"after {tmo}ms", ["at java.base/sun.nio.ch.NioSocketImpl.timedRead"
                                       "(NioSocketImpl.java:288)"])
        if go:
            return f"call {target}: context deadline exceeded (Client.Timeout {tmo}ms)", []
        return f"httpx.ReadTimeout: timed out after {tmo}ms calling http://{host}", PY_FRAMES[
            "http"]
    if kind == "dep_error":
        status = int(ctx.get("status", 503))
        return (f"upstream {target} responded {status} {REASONS.get(status, 'Error')} ({host})",
                PY_FRAMES["http"] if py else [])
    if kind == "conn_refused":
        if java:
            return f"java.net.ConnectException: Connection refused ({host})", [
                "at java.base/sun.nio.ch.Net.connect0(Native Method)"]
        if go:
            return f"dial tcp {host}: connect: connection refused", []
        return f"ConnectionRefusedError: [Errno 111] Connection refused ({host})", PY_FRAMES["http"]
    if kind == "dns":
        name = host.rsplit(":", 1)[0]
        if java:
            return f"java.net.UnknownHostException: {name}: Name or service not known", []
        if go:
            return f"dial tcp: lookup {name}: no such host", []
        return f"socket.gaierror: [Errno -2] Name or service not known ('{name}')", []
    if kind == "db_error" and target.startswith("undefined_column."):
        col = target.split(".", 1)[1]
        if java:
            return f'org.postgresql.util.PSQLException: ERROR: column "{col}" does not exist', [
                "at org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse"
                "(QueryExecutorImpl.java:2713)"]
        if go:
            return f'pgx: column "{col}" does not exist (SQLSTATE 42703)', []
        return (f'psycopg2.errors.UndefinedColumn: column "{col}" does not exist',
                PY_FRAMES["db"])
    if kind == "stale_read":
        if java:
            return "javax.persistence.EntityNotFoundException: record written moments ago " \
                   "not found on read", []
        if go:
            return "record not found (read after write returned no rows)", []
        return ("NotFoundError: row created by this request's previous step returned no rows "
                "on read", [])
    if kind == "db_error":
        msg = {"too_many_clients": "FATAL:  sorry, too many clients already",
               "lock_timeout": "ERROR:  canceling statement due to lock timeout",
               "statement_timeout": "ERROR:  canceling statement due to statement timeout",
               "disk_full": 'ERROR:  could not extend file "base/16384/24611": No space left on '
                            "device"}.get(target, "ERROR:  server closed the connection")
        if java:
            return f"org.postgresql.util.PSQLException: {msg.split(':  ', 1)[1]}", [
                "at org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse"
                "(QueryExecutorImpl.java:2713)"]
        if go:
            return f"pgx: {msg.split(':  ', 1)[1]} (SQLSTATE 57014)", []
        return f"psycopg2.OperationalError: {msg}", PY_FRAMES["db"]
    if kind == "overload":
        return ("request queue full; shedding load (503)" if not java else
                "java.util.concurrent.RejectedExecutionException: Task rejected from "
                "ThreadPoolExecutor[Running, pool size = 200, active threads = 200]"), []
    if kind == "threads":
        if py:
            return f"[CRITICAL] WORKER TIMEOUT (pid:{ctx.get('pid', 41)})", []
        return "all worker threads busy; rejecting request", []
    if kind == "exception":
        entry = ctx.get("entry", {})
        frame = str(entry.get("frame", f"{service}/app.py:120 in handle"))
        return str(entry.get("exc", "RuntimeError: unexpected error")), [frame]
    if kind == "serialize":
        entry = ctx.get("entry", {})
        return str(entry.get("exc", f"TypeError: Object of type Decimal is not JSON "
                                    f"serializable (payload to {target})")), []
    if kind == "maintenance":
        return "maintenance mode is enabled; returning 503 to all requests", []
    if kind == "rate_limited":
        return f"rate limit exceeded ({cfg.get('RATE_LIMIT_RPS')} rps); returning 429", []
    if kind == "provider_401":
        return "PaymentProviderException: 401 Unauthorized - API key expired", [
            "at com.shop.payments.provider.Client.authorize(Client.java:142)"]
    if kind == "provider_429":
        return "PaymentProviderException: 429 Too Many Requests - rate limit reached", [
            "at com.shop.payments.provider.Client.authorize(Client.java:142)"]
    if kind == "provider_5xx":
        return "PaymentProviderException: 503 Service Unavailable from api.payprovider.example", [
            "at com.shop.payments.provider.Client.authorize(Client.java:142)"]
    if kind == "cache_error" and target == "wrongpass":
        if go:
            return "redis: WRONGPASS invalid username-password pair or user is disabled.", []
        return ("redis.exceptions.AuthenticationError: WRONGPASS invalid username-password "
                "pair or user is disabled.", [])
    if kind == "cache_error":
        return "redis.exceptions.AuthenticationError: NOAUTH Authentication required.", []
    if kind == "mtls":  # the callee refused this caller's expired client certificate
        if java:
            return (f"javax.net.ssl.SSLHandshakeException: Received fatal alert: "
                    f"certificate_expired (calling https://{host})", [])
        if go:
            return f"call {target}: remote error: tls: expired certificate ({host})", []
        return (f"ssl.SSLError: [SSL: SSLV3_ALERT_CERTIFICATE_EXPIRED] sslv3 alert certificate "
                f"expired calling https://{host}", PY_FRAMES["http"])
    if kind == "no_ready_pods":
        return "no healthy upstream", []
    return f"request failed: {cause}", []


INFO_LINES = {
    "python": ("GET /healthz 200 0.8ms", "request completed status=200 duration_ms={ms}",
               "cache lookup hit=true key=sess:*", "background flush complete records=128"),
    "java": ("Completed 200 OK in {ms}ms", "HikariPool-1 - Pool stats (total={pool}, "
             "active={active}, idle={idle}, waiting={waiting})", "Started health check thread"),
    "go": ("handled request status=200 duration={ms}ms", "refreshed jwks keys=4",
           "gc cycle complete heap_mb=212"),
}
