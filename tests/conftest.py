"""Shared fixtures: a few representative scenario ids and a fresh episode factory."""

from __future__ import annotations

import os

import pytest

import warroom

SAMPLE_IDS = [
    "db_connection_leak/checkout/medium/v1",
    "memory_leak/orders/hard/v2",
    "rogue_autoscaler/catalog/medium/v1",
    "db_connection_leak/app/easy/v1",
]


@pytest.fixture
def episode():
    ep = warroom.make(SAMPLE_IDS[0])
    ep.reset(seed=0)
    return ep

# Faces whose frameworks pin conflicting versions are tested in their own virtual
# environments by .ci/steps/*.sh (which set WARROOM_SEPARATE_ENV=1); the main suite skips
# collecting them so that a plain `pytest` works in the main environment.
collect_ignore_glob = [] if os.environ.get("WARROOM_SEPARATE_ENV") else [
    "test_hud*.py", "test_verifiers*.py", "test_train*.py", "test_servers_*.py", "test_gym*.py"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI a skipped test is a failure: CI installs every dependency, so none may skip."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (every dependency is installed there): {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):  # type: ignore[no-untyped-def]
    """Module-level skips (importorskip) fail in CI too."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"module skipped in CI: {report.longrepr}"


#: Files whose tests are independent and long: xdist spreads them over its workers. Every
#: other file runs whole on one worker, so module-scoped fixtures are built once.
SPREAD_FILES = {"test_leaks.py", "test_splits.py"}


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    for item in items:
        if item.path.name not in SPREAD_FILES:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
