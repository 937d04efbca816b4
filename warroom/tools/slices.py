"""The hierarchy's domains: named slices of the tool registry, one subagent each.

A tool's ``@tool`` group (``metrics``, ``flags``, ...) says which technology it belongs to;
a domain gathers the read tools of some groups (what one specialist reads), and
``operations`` holds every write tool (the one specialist allowed to change the world).
Adding a domain is one entry in ``DOMAINS``; a tool in a group that no read domain lists
is caught by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import READ, WRITE, ToolSpec, load_all


@dataclass(frozen=True)
class Domain:
    name: str
    title: str
    groups: tuple[str, ...]
    kind: str = READ

    def tools(self) -> list[ToolSpec]:
        """This domain's tools, in registry order."""
        reg = load_all()
        if self.kind == WRITE:
            return [s for s in reg.values() if s.kind == WRITE]
        return [s for s in reg.values() if s.kind == READ and s.domain in self.groups]


DOMAINS: dict[str, Domain] = {d.name: d for d in (
    Domain("errors", "Error tracker: grouped exceptions, their events and culprit frames",
           ("errors",)),
    Domain("database", "Datastores: PostgreSQL activity, locks and queries; cache; queue",
           ("database", "cache", "queue")),
    Domain("deploys", "Deploy platform: releases, rollouts, configuration and feature flags",
           ("deploys", "flags")),
    Domain("kubernetes", "Kubernetes: pods, events, nodes and resources", ("kubernetes",)),
    Domain("observability", "Metrics, logs, traces, alerts, the service map, runbooks and "
           "provider status", ("metrics", "logs", "traces", "alerts", "observe", "docs")),
    Domain("fleet", "The fleet of autonomous AI agents and their audit log", ("fleet",)),
    Domain("operations", "Every write action: rollbacks, restarts, scaling, config, flags, "
           "cache, fleet controls, paging and status updates", (), WRITE),
)}
READ_DOMAINS = tuple(n for n, d in DOMAINS.items() if d.kind == READ)
#: Groups whose tools belong to the top level, not to any subagent.
TOP_LEVEL_GROUPS = ("report",)


def domain_of(tool_name: str) -> str | None:
    """The domain a tool belongs to (None for the report tools of the top level)."""
    spec = load_all()[tool_name]
    for d in DOMAINS.values():
        if spec in d.tools():
            return d.name
    return None
