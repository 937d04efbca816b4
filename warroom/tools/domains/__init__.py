"""Tool domains. Importing this package registers every tool."""

from . import (  # noqa: F401
    brokers,
    cache,
    comms,
    database,
    deploy_platform,
    deploys,
    docs,
    error_tracker,
    errors,
    flags,
    fleet,
    kube,
    kube_workloads,
    logs,
    metrics,
    observe,
    postgres_admin,
    queue,
    report,
    traces,
)
