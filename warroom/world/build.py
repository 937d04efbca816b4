"""Build the healthy world of an episode from a topology and a seed.

Everything an engineer expects to find is created here with plausible, seeded detail:
pods spread over nodes, a release history per service, feature flags, database tables and
queries, the cache, the queue, the edge, the payment provider and the fleet of agents.
"""

from __future__ import annotations

from . import noise
from .state import (
    Cache,
    CronJob,
    Database,
    Edge,
    Flag,
    FleetAgent,
    Node,
    Pod,
    Provider,
    Query,
    Release,
    Service,
    State,
    Table,
    Topic,
    Traffic,
    Upstream,
)
from .topology import TOPOLOGIES, Topology, default_config
from .world import EPOCH, World

DAY = 86400.0
PEOPLE = ("alice.chen", "marco.rossi", "priya.natarajan", "j.okafor", "sven.lindqvist",
          "mei.tanaka", "diego.alvarez", "fatima.zahra")
BOTS = ("renovate[bot]", "dependabot[bot]")
MESSAGES = (
    "Bump structlog from 24.1.0 to 24.4.0", "Add request id to access logs",
    "Refactor retry helper", "Tune connection pool metrics labels", "Fix flaky health endpoint",
    "Upgrade base image to debian 12.8", "Add tracing spans around cache lookups",
    "Improve error message on invalid input", "Remove dead feature code", "Update translations",
)

FLEET = (
    ("autoscaler", "scales deployments to keep CPU near 60%", "platform", 300.0),
    ("deploy-bot", "ships approved dependency updates", "platform", 900.0),
    ("lb-tuner", "rebalances edge upstream weights from latency", "platform", 600.0),
    ("cost-optimizer", "right-sizes resources against the cloud budget", "finops", 1800.0),
    ("config-sync", "reconciles live config with the config repository", "platform", 300.0),
)

SHOP_TABLES = {
    "users": (2_400_000, 3.1, ["users_pkey", "users_email_key"]),
    "sessions": (9_800_000, 6.4, ["sessions_pkey", "sessions_user_id_idx"]),
    "products": (180_000, 1.2, ["products_pkey", "products_category_idx"]),
    "orders": (31_000_000, 48.0, ["orders_pkey", "orders_user_id_idx", "orders_created_at_idx"]),
    "order_items": (88_000_000, 71.0, ["order_items_pkey", "order_items_order_id_idx"]),
    "payments": (30_500_000, 39.0, ["payments_pkey", "payments_order_id_idx"]),
    "notifications": (120_000_000, 95.0, ["notifications_pkey", "notifications_user_id_idx"]),
    "inventory": (180_000, 0.4, ["inventory_pkey", "inventory_product_id_key"]),
}
# (queryid, text, table, service, share, base ms, column it needs an index on)
SHOP_QUERIES = (
    ("q_auth_session", "SELECT * FROM sessions WHERE token = $1", "sessions", "auth", 1.0, 0.6,
     None),
    ("q_cat_list", "SELECT id, name, price FROM products WHERE category_id = $1 LIMIT $2",
     "products", "catalog", 0.7, 1.5, "products_category_idx"),
    ("q_cat_inv", "SELECT qty FROM inventory WHERE product_id = $1", "inventory", "catalog",
     0.3, 0.4, None),
    ("q_co_order", "INSERT INTO orders (user_id, total, currency) VALUES ($1, $2, $3)",
     "orders", "checkout", 0.5, 1.2, None),
    ("q_co_items", "INSERT INTO order_items (order_id, product_id, qty) VALUES ($1, $2, $3)",
     "order_items", "checkout", 0.5, 1.0, None),
    ("q_pay_insert", "INSERT INTO payments (order_id, amount, status) VALUES ($1, $2, $3)",
     "payments", "payments", 1.0, 1.1, None),
    ("q_ord_by_user", "SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20",
     "orders", "orders", 1.0, 2.2, "orders_user_id_idx"),
    ("q_notif", "INSERT INTO notifications (user_id, kind, body) VALUES ($1, $2, $3)",
     "notifications", "notifications", 1.0, 0.9, None),
    ("q_worker_ord", "UPDATE orders SET status = $2 WHERE id = $1", "orders", "worker", 1.0,
     1.0, None),
)
STARTUP_TABLES = {
    "users": (90_000, 0.2, ["users_pkey", "users_email_key"]),
    "items": (1_400_000, 2.1, ["items_pkey", "items_owner_id_idx"]),
    "jobs_log": (6_000_000, 8.0, ["jobs_log_pkey"]),
}
STARTUP_QUERIES = (
    ("q_items_owner", "SELECT * FROM items WHERE owner_id = $1 ORDER BY id DESC LIMIT 50",
     "items", "app", 0.8, 1.4, "items_owner_id_idx"),
    ("q_me", "SELECT * FROM users WHERE id = $1", "users", "app", 0.2, 0.3, None),
    ("q_jobs", "INSERT INTO jobs_log (job, status) VALUES ($1, $2)", "jobs_log", "worker", 1.0,
     0.8, None),
)


def _releases(seed: int, service: str) -> list[Release]:
    out = []
    n = 4
    major = 1 + noise.bits(seed, noise.sid(service), 1) % 4
    minor = 3 + noise.bits(seed, noise.sid(service), 2) % 20
    for k in range(n):
        age_days = (n - k) * 2.0 + noise.unit(seed, noise.sid(service), 3, k) * 1.5
        seq = 3000 + (noise.sid(service) % 500) + k * 11
        rid = f"rel-{seq}"
        bot = noise.unit(seed, noise.sid(service), 4, k) < 0.3
        author = noise.choice(seed, BOTS if bot else PEOPLE, noise.sid(service), 5, k)
        msg = noise.choice(seed, MESSAGES, noise.sid(service), 6, k)
        reviewer = noise.choice(seed, PEOPLE, noise.sid(service), 7, k)
        out.append(Release(rid, service, f"v{major}.{minor + k}.0",
                           noise.hexid(seed, 40, noise.sid(rid), noise.sid(service)), author, msg,
                           -age_days * DAY, {}, reviewer))
    return out


def build_state(topo: Topology, seed: int) -> State:
    services: dict[str, Service] = {}
    releases: dict[str, Release] = {}
    for c in topo.components:
        rels = _releases(seed, c.name)
        releases.update({r.id: r for r in rels})
        current = rels[-1]
        pods = []
        if c.kind != "external":
            for i in range(c.replicas):
                node = topo.nodes[noise.bits(seed, noise.sid(c.name), 8, i) % len(topo.nodes)]
                rs = noise.hexid(seed, 9, noise.sid(c.name), noise.sid(current.id))
                sfx = noise.hexid(seed, 5, noise.sid(c.name), 9, i)
                pods.append(Pod(f"{c.name}-{rs}-{sfx}", node, current.deployed_at + i * 40.0,
                                current.id, c.ready_delay_s))
        services[c.name] = Service(c.name, c.replicas, c.cpu_millicores, c.mem_limit_mb,
                                   current.id, default_config(c), pods)
    nodes = {n: Node(n, topo.node_cpu_millicores, topo.node_mem_mb) for n in topo.nodes}
    shop = topo.name == "shop"
    tables = SHOP_TABLES if shop else STARTUP_TABLES
    queries = SHOP_QUERIES if shop else STARTUP_QUERIES
    databases: dict[str, Database] = {}
    for c in topo.components:
        if c.kind != "postgres":
            continue
        replica_of = topo.kind_of("postgres")[0] if c.name.endswith("replica") else None
        databases[c.name] = Database(
            c.name,
            {n: Table(n, rows, size, list(idx), 2.0 + noise.unit(seed, noise.sid(n)) * 6.0,
                      -noise.unit(seed, noise.sid(n), 2) * DAY)
             for n, (rows, size, idx) in tables.items()},
            {} if replica_of else {
                q[0]: Query(q[0], q[1], q[2], q[3], q[4], q[5], q[6]) for q in queries},
            [],
            {} if replica_of else {"nightly-report": CronJob(
                "nightly-report", "0 3 * * *", "analytics", "psql -f reports/nightly.sql", True)},
            disk_used_gb=sum(v[1] for v in tables.values()) * 1.3 + 20.0,
            disk_growth_gb_per_h=0.15,
            replica_of=replica_of,
        )
    if shop:
        for db in databases.values():
            if db.replica_of:
                db.queries = {q[0]: Query(q[0], q[1], q[2], q[3], q[4], q[5], q[6])
                              for q in queries if q[3] in ("catalog", "orders")}
                db.queries["q_ord_by_user"].calls_share = 1.0
            else:
                db.queries["q_ord_by_user"].calls_share = 0.0
    caches = {c.name: Cache(c.name, True, -7 * DAY, 0.92, 4200.0 if shop else 1800.0)
              for c in topo.components if c.kind == "redis"}
    topics = {}
    for c in topo.components:
        for d in c.deps:
            if d.kind == "consume":
                topics[d.target] = Topic(d.target, d.target, c.name)
    flags = _flags(topo)
    edge = Edge(str(dict(topo["edge-lb"].config).get("CERT", "example.com")),
                cert_expires_at=(40 + noise.bits(seed, 11) % 40) * DAY,
                upstreams={"pool-a": Upstream("pool-a", 50), "pool-b": Upstream("pool-b", 50)})
    providers = {c.name: Provider(c.name, "operational", c.base_latency_ms, 0.0,
                                  float(str(dict(c.config).get("rate_limit_rps", 400))),
                                  120 * DAY)
                 for c in topo.components if c.kind == "external"}
    fleet = {name: FleetAgent(name, role, owner, interval,
                              next_run=noise.unit(seed, noise.sid(name)) * interval)
             for name, role, owner, interval in FLEET}
    return State(0.0, 0, services, releases, nodes, flags, databases, caches, topics, edge,
                 providers, fleet, Traffic())


def _flags(topo: Topology) -> dict[str, Flag]:
    if topo.name == "shop":
        specs = [
            ("checkout-new-pricing", True, "New pricing engine for checkout totals", "checkout",
             {}),
            ("search-ranker-v2", True, "Learning-to-rank for product search", "discovery", {}),
            ("payments-fallback-provider", False,
             "Route card payments to the secondary provider", "payments",
             {"service": "payments", "provider_fallback": 1.0}),
            ("orders-async-write", False, "Write order history asynchronously", "orders", {}),
            ("notifications-digest", True, "Batch notifications into a daily digest", "growth",
             {}),
        ]
    else:
        specs = [
            ("new-dashboard", True, "New dashboard UI", "backend", {}),
            ("bulk-import", False, "Allow CSV bulk import of items", "backend", {}),
        ]
    return {n: Flag(n, on, desc, owner, -3 * DAY, "alice.chen", dict(b))
            for n, on, desc, owner, b in specs}


def build_world(topology: str | Topology, seed: int) -> World:
    """A healthy world with ``seed``; the epoch moves with the seed (a different hour)."""
    topo = TOPOLOGIES[topology]() if isinstance(topology, str) else topology
    epoch = EPOCH + (noise.bits(seed, 12) % (24 * 14)) * 3600
    world = World(topo, seed, build_state(topo, seed), epoch)
    for agent in world.head.fleet.values():
        world.schedule(agent.next_run, "fleet", agent=agent.name)
    return world
