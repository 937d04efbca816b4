"""The world's mutable state: one strict model, versioned in time, with a canonical hash.

A ``State`` is a version of the world valid from ``since`` until the next version. Versions
share unchanged objects; anything edited is copied first (see ``World.edit``), so a past
version is never modified and history can be re-rendered at any instant.

Fields named ``behavior`` and ``hidden`` are physics inputs an engineer cannot see directly
(what a release's code does, what a fleet agent's policy really is). Tools never render them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any


@dataclass
class Pod:
    name: str
    node: str
    created_at: float
    release: str
    ready_delay: float
    deleted_at: float | None = None

    def alive(self, t: float) -> bool:
        return self.created_at <= t and (self.deleted_at is None or t < self.deleted_at)


@dataclass
class Release:
    id: str
    service: str
    version: str
    commit: str
    author: str
    message: str
    deployed_at: float
    config_diff: dict[str, list[Any]] = field(default_factory=dict)
    reviewed_by: str | None = None
    status: str = "succeeded"
    behavior: dict[str, Any] = field(default_factory=dict)


@dataclass
class Service:
    name: str
    replicas: int
    cpu_millicores: int
    mem_limit_mb: int
    release: str
    config: dict[str, Any]
    pods: list[Pod]
    behavior: dict[str, Any] = field(default_factory=dict)
    rollout: dict[str, Any] | None = None


@dataclass
class Node:
    name: str
    cpu_millicores: int
    mem_mb: int
    cordoned: bool = False
    foreign_cpu_millicores: int = 0


@dataclass
class Flag:
    name: str
    enabled: bool
    description: str
    owner: str
    updated_at: float
    updated_by: str
    behavior: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    name: str
    rows: int
    size_gb: float
    indexes: list[str]
    dead_pct: float = 2.0
    last_autovacuum: float = 0.0
    renamed: dict[str, str] = field(default_factory=dict)  # column -> new name (migrations)


@dataclass
class Query:
    queryid: str
    text: str
    table: str
    service: str
    calls_share: float
    base_ms: float
    index_on: str | None = None


@dataclass
class Transaction:
    pid: int
    user: str
    application: str
    state: str
    started_at: float
    query: str
    locks: str
    cpu_share: float = 0.0  # of the database's CPU this session burns
    write_gb_per_h: float = 0.0  # bulk writes growing the data volume
    lag_s_per_min: float = 0.0  # standby: replay held back; primary: WAL beyond replay


@dataclass
class CronJob:
    name: str
    schedule: str
    owner: str
    command: str
    enabled: bool
    db_cpu_share: float = 0.0
    next_run: float = 0.0


@dataclass
class Database:
    name: str
    tables: dict[str, Table]
    queries: dict[str, Query]
    transactions: list[Transaction]
    jobs: dict[str, CronJob]
    disk_used_gb: float
    disk_growth_gb_per_h: float
    replica_of: str | None = None
    replica_up: bool = True
    replica_lag_growth_s_per_min: float = 0.0
    replica_lag0_s: float = 0.0


@dataclass
class Cache:
    name: str
    up: bool
    restarted_at: float
    warm_hit_ratio: float
    keyspace_mb: float
    password_valid: bool = True


@dataclass
class Topic:
    name: str
    queue: str
    consumer_service: str
    depth0: float = 0.0
    depth0_at: float = 0.0
    dead_letters: int = 0
    hidden: dict[str, Any] = field(default_factory=dict)


@dataclass
class Upstream:
    pool: str
    weight: int
    draining: bool = False


@dataclass
class Edge:
    cert_domain: str
    cert_expires_at: float
    upstreams: dict[str, Upstream]
    dns: dict[str, str] = field(default_factory=dict)
    certs: dict[str, float] = field(default_factory=dict)  # TLS secret -> expiry


@dataclass
class Provider:
    name: str
    status: str
    latency_ms: float
    error_pct: float
    rate_limit_rps: float
    credentials_expire_at: float
    status_incidents: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, float] = field(default_factory=dict)  # our API key ref -> expiry


@dataclass
class FleetAgent:
    name: str
    role: str
    owner: str
    interval_s: float
    next_run: float
    paused: bool = False
    flagged: bool = False
    policy: str = "benign"
    hidden: dict[str, Any] = field(default_factory=dict)


@dataclass
class Traffic:
    multiplier: float = 1.0
    spikes: list[dict[str, float]] = field(default_factory=list)
    namespace_pod_quota: int = 200


@dataclass
class State:
    """One version of the world, valid from ``since`` (simulated seconds)."""

    since: float
    seq: int
    services: dict[str, Service]
    releases: dict[str, Release]
    nodes: dict[str, Node]
    flags: dict[str, Flag]
    databases: dict[str, Database]
    caches: dict[str, Cache]
    topics: dict[str, Topic]
    edge: Edge
    providers: dict[str, Provider]
    fleet: dict[str, FleetAgent]
    traffic: Traffic


def to_plain(obj: Any) -> Any:
    """Dataclasses/dicts/lists -> JSON-ready values with floats rounded to 6 places."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def canonical_hash(obj: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no whitespace, rounded floats)."""
    text = json.dumps(to_plain(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
