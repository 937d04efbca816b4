"""Tool domains. Importing this package registers every tool."""

from . import (  # noqa: F401
    cache,
    comms,
    database,
    deploys,
    docs,
    error_tracker,
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
