"""Shared fixtures: a few representative scenario ids and a fresh episode factory."""

from __future__ import annotations

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
