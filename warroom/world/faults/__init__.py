"""Fault types: state changes with their ground truth. ``FAULTS`` maps name -> FaultType.

Importing this package registers every family module (one module per family) and the
distractors (red herrings, kept in their own registry).
"""

from . import (  # noqa: F401  (each module registers its faults)
    appdata,
    bots,
    cache,
    capacity,
    capacity_partial,
    compute,
    config,
    database,
    deploy,
    distractors,
    external,
    network,
    queue,
    replication,
    rogue,
    rogue_subtle,
    rollout,
    security,
    thrash,
    verbose_logging,
)
from .base import FAULTS, Evidence, FaultType, Truth, WrongFix, register

__all__ = ["FAULTS", "Evidence", "FaultType", "Truth", "WrongFix", "register"]
