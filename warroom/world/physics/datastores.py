"""Datastores and the queue inside the flow solver: PostgreSQL as each client sees it,
Redis hit ratios and refusals, queue publish/consume rates and depth, and the external
provider. A mixin of ``flow._Solver``: it reads the solver's per-pass state."""

from __future__ import annotations

from typing import Any

from ..state import State
from ..topology import Component, Topology, canonical_host, dep_prefix
from . import stores
from .snapshot import ComponentMetrics


class DatastoreFlow:
    """Solver steps for stores; the attributes below are owned by ``flow._Solver``."""

    t: float
    topo: Topology
    st: State
    m: dict[str, ComponentMetrics]
    behaviors: dict[str, list[dict[str, Any]]]
    rate: dict[str, float]
    amplify: dict[tuple[str, str], float]
    hit: dict[str, float]
    db_views: dict[tuple[str, str], stores.DbView]

    def mean_b(self, name: str, key: str, default: float = 1.0) -> float:
        raise NotImplementedError

    def miss_db_calls(self, c: Component, kind: str, target: str) -> float:
        raise NotImplementedError

    def db_cost(self, db: Any, caller: str) -> tuple[float, float]:
        raise NotImplementedError

    def db_broken(self, db: Any, caller: str) -> tuple[float, str]:
        raise NotImplementedError

    def client_hit(self, c: Component, cache: str) -> float:
        """The cache hit ratio one client gets: none if it cannot reach or log in to it."""
        h = self.hit.get(cache, self.st.caches[cache].warm_hit_ratio)
        host = str(self.st.services[c.name].config.get(f"{dep_prefix(cache)}_HOST", ""))
        if host != canonical_host(self.topo, c, cache) or self.cache_refusal(c, cache):
            return 0.0
        return h

    def cache_refusal(self, c: Component, cache: str) -> str | None:
        """Why ``cache`` rejects every command from ``c`` (wrong host, wrong password)."""
        cfg = self.st.services[c.name].config
        prefix = dep_prefix(cache)
        if str(cfg.get(f"{prefix}_HOST", "")) != canonical_host(self.topo, c, cache):
            return None  # reported by ``call`` as a connection failure
        need = self.st.services[cache].config.get("requirepass")
        if need is not None and cfg.get(f"{prefix}_AUTH") != need:
            return "cache_error:wrongpass"
        return None

    def consume_rate(self, worker: Component) -> float:
        topic = next((tp for tp in self.st.topics.values() if tp.consumer_service == worker.name),
                     None)
        if topic is None:
            return 0.0
        cap = self.consume_capacity(worker)
        pub = self.publish_rate(topic.queue)
        depth = stores.queue_depth(topic, pub, cap, self.t)
        return (cap if depth > 0 else min(pub, cap)) / self.useful_share(worker)

    def consume_capacity(self, worker: Component) -> float:
        """Messages per second the consumers finish for good (duplicates excluded)."""
        m = self.m[worker.name]
        svc = self.st.services[worker.name]
        threads = svc.config.get("WORKER_THREADS", worker.threads)
        threads = threads if isinstance(threads, int) else worker.threads
        ms = m.extra.get("service_ms") or worker.base_latency_ms
        by_threads = m.ready * threads * 1000.0 / max(ms, 1.0)
        cpu_ms = worker.cpu_ms_per_req * self.mean_b(worker.name, "cpu_mult")
        by_cpu = 0.85 * m.ready * svc.cpu_millicores / max(cpu_ms, 1e-6)
        return min(by_threads, by_cpu) * self.useful_share(worker)

    def useful_share(self, worker: Component) -> float:
        """Share of processing that is not a duplicate: a consumer takes ``BATCH_SIZE``
        messages at once; those not acked within the visibility timeout reappear and are
        processed again by another consumer."""
        cfg = self.st.services[worker.name].config
        vis = cfg.get("VISIBILITY_TIMEOUT_S", 60)
        batch = cfg.get("BATCH_SIZE", 1)
        if not isinstance(vis, int | float) or not isinstance(batch, int | float):
            return 1.0
        ms = self.m[worker.name].extra.get("service_ms") or worker.base_latency_ms
        batch_ms = max(float(batch), 1.0) * ms
        return min(1.0, max(float(vis), 0.05) * 1000.0 / batch_ms)

    def publish_rate(self, queue: str) -> float:
        total = 0.0
        for c in self.topo.components:
            for d in c.deps:
                if d.kind == "publish" and d.target == queue:
                    m = self.m[c.name]
                    total += (m.served_rps or self.rate.get(c.name, 0.0)) * d.calls * \
                        self.mean_b(c.name, "publish_mult")
        return total

    # -- stores ---------------------------------------------------------------------------
    def caches(self) -> None:
        for name, cache in self.st.caches.items():
            cfg = self.st.services[name].config
            up = self.m[name].ready > 0
            self.hit[name] = stores.cache_hit_ratio(cache, cfg, self.t) if up else 0.0

    def postgres(self, c: Component) -> None:
        st, t, m = self.st, self.t, self.m[c.name]
        db = st.databases[c.name]
        cfg = st.services[c.name].config
        m.rps = self.rate[c.name]
        if m.ready == 0 or (db.replica_of and not stores.replica_serving(db, cfg)):
            for caller in self.topo.callers_of(c.name):
                self.db_views[(caller, c.name)] = stores.DbView(0.0, 1.0, "conn_refused")
            m.extra.update(connections=0.0, disk_used_gb=stores.disk_used_gb(db, st.since, t))
            return
        cron = sum(j.db_cpu_share for j in db.jobs.values() if j.enabled and j.db_cpu_share > 0)
        clients = self.topo.callers_of(c.name)
        cost_total = 0.0
        calls_of = {}  # the callers' loads hold still while this store is solved
        for caller in clients:
            mult, _ = self.db_cost(db, caller)
            calls_of[caller] = self._db_calls(caller, c.name)
            cost_total += calls_of[caller] * mult
            cost_total += self._miss_calls(caller, c.name) * (stores.MISS_COST - 1.0)
        cron += sum(tx.cpu_share for tx in db.transactions)
        rho = cost_total * c.cpu_ms_per_req / st.services[c.name].cpu_millicores + cron
        m.cpu_util = min(rho, 1.0)
        rho_q = min(rho, 0.97)
        queue_mult = 1.0 + rho_q ** 4 / (1.0 - rho_q)
        over = max(0.0, 1.0 - 1.0 / rho) if rho > 1.0 else 0.0
        max_conn = float(cfg.get("max_connections", 300))
        conns = 0.0
        for caller in clients:
            cm, cs = self.m[caller], st.services[caller]
            pool = float(cs.config.get("DB_POOL_SIZE", 10))
            if cs.config.get("DB_POOL_PREFILL") is True:  # whole pools, and pods retrying
                conns += pool * (cm.ready + stores.PREFILL_RETRY_SHARE * (
                    len(cm.pods) - cm.ready))
                continue
            conns += cm.ready * min(pool, max(pool * 0.5, cm.pool_in_use / max(cm.ready, 1)))
        conns += len(db.transactions) + sum(1 for j in db.jobs.values() if j.db_cpu_share > 0)
        refused = max(0.0, 1.0 - max_conn / conns) if conns > max_conn else 0.0
        disk = stores.disk_used_gb(db, st.since, t)
        disk_full = disk >= float(cfg.get("disk_gb", 500))
        lag = stores.replica_lag_s(db, st.since, t, st.databases.get(db.replica_of)) \
            if db.replica_of else 0.0
        m.extra.update(connections=min(conns, max_conn), connections_wanted=conns,
                       max_connections=max_conn, disk_used_gb=min(disk, float(
                           cfg.get("disk_gb", 500))), replication_lag_s=lag,
                       cron_cpu=cron)
        lat_all = 0.0
        for caller in clients:
            mult, blocked = self.db_cost(db, caller)
            lat = c.base_latency_ms * mult * queue_mult
            fail, cause = 0.0, "db_error:ok"
            if blocked > 0:
                lat = lat * (1 - blocked) + stores.LOCK_TIMEOUT_MS * blocked
                fail, cause = blocked, "db_error:lock_timeout"
            if lat > stores.STATEMENT_TIMEOUT_MS or over > 0:
                f = max(over, 0.5 if lat > stores.STATEMENT_TIMEOUT_MS else 0.0)
                fail, cause = max(fail, f), "db_error:statement_timeout"
                lat = min(lat, stores.STATEMENT_TIMEOUT_MS)
            if refused > fail:
                fail, cause = refused, "db_error:too_many_clients"
            if disk_full and not db.replica_of:
                wf = stores.WRITE_SHARE
                fail, cause = 1 - (1 - fail) * (1 - wf), "db_error:disk_full"
            broken, column = self.db_broken(db, caller)
            if broken > 0:
                if broken >= fail:
                    cause = f"db_error:undefined_column.{column}"
                fail = 1 - (1 - fail) * (1 - broken)
            stale = 0.0
            if lag > stores.STALE_READ_LAG_S:  # reads miss rows the primary just wrote
                stale = min(0.6, (lag - stores.STALE_READ_LAG_S) / 600.0)
            view_fail = 1 - (1 - fail) * (1 - stale)
            self.db_views[(caller, c.name)] = stores.DbView(
                lat, min(view_fail, 1.0), cause if stale <= fail else "stale_read")
            calls = calls_of[caller]
            lat_all += lat * calls
            m.error_rps += fail * calls
            if fail > 0:
                m.add_cause(cause, fail * calls)
        m.mean_ms = lat_all / m.rps if m.rps > 0 else c.base_latency_ms * queue_mult
        m.p99_ms = m.mean_ms * 3.0
        m.served_rps = m.rps - m.error_rps

    def _miss_calls(self, caller: str, db: str) -> float:
        """Queries per second sent to ``db`` because the cache missed (they cost more)."""
        c = self.topo[caller]
        served = self.m[caller].served_rps or self.rate[caller]
        misses = sum(self.miss_db_calls(c, d.kind, d.target) for d in c.deps if d.target == db)
        return served * misses * self.amplify.get((caller, db), 1.0)

    def _db_calls(self, caller: str, db: str) -> float:
        c = self.topo[caller]
        served = self.m[caller].served_rps or self.rate[caller]
        total = 0.0
        for d in c.deps:
            if d.target == db:
                total += d.calls * self.mean_b(caller, "db_calls_mult") + self.miss_db_calls(
                    c, d.kind, d.target)
        return served * total * self.amplify.get((caller, db), 1.0)

    def redis(self, c: Component) -> None:
        m, cache = self.m[c.name], self.st.caches[c.name]
        m.rps = self.rate[c.name]
        h = self.hit[c.name]
        m.extra.update(hit_ratio=h, keyspace_mb=cache.keyspace_mb,
                       maxmemory_mb=stores.parse_mb(self.st.services[c.name].config.get(
                           "maxmemory", "6gb")))
        evict = max(0.0, 1.0 - m.extra["maxmemory_mb"] / max(cache.keyspace_mb, 1.0))
        m.extra["evictions_per_s"] = m.rps * (1 - h) * evict if cache.up else 0.0
        if not cache.up or m.ready == 0:
            m.error_rps = m.rps
            m.add_cause("conn_refused", m.rps)
        elif not cache.password_valid:
            m.error_rps = m.rps
            m.add_cause("cache_error:noauth", m.rps)
        m.mean_ms = c.base_latency_ms
        m.p99_ms = c.base_latency_ms * 4
        m.served_rps = m.rps - m.error_rps
        m.cpu_util = min(1.0, m.rps * c.cpu_ms_per_req / self.st.services[c.name].cpu_millicores)

    def queue(self, c: Component) -> None:
        m = self.m[c.name]
        topic = next((tp for tp in self.st.topics.values() if tp.queue == c.name), None)
        pub = self.publish_rate(c.name)
        m.rps = pub
        m.served_rps = pub
        m.mean_ms = c.base_latency_ms
        m.p99_ms = c.base_latency_ms * 3
        if topic is not None:
            worker = self.topo[topic.consumer_service]
            cap = self.consume_capacity(worker)
            depth = stores.queue_depth(topic, pub, cap, self.t)
            consumed = cap if depth > 0 else min(pub, cap)
            useful = self.useful_share(worker)
            m.extra.update(depth=depth, publish_rps=pub, consume_rps=consumed,
                           consumer_capacity_rps=cap,
                           lag_s=depth / consumed if consumed > 0 else (depth and 86400.0),
                           redelivered_rps=consumed * (1.0 / useful - 1.0),
                           consumers=float(self.m[worker.name].ready))

    def external(self, c: Component) -> None:
        m = self.m[c.name]
        m.rps = self.rate[c.name]
        p = self.st.providers[c.name]
        expires = p.credentials_expire_at
        for caller in self.topo.callers_of(c.name):
            key = self.st.services[caller].config.get(f"{dep_prefix(c.name)}_API_KEY")
            if p.keys and key is not None:
                expires = p.keys.get(str(key), 0.0)
        lat, causes = stores.provider_view(p, m.rps, self.t, expires)
        m.mean_ms, m.p99_ms = lat, lat * 3
        for cause, frac in causes.items():
            m.add_cause(cause, frac * m.rps)
            m.error_rps += frac * m.rps
        m.served_rps = m.rps - m.error_rps

    # -- services ----------------------------------------------------------------------
