"""The random baseline: valid-looking random tool calls, then a random report.

It first reads the service map and the report categories (so its names are real ones),
then calls random tools with arguments drawn from what earlier outputs showed (components,
releases, pods, issues, agents, flags, config keys...), and after a random number of steps
submits a report naming a random component and category. Seeded: the same seed and
observations give the same calls.
"""

from __future__ import annotations

import random
from typing import Any

from ..tools.registry import load_all
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy, register_policy

FINAL = "submit_report"
#: The v1 toolset: the 40 registry tools the random baseline was defined over. It draws only
#: from these (and from non-registry tools an environment adds, such as a team's chat), so
#: tools added to the registry later leave its runs, and the golden baselines, unchanged.
V1_TOOLS: tuple[str, ...] = (
    "list_alerts", "cache_stats", "flush_cache", "page_team", "post_update", "db_activity",
    "db_locks", "db_slow_queries", "kill_query", "run_sql", "get_config", "get_deploy",
    "list_deploys", "rollback_deploy", "set_config", "search_docs", "get_issue", "list_issues",
    "list_flags", "set_flag", "flag_rogue_agent", "list_fleet_actions", "list_fleet_agents",
    "pause_agent", "describe_pod", "get_events", "list_nodes", "list_pods", "restart_service",
    "scale_service", "set_resources", "search_logs", "query_metrics", "get_service_map",
    "provider_status", "queue_stats", "list_categories", "submit_report", "get_trace",
    "search_traces")
OPENING = (ToolCall("get_service_map", {}), ToolCall("list_categories", {}))
METRICS = ("rps", "error_rate", "latency_p99_ms", "cpu", "memory_mb", "db_pool_in_use",
           "connections", "hit_ratio", "depth", "restarts")
WORDS = ("error", "timeout", "pool", "OOM", "refused", "slow", "WARN", "retry", "deploy")
SQL = ("SELECT * FROM pg_stat_activity", "SELECT * FROM pg_stat_statements",
       "SELECT * FROM pg_locks", "SELECT relname, n_dead_tup FROM pg_stat_user_tables",
       "SELECT * FROM cron_job")
AGENTS = ("autoscaler", "deploy-bot", "lb-tuner", "cost-optimizer", "config-sync")
# argument name -> vocabulary bucket filled from observations
BUCKET = {"service": "component", "database": "component", "cache": "component",
          "release_id": "release", "to_release": "release", "issue_id": "issue",
          "pod": "pod", "trace_id": "trace", "agent": "agent", "flag": "flag",
          "team": "team", "key": "config_key"}
# structured-output field -> vocabulary bucket
HARVEST = {"id": "release", "pod": "pod", "trace_id": "trace", "agent": "agent",
           "flag": "flag", "team": "team"}


@register_policy("random")
class RandomPolicy(Policy):
    """Random valid tool calls with plausible arguments, then a random report."""

    name = "random"

    def __init__(self, min_steps: int = 3) -> None:
        super().__init__()
        self.min_steps = min_steps

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed, truths)
        self.rng = random.Random(seed)
        self.tools = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
        self.vocab: dict[str, list[Any]] = {"agent": list(AGENTS)}
        self.config: dict[str, dict[str, Any]] = {}
        budget = (observation.data or {}).get("step_budget", 30)
        self.steps_left = self.rng.randint(min(self.min_steps, budget - 1), budget - 1)
        self.opening = list(OPENING)
        self.last: ToolCall | None = None

    def act(self, observation: Observation) -> ToolCall:
        self._learn(observation)
        self.steps_left -= 1
        if self.opening:
            call = self.opening.pop(0)
        elif self.steps_left <= 0:
            call = self._report()
        else:
            name = self.rng.choice(self._drawable())
            call = ToolCall(name, self._arguments(name))
        self.last = call
        return call

    def _drawable(self) -> list[str]:
        """Offered tools it may draw: the v1 registry tools and any non-registry ones."""
        registry = load_all()
        return sorted(n for n in self.tools
                      if n != FINAL and (n in V1_TOOLS or n not in registry))

    # -- what earlier outputs showed --------------------------------------------------------

    def _add(self, bucket: str, value: Any) -> None:
        if isinstance(value, str) and value and value not in self.vocab.setdefault(bucket, []):
            self.vocab[bucket].append(value)

    def _learn(self, observation: Observation) -> None:
        data = observation.data
        if self.last is not None and self.last.name == "list_categories" and \
                isinstance(data, list):
            for c in data:
                self._add("category", c)
        if self.last is not None and self.last.name == "get_config" and isinstance(data, dict):
            service = self.last.arguments.get("service", "")
            self.config[service] = dict(data)
            return
        if self.last is not None and self.last.name == "get_service_map" and \
                isinstance(data, dict):
            for comp in data.get("components", []):
                self._add("component", comp.get("name"))
        self._walk(data, 0)

    def _walk(self, data: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(data, dict):
            for k, v in data.items():
                if k == "id" and isinstance(v, str) and not v.startswith("rel-"):
                    self._add("issue", v)
                elif k in HARVEST:
                    self._add(HARVEST[k], v)
                self._walk(v, depth + 1)
        elif isinstance(data, list):
            for v in data[:40]:
                self._walk(v, depth + 1)

    # -- drawing arguments ------------------------------------------------------------------

    def _pick(self, bucket: str, fallback: Any) -> Any:
        values = self.vocab.get(bucket)
        return self.rng.choice(values) if values else fallback

    def _arguments(self, tool: str) -> dict[str, Any]:
        schema = self.tools[tool]
        required = set(schema.get("required", []))
        args: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            if name == "page" or (name not in required and self.rng.random() < 0.6):
                continue
            args[name] = self._value(tool, name, prop, args)
        return args

    def _value(self, tool: str, name: str, prop: dict[str, Any], args: dict[str, Any]) -> Any:
        rng = self.rng
        if "enum" in prop:
            return rng.choice(prop["enum"])
        if name in BUCKET:
            if name == "key":
                keys = sorted(self.config.get(args.get("service", ""), {}))
                return rng.choice(keys) if keys else "TIMEOUT_MS"
            return self._pick(BUCKET[name], "api-gateway" if BUCKET[name] == "component"
                              else "unknown")
        if name == "value":
            current = self.config.get(args.get("service", ""), {}).get(args.get("key", ""))
            if isinstance(current, bool):
                return not current
            if isinstance(current, int | float):
                return type(current)(max(1, current * rng.choice((0.5, 2, 4))))
            return current
        special: dict[str, Any] = {
            "metric": lambda: rng.choice(METRICS), "minutes": lambda: rng.choice((5, 15, 60)),
            "hours": lambda: rng.choice((1, 6, 24)), "replicas": lambda: rng.randint(0, 8),
            "step_s": lambda: 60, "cpu_millicores": lambda: rng.choice((250, 500, 2000)),
            "memory_mb": lambda: rng.choice((256, 512, 2048)), "pid": lambda: 1000,
            "min_duration_ms": lambda: rng.choice((0.0, 500.0)),
            "root_cause": lambda: self._root_cause()}
        if name in special:
            return special[name]()
        if name == "query":
            return rng.choice(SQL) if tool == "run_sql" else rng.choice(WORDS)
        kind = prop.get("type")
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "integer":
            return rng.randint(1, 5)
        if kind == "number":
            return float(rng.randint(1, 5))
        return f"random on-call action ({tool})"

    def _root_cause(self) -> dict[str, Any]:
        return {"component": self._pick("component", "api-gateway"),
                "category": self._pick("category", "compute/memory_leak"),
                "culprit": self.rng.choice([None, self._pick("release", None)])}

    def _report(self) -> ToolCall:
        rc = self._root_cause()
        return ToolCall(FINAL, {"root_cause": rc, "summary": f"Suspected {rc['category']} in "
                                                            f"{rc['component']}."})
