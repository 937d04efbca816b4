"""Tool domains. Importing this package registers every tool.

The v1 domains are imported first, so the registry (and every face generated from it)
lists the original tools in their original order, followed by the tools added since.
"""

# isort: off
from . import (  # noqa: F401
    cache,
    comms,
    database,
    deploys,
    docs,
    errors,
    flags,
    fleet,
    kube,
    logs,
    metrics,
    observe,
    queue,
    report,
    traces,
)
from . import (  # noqa: F401
    alert_rules,
    brokers,
    deploy_platform,
    error_tracker,
    fleet_audit,
    kube_workloads,
    log_trace_analytics,
    metrics_views,
    network_edge,
    postgres_admin,
)
# isort: on
