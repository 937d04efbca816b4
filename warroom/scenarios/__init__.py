"""Scenarios: a fault (or several) on a target, in a tier, with a seed. See ``catalog``."""

from .catalog import all_scenarios, generate, get
from .spec import FaultSpec, Scenario

__all__ = ["FaultSpec", "Scenario", "all_scenarios", "generate", "get"]
