"""Telemetry rendered from state: logs, metric series, traces and error-tracker issues."""
