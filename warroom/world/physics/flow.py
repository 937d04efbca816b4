"""The flow solver: load goes down the call graph, latency and errors come back up.

``solve(world, t)`` computes every component's metrics at instant ``t`` from the state
version in force then. Two passes settle retries: a failing dependency is retried by its
callers (``<DEP>_RETRIES``), which adds load to it. Per service:

- CPU: capacity = sum over ready pods of cpu limit x node throttle / cpu per request; own
  latency rises sharply as utilization nears 1, and load beyond capacity is shed (503).
- Dependencies: each call costs the callee's latency, bounded by ``<DEP>_TIMEOUT_MS``; a call
  fails on the callee's errors, on timeouts (exponential tail beyond the timeout), on a wrong
  host (DNS/refused) or a bad serializer in this release; retries multiply the calls.
- DB pool: connections held = Little's law + leaked connections; demand beyond the pool
  waits ``DB_POOL_TIMEOUT_MS`` and fails.
- Threads: in-flight requests beyond ``WORKER_THREADS`` x ready pods are rejected.
- Code: a release may raise on some share of requests of one endpoint.

Behavior keys (release, service or flag): crash_on_start, leak_mb_per_min, mem_extra_pct,
conn_leak_per_min, raise, cpu_mult, latency_mult, dep_error, db_calls_mult, provider_fallback,
publish_mult (messages published per request); releases may also carry warmup_s (slower
readiness) and ddl_drop_index / ddl_rename (schema changes applied by ``ops.migrate``).
A flag's behavior may name ``releases``: then only pods running those releases follow it. A
caller's ``<DEP>_MTLS_SECRET`` names its client certificate for that dependency; once it has
expired (``edge.certs``) the callee refuses every handshake on that edge.
"""

from __future__ import annotations

import math
from typing import Any

from .. import noise
from ..state import Service, State
from ..topology import Component, Topology, canonical_host, dep_prefix
from . import stores
from .datastores import DatastoreFlow
from .plan import PLANS_PER_WORLD, TopologyPlan, VersionPlan, node_factor, topology_plan
from .pods import holds_still, pod_status, startup_failure
from .snapshot import ComponentMetrics, EndpointMetrics, PodStatus, Snapshot, cause_status

PASSES = 2


def daily_shape(wallclock: float) -> float:
    """Traffic relative to the daily mean: low at night, peak mid-afternoon UTC."""
    hour = (wallclock % 86400) / 3600.0
    return 1.0 + 0.35 * math.sin(2 * math.pi * (hour - 8.0) / 24.0)


def traffic_factor(st: State, t: float, wallclock: float) -> float:
    """Site-wide traffic relative to the endpoints' base rates (route spikes excluded)."""
    return daily_shape(wallclock) * st.traffic.multiplier * spike_factor(st, t, None)


def service_behavior(st: State, svc: Service, release: str) -> dict[str, Any]:
    """What the code of ``release`` plus service-level quirks plus enabled flags do."""
    rel = st.releases.get(release)
    b: dict[str, Any] = dict(rel.behavior) if rel is not None else {}
    b.update(svc.behavior)
    for flag in st.flags.values():
        fb = flag.behavior
        if fb.get("service") == svc.name and flag.enabled == fb.get("when_enabled", True) \
                and release in fb.get("releases", (release,)):  # releases: only their code
            b.update({k: v for k, v in fb.items()
                      if k not in ("service", "when_enabled", "releases")})
    return b


def _means(behaviors: list[dict[str, Any]]) -> dict[str, tuple[float, int]]:
    """(sum, count) of each numeric behavior over a list of pods' behaviors."""
    out: dict[str, tuple[float, int]] = {}
    for b in behaviors:
        for k, v in b.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                total, n = out.get(k, (0.0, 0))
                out[k] = (total + float(v), n + 1)
    return out


def raise_key(entry: dict[str, Any]) -> str:
    """A stable id for an exception a release raises (the cause is ``exception:<id>``)."""
    return str(noise.sid(f"{entry.get('endpoint', '*')}|{entry.get('exc', '')}"))


def raise_entries(behaviors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct exceptions raised across pods' behaviors, in order of appearance."""
    out: list[dict[str, Any]] = []
    for b in behaviors:
        for entry in b.get("raise", []):
            if entry not in out:
                out.append(entry)
    return out


def find_raise(behaviors: list[dict[str, Any]], cause: str) -> dict[str, Any]:
    """The exception entry behind an ``exception:<id>`` cause ({} if none matches)."""
    key = cause.split(":", 1)[1]
    return next((e for e in raise_entries(behaviors) if raise_key(e) == key), {})


def _dead_letters(st: State, consumer: str) -> bool:
    """Whether the broker dead-letters a message after ``MAX_DELIVERIES`` failed tries."""
    n = st.services[consumer].config.get("MAX_DELIVERIES", 0)
    return isinstance(n, int) and not isinstance(n, bool) and n > 0


def spike_factor(st: State, t: float, path: str | None) -> float:
    """Multiplier of traffic spikes in force at ``t`` (global ones, or those on ``path``)."""
    f = 1.0
    for sp in st.traffic.spikes:
        if sp.get("path") != path or not sp["start"] <= t < sp.get("end", float("inf")):
            continue
        ramp = min(1.0, (t - sp["start"]) / max(sp.get("ramp_s", 60.0), 1.0))
        f *= 1.0 + (sp["factor"] - 1.0) * ramp
    return f


class _Solver(DatastoreFlow):
    def __init__(self, world: Any, t: float) -> None:
        self.w = world
        self.t = t
        self.topo: Topology = world.topology
        self.tp: TopologyPlan = topology_plan(self.topo)
        self.st: State = world.at(t)
        self.wall = world.wallclock(t)
        self.m: dict[str, ComponentMetrics] = {}
        self.behaviors: dict[str, list[dict[str, Any]]] = {}
        self.rate: dict[str, float] = {}
        self.amplify: dict[tuple[str, str], float] = {}
        self.ep_rates: dict[str, dict[str, float]] = {}
        self.hit: dict[str, float] = {}
        self.db_views: dict[tuple[str, str], stores.DbView] = {}
        self.bmean: dict[str, dict[str, tuple[float, int]]] = {}
        self._miss: dict[tuple[str, str], float] = {}
        self._mb: dict[tuple[str, str, float], float] = {}
        self._own_err: dict[tuple[str, str], float] = {}
        self._raises: dict[str, list[tuple[dict[str, Any], float]]] = {}
        self.plan: VersionPlan = self._version_plan()

    # -- pods ------------------------------------------------------------------------
    def pods(self) -> None:
        t = self.t
        steady = self.plan.steady
        for c, svc, plan in self.plan.pods:
            m = ComponentMetrics(c.name, desired=svc.replicas)
            ready_b: list[dict[str, Any]] = []
            for pod, b, fail, still in plan:
                if not pod.alive(t):
                    continue
                if still and t - pod.created_at >= pod.ready_delay:  # ready for good
                    ps = steady.get(id(pod))
                    if ps is None:
                        ps = steady[id(pod)] = pod_status(c, svc, pod, b, t, fail)
                else:
                    ps = pod_status(c, svc, pod, b, t, fail)
                m.pods.append(ps)
                if ps.ready:
                    ready_b.append(b)
            if c.kind == "external":
                ready_b = [{}]
            m.ready = len(ready_b) if c.kind != "external" else 1
            self.behaviors[c.name] = ready_b
            self.bmean[c.name] = _means(ready_b)
            self.m[c.name] = m

    def _version_plan(self) -> VersionPlan:
        """What the solver reads from the version in force alone, kept per version."""
        w, st = self.w, self.st
        i = w.version_index(self.t)
        key = (st.seq, w._stamps[i], len(w.versions))
        cache = w._pod_plans
        found = cache.get(key)
        if found is not None:
            return found
        found = VersionPlan(self._pod_plan())
        if len(cache) >= PLANS_PER_WORLD:
            cache.clear()
        cache[key] = found
        return found

    def _pod_plan(self) -> list[tuple[Component, Service, list[tuple[Any, dict[str, Any],
                                                                       str | None, bool]]]]:
        """Per component, each pod with its code's behavior, why its process exits at start
        (if it does) and whether its status holds still once ready: a function of the state
        version alone."""
        w, st = self.w, self.st
        poisoned = {tp.consumer_service: str(tp.hidden["poison"]) for tp in st.topics.values()
                    if tp.hidden.get("poison") and not _dead_letters(st, tp.consumer_service)}
        plan = []
        for c in self.topo.components:
            svc = st.services[c.name]
            pods = []
            by_release: dict[tuple[str, int], tuple[dict[str, Any], str | None, bool]] = {}
            for pod in svc.pods:
                # a process reads its start-up settings when its pod is created
                born = w.at(pod.created_at).services.get(c.name, svc)
                known = by_release.get((pod.release, id(born)))
                if known is None:
                    b = service_behavior(st, svc, pod.release)
                    fail = poisoned.get(c.name) or startup_failure(
                        c, born, b, self.topo.defaults[c.name])
                    known = by_release[(pod.release, id(born))] = (
                        b, fail, holds_still(c, svc, b, fail))
                pods.append((pod, *known))
            if svc.config.get("DB_POOL_PREFILL") is True:
                pods = self._prefill(c, svc, pods)
            plan.append((c, svc, pods))
        return plan

    def _prefill(self, c: Component, svc: Service, pods: list[Any]) -> list[Any]:
        """A service that opens its whole DB pool before it reports ready: pods past the
        database's connection headroom (oldest first) exit at start-up."""
        st = self.st
        db = next((d.target for d in c.deps if d.kind == "db"), None)
        if db is None:
            return pods
        fit = stores.prefill_fit(self.topo, st, c.name, db)
        staying = sorted((p for p in pods if p[0].deleted_at is None),
                         key=lambda p: p[0].created_at)
        over = {id(p[0]) for p in staying[fit:]}
        return [(pod, b, stores.PREFILL_REFUSED if id(pod) in over and fail is None else fail,
                 still and id(pod) not in over) for pod, b, fail, still in pods]

    def mean_b(self, name: str, key: str, default: float = 1.0) -> float:
        """Mean over ready pods of a numeric behavior (pods without it count ``default``)."""
        memo = (name, key, default)
        v = self._mb.get(memo)
        if v is None:
            bs = self.behaviors[name]
            if not bs:
                v = default
            else:
                total, n = self.bmean[name].get(key, (0.0, 0))
                v = (total + default * (len(bs) - n)) / len(bs)
            self._mb[memo] = v
        return v

    def db_cost(self, db: Any, caller: str) -> tuple[float, float]:
        """``stores.query_cost_mult`` once per version (it reads the state alone)."""
        k = (db.name, caller)
        memo = self.plan.db_cost
        if k not in memo:
            memo[k] = stores.query_cost_mult(db, caller)
        return memo[k]

    def db_broken(self, db: Any, caller: str) -> tuple[float, str]:
        k = (db.name, caller)
        memo = self.plan.db_broken
        if k not in memo:
            memo[k] = stores.broken_share(db, caller)
        return memo[k]

    # -- load, top-down ------------------------------------------------------------------
    def offered(self) -> None:
        topo, st, tp = self.topo, self.st, self.tp
        factor = traffic_factor(st, self.t, self.wall)
        rate = dict.fromkeys(tp.names, 0.0)
        ep_rates: dict[str, dict[str, float]] = {n: {} for n in tp.names}
        edge = tp.edge
        gateways = tp.gateways
        routed = any(sp.get("path") for sp in st.traffic.spikes)
        edge_pass = self._pass(edge)  # the proxies' metrics hold still over the routes
        gateway_pass = self._pass(gateways[0]) if gateways else 1.0
        for ep in topo.endpoints:
            r = ep.base_rps * factor
            if routed:
                r *= spike_factor(st, self.t, ep.path)
            rate[edge] += r
            ep_rates[edge][ep.path] = r
            passed = r * edge_pass
            if gateways:
                rate[gateways[0]] += passed
                ep_rates[gateways[0]][ep.path] = passed
                passed *= gateway_pass
            rate[ep.service] += passed
            ep_rates[ep.service][ep.path] = ep_rates[ep.service].get(ep.path, 0.0) + passed
        self.rate = rate  # consumers estimate publishing from the routes' load so far
        amplify = self.amplify
        for name in tp.reversed_order:
            c = topo.by_name[name]
            if c.kind == "worker":
                rate[name] = self.consume_rate(c)
            served = rate[name] * self._pass(name, own_only=True)
            for d in tp.load_deps[name]:
                calls = d.calls * self.mean_b(name, "db_calls_mult") if d.kind in (
                    "db", "db_read") else d.calls
                calls += self.miss_db_calls(c, d.kind, d.target)
                rate[d.target] += served * calls * amplify.get((name, d.target), 1.0)
        self.rate = rate
        self.ep_rates = ep_rates

    def _pass(self, name: str, own_only: bool = False) -> float:
        m = self.m[name]
        if not m.rps:
            return 1.0
        if own_only:
            return 1.0 - min(m.extra.get("shed_frac", 0.0), 1.0)
        return 1.0 - m.extra.get("local_fail", 0.0)

    def miss_db_calls(self, c: Component, kind: str, target: str) -> float:
        """Extra DB calls per request when the cache hit ratio falls below its warm level."""
        if kind not in ("db", "db_read"):
            return 0.0
        key = (c.name, target)
        if key not in self._miss:
            self._miss[key] = self._miss_db_calls(c, target)
        return self._miss[key]

    def _miss_db_calls(self, c: Component, target: str) -> float:
        dbs = [d for d in c.deps if d.kind in ("db", "db_read") and d.calls > 0]
        if not dbs or dbs[-1].target != target:
            return 0.0
        extra = 0.0
        for d in c.deps:
            if d.kind == "cache":
                cache = self.st.caches[d.target]
                extra += d.calls * max(0.0, cache.warm_hit_ratio - self.client_hit(c, d.target))
        return extra

    def service(self, c: Component) -> None:
        st, m = self.st, self.m[c.name]
        svc = st.services[c.name]
        cfg = svc.config
        rate = self.rate[c.name]
        m.rps = rate
        if rate <= 0:
            m.mean_ms = c.base_latency_ms
            return
        if m.ready == 0:
            m.error_rps = rate
            m.add_cause("no_ready_pods", rate)
            m.extra.update(local_fail=1.0, shed_frac=1.0)
            return
        if cfg.get("MAINTENANCE_MODE") is True:
            m.error_rps = rate
            m.add_cause("maintenance", rate)
            m.mean_ms, m.p99_ms = 2.0, 5.0
            m.extra.update(local_fail=1.0, shed_frac=1.0)
            return
        alive = 1.0
        # edge-only failure modes
        if c.kind == "edge":
            alive = self.edge_gate(c, m, rate)
        if c.kind == "gateway":
            limit = float(cfg.get("RATE_LIMIT_RPS", 1e12))
            if rate > limit:
                m.add_cause("rate_limited", rate - limit)
                alive *= limit / rate
        # CPU
        cpu_ms = c.cpu_ms_per_req * self.mean_b(c.name, "cpu_mult")
        gc = 1.0
        ready_pods = [p for p in m.pods if p.ready]
        if ready_pods:
            # garbage collection works harder as the heap nears its limit (JVMs earliest)
            frac = sum(p.mem_mb for p in ready_pods) / len(ready_pods) / svc.mem_limit_mb
            start = 0.8 if c.language == "java" else 0.85
            gc = 1.0 + 6.0 * max(0.0, frac - start) / (1.0 - start)
            m.extra["heap_frac"] = frac
        cpu_ms *= gc
        m.extra["gc_factor"] = gc
        throttle = self.node_throttle(ready_pods)
        cap = m.ready * svc.cpu_millicores * throttle / max(cpu_ms, 1e-6)
        load = rate * alive
        rho = load / cap if cap > 0 else 10.0
        m.cpu_util = min(rho, 1.0) * throttle  # usage against the limit: starved pods use less
        if rho > 1.0:
            shed = 1.0 - 1.0 / rho
            m.add_cause("overload", load * shed)
            alive *= 1.0 - shed
        rho_q = min(rho, 0.97)
        own_ms = c.base_latency_ms * self.mean_b(c.name, "latency_mult") * gc * (
            1.0 + rho_q ** 4 / (1.0 - rho_q))
        m.extra["shed_frac"] = 1.0 - alive
        # dependencies
        deps_ms, timeouts_ms = 0.0, 0.0
        served = rate * alive
        for d in self.tp.load_deps[c.name]:
            p_fail, ms, cause, tmo = self.call(c, d)
            if d.kind == "cache":
                deps_ms += d.calls * ms
                if p_fail > 0:
                    m.extra["cache_errors_rps"] = served * d.calls * p_fail
                continue
            deps_ms += d.calls * ms
            if p_fail > 0 and tmo > 0:
                timeouts_ms = max(timeouts_ms, tmo)
            if d.required and p_fail > 0:
                ok = (1 - p_fail) ** d.calls if d.calls >= 1 else 1 - d.calls * p_fail
                m.add_cause(cause, served * (1 - ok))
                served *= ok
            elif p_fail > 0:
                m.extra[f"optional_fail:{d.target}"] = p_fail
        fwd = self.topo.forwards(c.name)
        if fwd:
            deps_ms += self.forward_ms(c.name, fwd)
        # DB pool
        pool_wait = self.pool(c, m, svc, rate * alive, own_ms + deps_ms, ready_pods)
        if m.extra.get("pool_fail", 0) > 0:
            f = m.extra["pool_fail"]
            m.add_cause("pool_timeout", served * f)
            served *= 1 - f
        # code exceptions
        for entry, weight in self.raises(c.name):
            ep = entry.get("endpoint", "*")
            share = 1.0 if ep == "*" else (self.ep_rates[c.name].get(ep, 0.0) / rate)
            f = float(entry.get("rate", 1.0)) * weight * share
            if f > 0:
                m.add_cause(f"exception:{raise_key(entry)}", served * f)
                served *= 1 - f
        mean = own_ms + deps_ms + pool_wait
        m.extra["own_ms"] = own_ms + pool_wait
        m.extra["service_ms"] = c.base_latency_ms * self.mean_b(c.name, "latency_mult") * gc \
            + deps_ms  # time to serve one request, before queueing for CPU or connections
        # threads: in-flight beyond the worker pool is rejected
        threads = cfg.get("WORKER_THREADS", c.threads)
        slots = m.ready * float(threads if isinstance(threads, int) else c.threads)
        inflight = rate * alive * mean / 1000.0
        m.saturation = inflight / slots if slots else 0.0
        if inflight > slots > 0 and c.kind != "worker":
            f = 1.0 - slots / inflight
            m.add_cause("threads", served * f)
            served *= 1 - f
        m.served_rps = served
        m.error_rps = max(0.0, rate - served)
        m.mean_ms = mean
        p99 = mean * 3.0
        if m.error_frac > 0.01 and timeouts_ms:
            p99 = max(p99, timeouts_ms)
        m.p99_ms = p99
        m.extra["local_fail"] = min(m.error_rps / rate, 1.0)

    def forward_ms(self, name: str, targets: list[str]) -> float:
        """Mean latency of the services a proxy forwards to, weighted by its traffic."""
        if len(targets) == 1:
            return self.m[targets[0]].mean_ms
        mix = self.ep_rates[name]
        total = sum(mix.values())
        if total <= 0:
            return 0.0
        by_path = self.tp.by_path
        return sum(r * self.m[by_path[p]].mean_ms for p, r in mix.items()) / total

    def edge_gate(self, c: Component, m: ComponentMetrics, rate: float) -> float:
        st, t = self.st, self.t
        alive = 1.0
        cfg = st.services[c.name].config
        if t >= stores.cert_expiry(st.edge, cfg):
            m.add_cause("tls", rate * 0.97)
            alive *= 0.03
        upstream = c.deps[0].target if c.deps else ""
        if upstream and str(cfg.get(f"{dep_prefix(upstream)}_HOST", "")) != canonical_host(
                self.topo, c, upstream):
            m.add_cause(f"dns:{upstream}", rate * alive)
            return 0.0
        if cfg.get("HEALTH_CHECK_PATH") != "/healthz":
            m.add_cause("health_check", rate * alive)
            return 0.0
        weights = stores.upstream_weights(st.edge, cfg)
        total = sum(weights.values())
        draining = sum(w for p, w in weights.items() if st.edge.upstreams[p].draining)
        if total <= 0:
            m.add_cause("upstream_draining", rate * alive)
            return 0.0
        if draining:
            m.add_cause("upstream_draining", rate * alive * draining / total)
            alive *= 1 - draining / total
        up = self.m[c.deps[0].target]
        conn = rate * alive * max(up.mean_ms, 1.0) / 1000.0
        limit = float(cfg.get("WORKER_CONNECTIONS", 4096)) * m.ready
        m.extra.update(active_connections=min(conn, limit), connection_limit=limit)
        if conn > limit:
            f = 1.0 - limit / conn
            m.add_cause("edge_conn_limit", rate * alive * f)
            alive *= 1 - f
        return alive

    def node_throttle(self, pods: list[PodStatus]) -> float:
        if not pods:
            return 1.0
        total = 0.0
        st, plan = self.st, self.plan
        for p in pods:
            total += node_factor(st, plan, p.node)
        return total / len(pods)

    def _call_plan(self, c: Component, d: Any) -> tuple[Any, ...]:
        """What a dependency call reads from the version alone: a fixed answer (wrong host,
        DNS override, refused login), when its mTLS certificate expires, and the dep's timeout
        and retries (kept per version)."""
        key = (c.name, d.target)
        found = self.plan.calls.get(key)
        if found is not None:
            return found
        cfg = self.st.services[c.name].config
        prefix = dep_prefix(d.target)
        host = str(cfg.get(f"{prefix}_HOST", ""))
        want = canonical_host(self.topo, c, d.target)
        fixed: tuple[float, float, str, float] | None = None
        mtls_at = math.inf  # when this edge's client certificate expires (a wrong host wins)
        mtls = cfg.get(f"{prefix}_MTLS_SECRET")
        if host == want and mtls is not None:
            mtls_at = self.st.edge.certs.get(str(mtls), math.inf)
        if host != want:
            name = host.rsplit(":", 1)[0]
            cause = (f"conn_refused:{d.target}" if name == want.rsplit(":", 1)[0]
                     else f"dns:{d.target}")
            fixed = 1.0, 5.0 if cause.startswith("conn") else 50.0, cause, 0.0
        elif self.st.edge.dns.get(d.target) is not None:
            tmo = float(cfg.get(f"{prefix}_TIMEOUT_MS", 2000))
            fixed = 1.0, tmo, f"dns:{d.target}", tmo
        elif d.kind == "cache":
            refusal = self.cache_refusal(c, d.target)
            if refusal:
                fixed = 1.0, 1.0, refusal, 0.0
        plan: tuple[Any, ...] = (fixed, mtls_at)
        if fixed is None and d.kind not in ("db", "db_read", "publish"):
            timeout = float(cfg.get(f"{prefix}_TIMEOUT_MS", 2000))
            retries = int(cfg.get(f"{prefix}_RETRIES", 0)) if d.kind == "http" else 0
            plan = (None, mtls_at, timeout, retries, d.target in self.st.providers)
        self.plan.calls[key] = plan
        return plan

    def _own_error(self, c: Component, target: str) -> float:
        """Share of calls to ``target`` this release's own code breaks (per solve)."""
        key = (c.name, target)
        own = self._own_err.get(key)
        if own is None:
            own = 0.0
            bs = self.behaviors[c.name]
            for b in bs:
                de = b.get("dep_error", {}).get(target)
                if de:
                    own += float(de.get("rate", 1.0)) / len(bs)
            self._own_err[key] = own
        return own

    def call(self, c: Component, d: Any) -> tuple[float, float, str, float]:
        """(failing fraction after retries, mean ms per call, cause, timeout ms) of a dep."""
        cp = self._call_plan(c, d)
        if self.t >= cp[1]:
            return 1.0, 3.0, f"mtls:{d.target}", 0.0
        if cp[0] is not None:
            return cp[0]
        tm = self.m[d.target]
        if d.kind in ("db", "db_read"):
            view = self.db_views.get((c.name, d.target))
            if view is None:
                return 0.0, tm.mean_ms, "", 0.0
            cause = view.cause if view.cause != "conn_refused" else f"conn_refused:{d.target}"
            return view.fail, view.latency_ms, cause, stores.STATEMENT_TIMEOUT_MS
        if d.kind == "publish":
            return (1.0 if tm.ready == 0 else 0.0), tm.mean_ms, f"conn_refused:{d.target}", 0.0
        _, _, timeout, retries, provider = cp
        if tm.ready == 0:
            self.amplify[(c.name, d.target)] = retries + 1.0
            return 1.0, 5.0, f"conn_refused:{d.target}", 0.0
        callee_fail = tm.error_frac
        mean = max(tm.mean_ms, 0.01)
        t_out = math.exp(-timeout / mean) if timeout > 0 else 1.0
        if provider and self.mean_b(c.name, "provider_fallback", 0.0):
            callee_fail, mean, t_out = 0.0, 320.0, math.exp(-timeout / 320.0)
        own = self._own_error(c, d.target)
        p = 1.0 - (1.0 - callee_fail) * (1.0 - t_out)
        p_final = p ** (retries + 1)
        attempts = (retries + 1.0) if p >= 0.999 else (1 - p ** (retries + 1)) / (1 - p)
        self.amplify[(c.name, d.target)] = attempts
        per_attempt = t_out * timeout + (1 - t_out) * min(mean, timeout)
        ms = attempts * per_attempt
        if own > 0:
            p_final = 1 - (1 - p_final) * (1 - own)
        if p_final <= 1e-6:
            return 0.0, ms, "", 0.0
        if own >= p_final * 0.5:
            cause = f"serialize:{d.target}"
        elif t_out > callee_fail:
            cause = f"dep_timeout:{d.target}"
        elif d.target in self.st.providers and tm.causes:
            cause = max(sorted(tm.causes), key=lambda k: tm.causes[k])  # the provider's answer
        else:
            cause = f"dep_error:{d.target}"
        return p_final, ms, cause, timeout if t_out > callee_fail else 0.0

    def pool(self, c: Component, m: ComponentMetrics, svc: Service, load: float,
             request_ms: float, ready: list[PodStatus]) -> float:
        """DB pool wait per request; sets pool metrics and the share failing to get one.

        Python services hold their connection for the whole request (session per request),
        so a slow dependency also exhausts their pool; others hold it per query.
        """
        dbs = self.tp.db_deps[c.name]
        if not dbs or m.ready == 0:
            m.extra["pool_fail"] = 0.0
            return 0.0
        size = svc.config.get("DB_POOL_SIZE", 20)
        size_f = float(size) if isinstance(size, int) else 0.0
        pool_timeout = float(svc.config.get("DB_POOL_TIMEOUT_MS", 3000))
        hold_s = 0.0
        for d in dbs:
            view = self.db_views.get((c.name, d.target))
            lat = view.latency_ms if view else self.topo[d.target].base_latency_ms
            calls = d.calls * self.mean_b(c.name, "db_calls_mult") + self.miss_db_calls(
                c, d.kind, d.target)
            hold_s += calls * (lat + 1.0) / 1000.0
        if c.language == "python":
            hold_s = max(hold_s, request_ms / 1000.0)
        per_pod = load / m.ready
        demand = per_pod * hold_s
        bs = self.behaviors[c.name]
        if any("conn_leak_per_min" in b for b in bs):
            leaks = [min(size_f, float(b.get("conn_leak_per_min", 0.0)) * (self.t - p.started_at)
                         / 60.0) for p, b in zip(ready, bs, strict=False)]
        else:  # no leak: every pod's pool is whole
            leaks = [min(size_f, 0.0)] * min(len(ready), len(bs))
        m.pool_size = int(size_f * m.ready)
        m.pool_in_use = sum(min(size_f, demand + lk) for lk in leaks)
        # each pod fails what its own pool cannot take (a leaked pod fails alone)
        fails, waits, waiting = [], [], 0.0
        for lk in leaks:
            avail = max(size_f - lk, 0.0)
            if demand <= avail * 0.85:
                fails.append(0.0)
                waits.append(0.0)
                continue
            fails.append(1.0 if avail <= 0 else max(0.0, 1.0 - avail / demand))
            u = demand / avail if avail > 0 else 10.0
            waits.append(pool_timeout * min(1.0, max(0.0, u - 0.85) / 0.3))
            waiting += max(0.0, demand - avail * 0.85)
        m.pool_waiting = waiting
        m.extra["pool_fail"] = sum(fails) / len(fails) if fails else 0.0
        return sum(waits) / len(waits) if waits else 0.0

    def raises(self, name: str) -> list[tuple[dict[str, Any], float]]:
        """Each exception the ready pods' code raises, with the share of pods raising it."""
        found = self._raises.get(name)
        if found is None:
            bs = self.behaviors[name]
            found = [(entry, sum(1 for x in bs if entry in x.get("raise", [])) / len(bs))
                     for entry in raise_entries(bs)]
            self._raises[name] = found
        return found

    # -- driver -------------------------------------------------------------------------
    def run(self) -> Snapshot:
        self.pods()
        self.caches()
        tp = self.tp
        for _ in range(PASSES):
            prev = self.m
            self.offered()
            fresh = {}
            for n in tp.order:
                pm = prev[n]
                fresh[n] = ComponentMetrics(n, desired=pm.desired, ready=pm.ready, pods=pm.pods,
                                            mean_ms=pm.mean_ms, pool_in_use=pm.pool_in_use)
            self.m = fresh
            for c in tp.ordered:
                kind = c.kind
                if kind == "postgres":
                    self.postgres(c)
                elif kind == "redis":
                    self.redis(c)
                elif kind == "queue":
                    pass
                elif kind == "external":
                    self.external(c)
                else:
                    self.service(c)
            for c in tp.queues:
                self.queue(c)
        return Snapshot(self.t, self.m, self.endpoints())

    def endpoints(self) -> list[EndpointMetrics]:
        """Per-route status mix and latency: the proxies' own failures, then the service's."""
        edge = self.tp.edge
        chain = self.tp.chain
        out = []
        for ep in self.topo.endpoints:
            r = self.ep_rates[edge].get(ep.path, 0.0)
            status: dict[int, float] = {}
            alive, lat = 1.0, 0.0
            for n in [*chain, ep.service]:
                m = self.m[n]
                lat += m.extra.get("own_ms", m.mean_ms) if n in chain else m.mean_ms
                causes = m.causes if n in chain else self._endpoint_causes(m, ep.path)
                for cause, frac in causes.items():
                    code = cause_status(cause)
                    status[code] = status.get(code, 0.0) + r * alive * frac
                alive *= 1.0 - min(sum(causes.values()), 1.0)
            status[200] = r * alive
            svc_m = self.m[ep.service]
            p99 = max(lat * 3.0, svc_m.p99_ms if svc_m.error_frac > 0.01 else 0.0)
            out.append(EndpointMetrics(ep.method, ep.path, r, r * (1 - alive), lat, p99,
                                       ep.slo_p99_ms, status))
        return out

    def _endpoint_causes(self, m: ComponentMetrics, path: str) -> dict[str, float]:
        """Failing fraction by cause for one route's requests at its service."""
        ep_rate = self.ep_rates[m.name].get(path, 0.0)
        raises = {f"exception:{raise_key(e)}": e for e, _ in self.raises(m.name)}
        out = {}
        for k, v in m.causes.items():
            if k.startswith("exception:"):
                target = raises.get(k, {}).get("endpoint", "*")
                if target != "*":
                    if target == path and ep_rate > 0:
                        out[k] = min(v / ep_rate, 1.0)
                    continue
            out[k] = v / m.rps if m.rps else 0.0
        return out


def solve(world: Any, t: float) -> Snapshot:
    """Every component's metrics at simulated time ``t``."""
    return _Solver(world, t).run()
