"""Grading: from an episode's trace and world state to a score. See ``grader``."""

from .grader import Grader, make_grader

__all__ = ["Grader", "make_grader"]
