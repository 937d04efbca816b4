"""warroom: a deterministic incident war room for AI agents.

    >>> import warroom
    >>> ep = warroom.make("db_connection_leak/checkout/medium/v3")
    >>> obs = ep.reset(seed=0)
    >>> result = ep.step(warroom.ToolCall("list_alerts", {}))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .env.episode import Episode
from .types import Observation, StepResult, ToolCall

__version__ = "0.1.0"
__all__ = ["Episode", "Observation", "StepResult", "ToolCall", "make"]


def make(scenario: str | Path | Any, **options: Any) -> Episode:
    """An Episode for a catalog id, a scenario file path, or a ``Scenario`` object.

    Options: ``max_steps`` (override the step budget), ``reward_config`` (a named config).
    """
    from .scenarios import get
    from .scenarios.spec import Scenario

    if isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, Path) or (isinstance(scenario, str) and scenario.endswith(
            (".yaml", ".yml", ".json"))):
        from .scenarios.files import load

        sc = load(Path(scenario))
    else:
        sc = get(str(scenario))
    return Episode(sc, **options)
