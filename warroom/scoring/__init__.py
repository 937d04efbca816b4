"""Grading: from an episode's trace and world to a rubric tree, a score and dense rewards.

See ``grader`` for the flow, ``tree`` for the shape of the rubric, ``configs`` for the
named, versioned reward configs, and ``gaming`` for the cheap strategies that must not pay.
"""

from .configs import CONFIGS, RewardConfig, get_config
from .grader import Grader, make_grader

__all__ = ["CONFIGS", "Grader", "RewardConfig", "get_config", "make_grader"]
