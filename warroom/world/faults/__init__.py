"""Fault types: state changes with their ground truth. ``FAULTS`` maps name -> FaultType.

Importing this package registers every family module.
"""

from . import catalog_core  # noqa: F401  (registers the built-in faults)
from .base import FAULTS, Evidence, FaultType, Truth, register

__all__ = ["FAULTS", "Evidence", "FaultType", "Truth", "register"]
