"""Fact-task generators: one question template per function, grouped by read domain.

A template says, from the scenario spec alone, whether it applies (``applies``), and reads its
facts and decoys from the world at the incident page (``make``). Which tasks exist follows
from the ids alone, so listing them needs no world: each catalog scenario gets one task in
``DOMAINS_PER_SCENARIO`` of the read domains (chosen by seeded rendezvous over the domains
with an applicable template), and in each chosen domain one template, drawn with the weights
the templates declare (narrow templates weigh more, so they are not drowned by general ones).
A task's split is its scenario's. A task id is ``<domain>/<template>@<scenario id>``.

To add a template: a function ``make(world, scenario, truths) -> Draft`` in the domain's
module, decorated with ``@template(domain, applies=..., weight=...)``. ``make`` must answer
for every scenario ``applies`` accepts (the tests play the domain oracle on all of dev).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ...tools.registry import load_all, paginate, validate
from ...types import ToolCall
from ...world import noise
from ...world.faults import Truth
from ...world.world import World
from ..fact_tasks import FactTask, names
from ..spec import Scenario

DOMAINS_PER_SCENARIO = 3


@dataclass(frozen=True)
class Draft:
    """What a template reads from one world: the question, the exact tokens of the answer,
    look-alikes the reads also show, and the tool calls whose outputs hold both."""

    question: str
    facts: tuple[str, ...]
    decoys: tuple[str, ...]
    reads: tuple[ToolCall, ...]
    step_budget: int = 12


Make = Callable[[World, Scenario, list[Truth]], Draft]


def always(scenario: Scenario) -> bool:
    return True


@dataclass(frozen=True)
class Template:
    name: str
    domain: str
    make: Make
    applies: Callable[[Scenario], bool] = always
    weight: float = 1.0
    doc: str = field(default="", compare=False)


TEMPLATES: dict[str, Template] = {}  # "<domain>/<name>" -> template


def template(domain: str, *, applies: Callable[[Scenario], bool] = always,
             weight: float = 1.0, name: str | None = None) -> Callable[[Make], Make]:
    """Register ``make`` as a template of ``domain`` (its name: the function's)."""
    def register(make: Make) -> Make:
        key = f"{domain}/{name or make.__name__}"
        if key in TEMPLATES:
            raise ValueError(f"template {key} registered twice")
        TEMPLATES[key] = Template(name or make.__name__, domain, make, applies, weight,
                                  (make.__doc__ or "").strip().split("\n")[0])
        return make
    return register


def observe(world: World, reads: Sequence[ToolCall]) -> list[tuple[str, Any]]:
    """(text, data) of each read played in order on a fork of ``world``, paginated and each
    charged its simulated cost afterwards, exactly as a domain episode plays them."""
    registry = load_all()
    fork = world.fork()
    outs = []
    for call in reads:
        spec = registry[call.name]
        args, page = validate(spec, call.arguments)
        out = spec.fn(fork, **args)
        outs.append((paginate(out.text, page), out.data))
        fork.advance(spec.cost_s)
    return outs


def checked(question: str, facts: Iterable[Any], decoys: Iterable[Any],
            reads: Sequence[ToolCall], outs: Sequence[tuple[str, Any]],
            most: int | None = None) -> Draft:
    """The draft of a task whose reads printed ``outs`` (see ``observe``): every fact must be
    printed (else ``ValueError``: the template does not fit this world); the decoys kept
    (at most ``most``) are distinct, printed, not named by an answer giving the facts alone
    and naming no fact themselves, and at least one must be left."""
    facts = tuple(dict.fromkeys(str(f) for f in facts))
    text = "\n".join(t for t, _ in outs)
    missing = [f for f in facts if not names(text, f)]
    if missing or not facts:
        raise ValueError(f"the reads do not print {missing} for: {question}")
    told = " ".join(facts)
    kept = tuple(dict.fromkeys(
        str(d) for d in decoys if d is not None and str(d) and names(text, str(d))
        and not names(told, str(d)) and not any(names(str(d), f) for f in facts)))
    if not kept:
        raise ValueError(f"no decoy printed by the reads for: {question}")
    return Draft(question, facts, kept[:most], tuple(reads))


def look_alikes(items: Sequence[str], facts: Sequence[str], n: int = 2) -> tuple[str, ...]:
    """Up to ``n`` of ``items``, in order, that neither name a fact nor are named by one
    (``maxmemory`` is named by ``maxmemory-policy``), so naming the facts names no decoy."""
    out: list[str] = []
    for item in items:
        if item not in out and not any(names(f, item) or names(item, f) for f in facts):
            out.append(item)
    return tuple(out[:n])


def load() -> dict[str, Template]:
    """Every template (importing the domain modules registers them)."""
    from . import database, deploys, errors, fleet, kubernetes, observability  # noqa: F401

    return TEMPLATES


def _score(sid: str, salt: int, key: str, weight: float) -> float:
    """Weighted rendezvous: the lowest score wins; weight w wins w times as often."""
    u = (noise.bits(0, noise.sid(sid), salt, noise.sid(key)) % (1 << 52) + 1) / (1 << 52)
    return -math.log(u) / weight


def tasks_of(scenario: Scenario) -> list[str]:
    """The fact-task ids of one scenario (its chosen domains, one template each)."""
    by_domain: dict[str, list[Template]] = {}
    for t in load().values():
        if t.applies(scenario):
            by_domain.setdefault(t.domain, []).append(t)
    domains = sorted(by_domain, key=lambda d: _score(scenario.id, 11, d, 1.0))
    out = []
    for d in domains[:DOMAINS_PER_SCENARIO]:
        best = min(by_domain[d], key=lambda t: _score(scenario.id, 12, f"{d}/{t.name}",
                                                      t.weight))
        out.append(f"{d}/{best.name}@{scenario.id}")
    return out


@lru_cache(maxsize=1)
def _catalog_tasks() -> tuple[tuple[str, str, str, str, str], ...]:
    from ..catalog import all_scenarios

    rows = []
    for sc in all_scenarios():
        for tid in tasks_of(sc):
            key = tid.split("@", 1)[0]
            domain, name = key.split("/", 1)
            rows.append((tid, domain, name, sc.split, sc.id))
    return tuple(rows)


def task_refs(domain: str | None = None, split: str | None = None) -> list[dict[str, str]]:
    """``{id, domain, template, split, scenario}`` of every catalog fact task (no world)."""
    return [{"id": t, "domain": d, "template": n, "split": s, "scenario": sc}
            for t, d, n, s, sc in _catalog_tasks()
            if (domain is None or d == domain) and (split is None or s == split)]


def iter_ids(domain: str | None = None, split: str | None = None) -> Iterator[str]:
    return (r["id"] for r in task_refs(domain, split))


def open_task(task_id: str, seed: int | None = None) -> FactTask:
    """Build the world of the task's scenario and read the task's facts from it."""
    from ..catalog import get as get_scenario
    from ..setup import start

    key, sep, sid = task_id.partition("@")
    tpl = load().get(key)
    if not sep or tpl is None:
        raise KeyError(f"unknown fact task {task_id!r}: ids look like "
                       f"'<domain>/<template>@<scenario id>' (see `warroom tasks`)")
    scenario = get_scenario(sid)
    if not tpl.applies(scenario):
        raise KeyError(f"template {key} does not apply to scenario {sid}")
    seed = scenario.seed if seed is None else int(seed)
    world, truths, _ = start(scenario, seed)
    draft = tpl.make(world, scenario, truths)
    return FactTask(task_id, tpl.domain, tpl.name, scenario.split, scenario, seed,
                    draft.question, draft.facts, draft.decoys, draft.reads, draft.step_budget)
