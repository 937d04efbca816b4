"""Scenarios: a fault (or several) on a target, in a tier, with a seed.

``catalog`` maps ids to scenarios, ``tiers`` defines the tiers by their knobs, ``splits``
assigns ids to train/dev/test/ood, ``generator`` samples the catalog, ``files`` loads
hand-written scenario files, ``docs`` renders the fault catalog page.
"""

from .catalog import all_scenarios, get
from .generator import generate, mix
from .spec import FaultSpec, Scenario

__all__ = ["FaultSpec", "Scenario", "all_scenarios", "generate", "get", "mix"]
