"""The solved state of the system at one instant: metrics per component and endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

# HTTP status an error cause turns into, by the cause's prefix.
CAUSE_STATUS = {
    "overload": 503, "threads": 503, "no_ready_pods": 503, "maintenance": 503,
    "pool_timeout": 500, "exception": 500, "db_error": 500, "cache_error": 500,
    "dep_timeout": 504, "dep_error": 502, "conn_refused": 502, "dns": 502,
    "rate_limited": 429, "upstream_draining": 502, "edge_conn_limit": 503,
    "health_check": 502, "tls": 495, "provider_429": 502, "provider_401": 502,
    "provider_5xx": 502, "stale_read": 404, "mtls": 502,
}


def cause_status(cause: str) -> int:
    return CAUSE_STATUS.get(cause.split(":", 1)[0], 500)


def answer_status(causes: dict[str, float]) -> int:
    """The status a component most often answers failing requests with (503 if none)."""
    by_status: dict[int, float] = {}
    for cause, rate in causes.items():
        code = cause_status(cause)
        by_status[code] = by_status.get(code, 0.0) + rate
    return max(by_status, key=lambda c: (by_status[c], c)) if by_status else 503


@dataclass(slots=True)
class PodStatus:
    name: str
    node: str
    release: str
    phase: str
    ready: bool
    restarts: int
    mem_mb: float
    started_at: float
    last_reason: str | None = None
    last_exit_at: float | None = None
    crash_message: str | None = None


@dataclass(slots=True)
class ComponentMetrics:
    """What one component is doing. ``causes`` maps an error mechanism to requests/s."""

    name: str
    rps: float = 0.0
    served_rps: float = 0.0
    error_rps: float = 0.0
    causes: dict[str, float] = field(default_factory=dict)
    mean_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_util: float = 0.0
    ready: int = 0
    desired: int = 0
    pods: list[PodStatus] = field(default_factory=list)
    pool_size: int = 0
    pool_in_use: float = 0.0
    pool_waiting: float = 0.0
    saturation: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def error_frac(self) -> float:
        return self.error_rps / self.rps if self.rps > 0 else 0.0

    @property
    def restarts(self) -> int:
        return sum(p.restarts for p in self.pods)

    @property
    def mem_mb(self) -> float:
        live = [p.mem_mb for p in self.pods if p.phase == "Running"]
        return sum(live) / len(live) if live else 0.0

    def add_cause(self, cause: str, rps: float) -> None:
        if rps > 1e-9:
            self.causes[cause] = self.causes.get(cause, 0.0) + rps


@dataclass(slots=True)
class EndpointMetrics:
    method: str
    path: str
    rps: float
    error_rps: float
    p50_ms: float
    p99_ms: float
    slo_p99_ms: float
    status: dict[int, float] = field(default_factory=dict)


@dataclass(slots=True)
class Snapshot:
    t: float
    components: dict[str, ComponentMetrics]
    endpoints: list[EndpointMetrics]

    def __getitem__(self, name: str) -> ComponentMetrics:
        return self.components[name]
