"""Options shared by commands that build a policy (``run``, ``eval``)."""

from __future__ import annotations

from typing import Any

import typer

from .errors import fail

MODEL = typer.Option(None, "--model", help="model name for --policy llm")
BASE_URL = typer.Option(None, "--base-url",
                        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1")
API_KEY_ENV = typer.Option(None, "--api-key-env",
                           help="environment variable holding the API key")
TOOL_MODE = typer.Option("native", "--tool-mode",
                         help="native tool calls, or react text for models without them")
PRICE_IN = typer.Option(None, "--price-in", help="USD per million input tokens (for cost)")
PRICE_OUT = typer.Option(None, "--price-out", help="USD per million output tokens")
HIERARCHY = typer.Option(False, "--hierarchy", help="compare flat agents with orchestrators "
                         "over domain subagents on the same incidents (success, score, tool "
                         "calls, tokens reaching the top model)")
SUBAGENTS = typer.Option(None, "--subagents", help="with --hierarchy: 'heuristic' (default), "
                         "one spec for every domain ('llm:model=M,base_url=U') or "
                         "'errors=llm:model=M;database=heuristic'")

DOMAIN = typer.Option(None, "--domain", help="evaluate on that read domain's fact tasks "
                      "(errors, database, deploys, kubernetes, observability, fleet); --n is "
                      "then tasks per template (default 10, 0: all)")
TEMPLATE = typer.Option(None, "--template", help="with --domain: one template only")
SCENARIO_FILE = typer.Option(None, "--scenario", help="with --domain: a scenario file whose "
                             "own fact tasks (fact_tasks) to evaluate")


def llm_kwargs(model: str | None, base_url: str | None, api_key_env: str | None,
               tool_mode: str, price_in: float | None, price_out: float | None
               ) -> dict[str, Any]:
    """Keyword arguments for the ``llm`` policy; a clear error when --model is missing."""
    if not model:
        fail("--policy llm needs --model NAME (and usually --base-url)")
    kw: dict[str, Any] = {"model": model, "tool_mode": tool_mode}
    for key, value in (("base_url", base_url), ("api_key_env", api_key_env),
                       ("price_in", price_in), ("price_out", price_out)):
        if value is not None:
            kw[key] = value
    return kw
