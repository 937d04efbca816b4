"""Fault types: state changes with their ground truth. ``FAULTS`` maps name -> FaultType.

Importing this package registers every family module.
"""

from .base import FAULTS, Evidence, FaultType, Truth, register

from . import catalog_core  # noqa: E402,F401  (registers the built-in faults)

__all__ = ["FAULTS", "Evidence", "FaultType", "Truth", "register"]
