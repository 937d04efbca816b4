"""Agents: the policy interface and the built-in policies (see ``base``)."""

from .base import POLICIES, Policy, make_policy, register_policy


def load_all() -> None:
    """Import the built-in policy modules so they register themselves."""
    import importlib

    for mod in ("oracle", "random_policy", "heuristic", "llm"):
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{mod}":
                raise


__all__ = ["POLICIES", "Policy", "load_all", "make_policy", "register_policy"]
