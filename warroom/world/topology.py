"""Topologies as data: components, the calls between them, and the public endpoints.

A topology is static for an episode (what exists and who calls whom). Everything that can
change while an incident unfolds (replicas, config, releases, flags) lives in ``state``.
Capacities are per pod: ``cpu_ms_per_req`` of CPU per request on a ``cpu_millicores`` limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

Kind = Literal["edge", "gateway", "service", "worker", "postgres", "redis", "queue", "external"]
DepKind = Literal["http", "db", "db_read", "cache", "publish", "consume"]


@dataclass(frozen=True)
class Dep:
    """A call from one component to another, made ``calls`` times per request on average."""

    target: str
    kind: DepKind = "http"
    calls: float = 1.0
    required: bool = True


@dataclass(frozen=True)
class Endpoint:
    """A public route at the edge, served by ``service`` behind the gateway."""

    method: str
    path: str
    service: str
    base_rps: float
    slo_p99_ms: float = 1000.0
    slo: str = ""


@dataclass(frozen=True)
class Component:
    name: str
    kind: Kind
    team: str
    language: str
    description: str
    replicas: int = 3
    cpu_millicores: int = 1000
    mem_limit_mb: int = 1024
    mem_base_mb: int = 400
    cpu_ms_per_req: float = 10.0
    base_latency_ms: float = 20.0
    threads: int = 64
    ready_delay_s: float = 30.0
    port: int = 8080
    deps: tuple[Dep, ...] = ()
    config: tuple[tuple[str, object], ...] = ()

    @property
    def image(self) -> str:
        return f"registry.internal/{self.name}"

    @property
    def host(self) -> str:
        return f"{self.name}.prod.svc.cluster.local:{self.port}"


@dataclass(frozen=True)
class Topology:
    name: str
    components: tuple[Component, ...]
    endpoints: tuple[Endpoint, ...]
    nodes: tuple[str, ...]
    node_cpu_millicores: int = 16000
    node_mem_mb: int = 65536
    by_name: dict[str, Component] = field(default_factory=dict, compare=False, repr=False)

    defaults: dict[str, dict[str, object]] = field(default_factory=dict, compare=False,
                                                  repr=False)
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.components})
        self.defaults.update({c.name: default_config(c) for c in self.components})

    def __getitem__(self, name: str) -> Component:
        return self.by_name[name]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.components]

    def callers_of(self, name: str) -> list[str]:
        key = f"callers:{name}"
        if key not in self._cache:
            self._cache[key] = [c.name for c in self.components
                                if any(d.target == name for d in c.deps)]
        return self._cache[key]  # type: ignore[return-value]

    def kind_of(self, kind: Kind) -> list[str]:
        return [c.name for c in self.components if c.kind == kind]

    def forwards(self, name: str) -> list[str]:
        """Where a proxy sends requests: the edge to its upstream, a gateway to services."""
        key = f"forwards:{name}"
        if key not in self._cache:
            self._cache[key] = self._forwards(name)
        return self._cache[key]  # type: ignore[return-value]

    def _forwards(self, name: str) -> list[str]:
        c = self.by_name[name]
        if c.kind == "edge":
            return [c.deps[0].target] if c.deps else []
        if c.kind == "gateway":
            return list(dict.fromkeys(ep.service for ep in self.endpoints))
        return []

    def order_leaves_first(self) -> list[str]:
        """Components so that every dependency (and forward target) comes before callers."""
        if "order" not in self._cache:
            self._cache["order"] = self._order()
        return self._cache["order"]  # type: ignore[return-value]

    def _order(self) -> list[str]:
        seen: set[str] = set()
        out: list[str] = []

        def visit(n: str) -> None:
            if n in seen:
                return
            seen.add(n)
            for d in self.by_name[n].deps:
                if d.kind != "consume":
                    visit(d.target)
            for f in self.forwards(n):
                visit(f)
            out.append(n)

        for c in self.components:
            visit(c.name)
        return out


def canonical_host(topo: Topology, caller: Component, target: str) -> str:
    """The address ``caller`` is configured with for ``target`` in a healthy world."""
    return str(topo.defaults[caller.name].get(f"{dep_prefix(target)}_HOST", ""))


@lru_cache(maxsize=512)
def dep_prefix(target: str) -> str:
    """Config key prefix for a dependency: ``payment-provider`` -> ``PAYMENT_PROVIDER``."""
    return target.upper().replace("-", "_")


SECRET_REF = "vault:kv/prod/{name}#v{v}"


def default_config(c: Component) -> dict[str, object]:
    """The conventional config keys the physics reads, then the component's own extras."""
    cfg: dict[str, object] = {}
    if c.kind in ("service", "worker", "gateway"):
        cfg["WORKER_THREADS"] = c.threads
        cfg["LOG_LEVEL"] = "info"
        cfg["MAINTENANCE_MODE"] = False
        cfg["ROLLOUT_STRATEGY"] = "RollingUpdate"
    if c.kind in ("service", "gateway"):
        # the autoscaler's ceiling; the gateway, shared by every route, has surge headroom
        cfg["HPA_MAX_REPLICAS"] = c.replicas * (4 if c.kind == "gateway" else 2)
    if c.kind == "worker":
        cfg["MAX_DELIVERIES"] = 0  # 0: redeliver forever, never dead-letter
    if c.kind == "redis":
        cfg["requirepass"] = SECRET_REF.format(name=c.name, v=4)
    for d in c.deps:
        p = dep_prefix(d.target)
        if d.kind in ("db", "db_read"):
            cfg[f"{p}_HOST"] = f"{d.target}.prod.svc.cluster.local:5432"
            cfg["DB_POOL_SIZE"] = 20
            cfg["DB_POOL_TIMEOUT_MS"] = 3000
            cfg["DB_PASSWORD"] = SECRET_REF.format(name=f"{c.name}-db", v=3)
        elif d.kind == "cache":
            cfg[f"{p}_HOST"] = f"{d.target}.prod.svc.cluster.local:6379"
            cfg[f"{p}_TIMEOUT_MS"] = 200
            cfg[f"{p}_AUTH"] = SECRET_REF.format(name=d.target, v=4)
        elif d.kind in ("publish", "consume"):
            cfg[f"{p}_HOST"] = f"{d.target}.prod.svc.cluster.local:9092"
        elif d.kind == "http":
            cfg[f"{p}_HOST"] = (
                "api.payprovider.example:443" if d.target == "payment-provider" else
                f"{d.target}.prod.svc.cluster.local:8080")
            cfg[f"{p}_TIMEOUT_MS"] = 2000
            cfg[f"{p}_RETRIES"] = 2
            if d.target == "payment-provider":
                cfg[f"{p}_API_KEY"] = SECRET_REF.format(name=d.target, v=5)
    cfg.update(dict(c.config))
    return cfg


def _svc(name: str, team: str, lang: str, desc: str, deps: tuple[Dep, ...] = (), **kw) -> Component:
    return Component(name=name, kind=kw.pop("kind", "service"), team=team, language=lang,
                     description=desc, deps=deps, **kw)


EDGE_WEIGHTS = (("UPSTREAM_WEIGHT_POOL_A", 50), ("UPSTREAM_WEIGHT_POOL_B", 50))


def shop() -> Topology:
    """An online shop: edge, gateway, nine services, PostgreSQL primary+replica, Redis, a queue."""
    comps = (
        _svc("edge-lb", "platform", "nginx", "nginx edge load balancer terminating TLS",
             (Dep("api-gateway"),), kind="edge", replicas=2, cpu_ms_per_req=0.3,
             base_latency_ms=1.0, threads=4096, port=443,
             config=(("WORKER_CONNECTIONS", 4096), ("HEALTH_CHECK_PATH", "/healthz"),
                     ("CERT", "shop.example.com"), ("TLS_SECRET", "tls/shop-example-com"),
                     *EDGE_WEIGHTS)),
        _svc("api-gateway", "platform", "go", "API gateway: routing, auth check, rate limiting",
             (Dep("auth", calls=0.6),), kind="gateway", replicas=3, cpu_ms_per_req=1.3,
             base_latency_ms=3.0, threads=1024, config=(("RATE_LIMIT_RPS", 5000),)),
        _svc("auth", "identity", "go", "Sessions and tokens",
             (Dep("redis", "cache", 1.0), Dep("postgres-primary", "db", 0.1)),
             replicas=4, cpu_ms_per_req=2.0, base_latency_ms=4.0, threads=256),
        _svc("catalog", "discovery", "go", "Product catalog and search",
             (Dep("redis", "cache", 2.0), Dep("postgres-replica", "db_read", 0.6)),
             replicas=6, cpu_ms_per_req=4.5, base_latency_ms=15.0, threads=256),
        _svc("checkout", "checkout", "python", "Checkout orchestration",
             (Dep("payments"), Dep("orders"), Dep("postgres-primary", "db", 2.0),
              Dep("redis", "cache", 1.0)),
             replicas=3, cpu_ms_per_req=12.0, base_latency_ms=35.0, threads=64,
             mem_base_mb=450),
        _svc("payments", "payments", "java", "Payment authorisation and capture",
             (Dep("payment-provider"), Dep("postgres-primary", "db", 1.0)),
             replicas=3, cpu_ms_per_req=8.0, base_latency_ms=20.0, threads=200,
             mem_limit_mb=2048, mem_base_mb=1100),
        _svc("orders", "orders", "python", "Order records and history",
             (Dep("postgres-primary", "db", 1.0), Dep("postgres-replica", "db_read", 0.8),
              Dep("order-events", "publish", 0.3, required=False)),
             replicas=3, cpu_ms_per_req=6.0, base_latency_ms=15.0, threads=64),
        _svc("notifications", "growth", "python", "Email and push notifications",
             (Dep("postgres-primary", "db", 0.5),), replicas=2, cpu_ms_per_req=12.0,
             base_latency_ms=25.0, threads=32),
        _svc("worker", "orders", "python", "Background worker consuming order events",
             (Dep("order-events", "consume"), Dep("notifications"),
              Dep("postgres-primary", "db", 1.0)),
             kind="worker", replicas=2, cpu_ms_per_req=20.0, base_latency_ms=60.0, threads=8,
             config=(("CONSUMER_GROUP", "order-workers"), ("VISIBILITY_TIMEOUT_S", 60),
                     ("BATCH_SIZE", 100))),
        _svc("postgres-primary", "data", "postgres", "PostgreSQL 16 primary", kind="postgres",
             replicas=1, cpu_millicores=8000, mem_limit_mb=32768, mem_base_mb=12000,
             cpu_ms_per_req=0.8, base_latency_ms=2.0, threads=100, port=5432,
             config=(("max_connections", 300), ("statement_timeout", "30s"),
                     ("autovacuum", "on"), ("disk_gb", 500))),
        _svc("postgres-replica", "data", "postgres", "PostgreSQL 16 streaming read replica",
             kind="postgres", replicas=1, cpu_millicores=8000, mem_limit_mb=32768,
             mem_base_mb=12000, cpu_ms_per_req=0.8, base_latency_ms=2.0, threads=100,
             port=5432, config=(("max_connections", 300), ("hot_standby", "on"),
                                ("disk_gb", 500))),
        _svc("redis", "platform", "redis", "Redis 7 cache and session store", kind="redis",
             replicas=1, cpu_millicores=2000, mem_limit_mb=8192, mem_base_mb=3000,
             cpu_ms_per_req=0.02, base_latency_ms=0.4, threads=10000, port=6379,
             config=(("maxmemory", "6gb"), ("maxmemory-policy", "allkeys-lru"),
                     ("default_ttl_s", 600))),
        _svc("order-events", "platform", "kafka", "Message queue: topic order-events",
             kind="queue", replicas=3, cpu_ms_per_req=0.05, base_latency_ms=2.0,
             threads=10000, port=9092, config=(("partitions", 12), ("retention_h", 72))),
        _svc("payment-provider", "payments", "external", "External card payment provider",
             kind="external", replicas=1, cpu_ms_per_req=0.0, base_latency_ms=180.0,
             threads=100000, port=443, config=(("rate_limit_rps", 400),)),
    )
    endpoints = (
        Endpoint("GET", "/api/products", "catalog", 420.0, 400.0, "product-browsing"),
        Endpoint("GET", "/api/search", "catalog", 160.0, 600.0, "product-search"),
        Endpoint("POST", "/api/login", "auth", 40.0, 300.0, "sign-in"),
        Endpoint("GET", "/api/session", "auth", 220.0, 200.0, "session-check"),
        Endpoint("POST", "/api/checkout", "checkout", 28.0, 2500.0, "purchase"),
        Endpoint("GET", "/api/orders", "orders", 60.0, 500.0, "order-history"),
        Endpoint("POST", "/api/notifications/preferences", "notifications", 6.0, 800.0,
                 "alert-settings"),
    )
    nodes = tuple(f"ip-10-0-{i}-{20 + 7 * i}.ec2.internal" for i in range(1, 7))
    return Topology("shop", comps, endpoints, nodes)


def startup() -> Topology:
    """A six-component startup stack for easy scenarios: one app, one worker, three stores."""
    comps = (
        _svc("edge-lb", "platform", "nginx", "nginx load balancer terminating TLS",
             (Dep("app"),), kind="edge", replicas=2, cpu_ms_per_req=0.3, base_latency_ms=1.0,
             threads=4096, port=443,
             config=(("WORKER_CONNECTIONS", 4096), ("HEALTH_CHECK_PATH", "/healthz"),
                     ("CERT", "app.example.com"), ("TLS_SECRET", "tls/app-example-com"),
                     *EDGE_WEIGHTS)),
        _svc("app", "backend", "python", "Django monolith serving the API",
             (Dep("postgres", "db", 2.0), Dep("redis", "cache", 1.5),
              Dep("jobs", "publish", 0.2, required=False)),
             replicas=5, cpu_ms_per_req=7.5, base_latency_ms=30.0, threads=64),
        _svc("worker", "backend", "python", "Celery-style worker consuming the jobs queue",
             (Dep("jobs", "consume"), Dep("postgres", "db", 2.0)), kind="worker",
             replicas=2, cpu_ms_per_req=12.0, base_latency_ms=80.0, threads=8,
             config=(("CONSUMER_GROUP", "workers"), ("VISIBILITY_TIMEOUT_S", 60),
                     ("BATCH_SIZE", 100))),
        _svc("postgres", "backend", "postgres", "PostgreSQL 16", kind="postgres", replicas=1,
             cpu_millicores=4000, mem_limit_mb=16384, mem_base_mb=6000, cpu_ms_per_req=0.8,
             base_latency_ms=2.0, threads=100, port=5432,
             config=(("max_connections", 200), ("statement_timeout", "30s"),
                     ("autovacuum", "on"), ("disk_gb", 200))),
        _svc("redis", "backend", "redis", "Redis 7 cache", kind="redis", replicas=1,
             cpu_millicores=1000, mem_limit_mb=4096, mem_base_mb=1500, cpu_ms_per_req=0.02,
             base_latency_ms=0.4, threads=10000, port=6379,
             config=(("maxmemory", "3gb"), ("maxmemory-policy", "allkeys-lru"),
                     ("default_ttl_s", 600))),
        _svc("jobs", "backend", "rabbitmq", "Message queue: jobs", kind="queue", replicas=1,
             cpu_ms_per_req=0.05, base_latency_ms=2.0, threads=10000, port=5672,
             config=(("partitions", 4), ("retention_h", 72))),
    )
    endpoints = (
        Endpoint("GET", "/api/items", "app", 180.0, 500.0, "item-listing"),
        Endpoint("POST", "/api/items", "app", 25.0, 800.0, "item-creation"),
        Endpoint("GET", "/api/me", "app", 90.0, 300.0, "profile"),
    )
    nodes = tuple(f"node-{i}" for i in range(1, 4))
    return Topology("startup", comps, endpoints, nodes)


TOPOLOGIES = {"shop": shop, "startup": startup}
