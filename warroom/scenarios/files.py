"""Scenario files: a team's postmortem written as YAML or JSON, run like a catalog id.

``load(path)`` returns a ``Scenario`` or raises ``ScenarioFileError`` whose message lists
every problem, each naming the offending field (``faults[0].target: ...``). ``validate``
returns the same problems as a list (empty when the file is fine), for
``warroom validate FILE``. Beyond the schema, a file is checked against the catalog: fault
and distractor types exist, targets exist in the topology and suit the fault, overrides
name real components, fault parameters are ones the fault reads, and the file's own fact
tasks name a read domain and that domain's tools. A file that names its
``tier`` gets that catalog tier's noise, step budget and red herrings unless it sets them.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..world.faults import FAULTS
from ..world.faults.base import parameters
from ..world.faults.distractors import DISTRACTORS
from ..world.topology import TOPOLOGIES
from .spec import Scenario
from .tiers import TIERS


class ScenarioFileError(ValueError):
    """A scenario file that cannot be used; ``problems`` names each bad field."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def _unreadable(path: Path, exc: Exception) -> str:
    """One line for a file that cannot be read or parsed (no parser traceback)."""
    if isinstance(exc, FileNotFoundError):
        return f"(file): {path} does not exist"
    if isinstance(exc, IsADirectoryError):
        return f"(file): {path} is a directory, expected a .yaml or .json scenario file"
    if isinstance(exc, UnicodeDecodeError):
        return f"(file): not UTF-8 text (byte {exc.start}: {exc.reason})"
    if isinstance(exc, OSError):
        return f"(file): cannot read {path}: {exc.strerror or exc}"
    if isinstance(exc, json.JSONDecodeError):
        return f"(file): not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"(file): not valid YAML: {where}{problem}"


def _suggest(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _schema_problem(err: Any) -> str:
    """A pydantic error as ``field: what was wrong; what was expected``."""
    field = _field(tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        return (f"{field}: unknown field{_suggest(name, sorted(Scenario.model_fields))}; "
                f"valid: {', '.join(sorted(Scenario.model_fields))}"
                if len(err["loc"]) == 1 else f"{field}: unknown field")
    if err["type"] == "missing":
        return f"{field}: required field is missing"
    got = err.get("input")
    shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
    return f"{field}: {err['msg']} (got {shown}, of type {type(got).__name__})"


def parse(data: Any, name: str = "") -> tuple[Scenario | None, list[str]]:
    """A scenario from already-read data, and the problems found (field: message)."""
    if data is None:
        return None, ["(file): the file is empty; expected a mapping of scenario fields "
                      "(title, topology, tier, faults, ...)"]
    if not isinstance(data, dict):
        return None, [f"(file): expected a mapping of scenario fields, got a "
                      f"{type(data).__name__}"]
    data = dict(data)
    data.setdefault("id", f"file:{name}" if name else "file:scenario")
    data.setdefault("split", "custom")
    knobs = TIERS.get(data["tier"]) if isinstance(data.get("tier"), str) else None
    if knobs is not None:  # a named tier gives the catalog's presets unless the file sets them
        data.setdefault("step_budget", knobs.step_budget)
        data.setdefault("noise", knobs.noise)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        return None, [_schema_problem(e) for e in exc.errors()]
    problems = semantic_problems(sc)
    if knobs is not None and "distractors" not in data and knobs.distractors and not problems:
        from .catalog import distractors_for

        avoid = {f.target for f in sc.faults}
        sc = sc.model_copy(update={"distractors": distractors_for(
            knobs.distractors, sc.topology, avoid, sc.id)})
    return sc, problems


def semantic_problems(sc: Scenario) -> list[str]:
    """What the schema cannot see: unknown types, targets, components."""
    topo = TOPOLOGIES[sc.topology]()
    problems = []
    for i, f in enumerate(sc.faults):
        ft = FAULTS.get(f.type)
        if ft is None:
            problems.append(f"faults[{i}].type: unknown fault type {f.type!r}"
                            f"{_suggest(f.type, sorted(FAULTS))}; `warroom list` and "
                            f"docs/faults.md name the {len(FAULTS)} fault types")
            continue
        if sc.topology not in ft.topologies:
            problems.append(f"faults[{i}].type: {f.type} does not apply to the "
                            f"{sc.topology} topology (it needs {', '.join(ft.topologies)})")
            continue
        valid = ft.targets(topo)
        if f.target not in valid:
            problems.append(f"faults[{i}].target: {f.type} cannot target {f.target!r} in "
                            f"{sc.topology}; valid: {', '.join(valid)}")
        known = list(parameters(ft))
        for name in sorted(set(f.params) - set(known)):
            problems.append(f"faults[{i}].params.{name}: {f.type} has no parameter {name!r}"
                            f"{_suggest(name, known)}; valid: {', '.join(known) or '(none)'}")
    for i, d in enumerate(sc.distractors):
        kind = DISTRACTORS.get(d.type)
        if kind is None:
            problems.append(f"distractors[{i}].type: unknown distractor {d.type!r}"
                            f"{_suggest(d.type, sorted(DISTRACTORS))}; valid: "
                            f"{', '.join(sorted(DISTRACTORS))}")
        elif d.target not in kind.targets(topo):
            problems.append(f"distractors[{i}].target: {d.type} cannot target {d.target!r}; "
                            f"valid: {', '.join(kind.targets(topo))}")
    for name in sc.overrides:
        if name not in topo.names:
            problems.append(f"overrides.{name}: no such component in {sc.topology}; valid: "
                            f"{', '.join(topo.names)}")
    return problems + fact_task_problems(sc)


def fact_task_problems(sc: Scenario) -> list[str]:
    """A file's own fact tasks: a read domain, reads that are tools of that domain, and
    facts that are not also decoys (that task could never be answered)."""
    from ..tools.slices import DOMAINS, READ_DOMAINS

    problems = []
    for i, task in enumerate(sc.fact_tasks):
        where = f"fact_tasks[{i}]"
        if task.domain not in READ_DOMAINS:
            problems.append(f"{where}.domain: unknown read domain {task.domain!r}"
                            f"{_suggest(task.domain, list(READ_DOMAINS))}; valid: "
                            f"{', '.join(READ_DOMAINS)}")
            continue
        tools = [t.name for t in DOMAINS[task.domain].tools()]
        for j, read in enumerate(task.reads):
            if read.tool not in tools:
                problems.append(f"{where}.reads[{j}].tool: {read.tool!r} is not a tool of the "
                                f"{task.domain} domain{_suggest(read.tool, tools)}; valid: "
                                f"{', '.join(tools)}")
        both = sorted({f.lower() for f in task.facts} & {d.lower() for d in task.decoys})
        if both:
            problems.append(f"{where}.decoys: {', '.join(both)} is also a fact")
    return problems


def validate(path: str | Path) -> list[str]:
    """Every problem with a scenario file, each naming its field (empty: the file is ok)."""
    path = Path(path)
    try:
        data = _read(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        return [_unreadable(path, exc)]
    return parse(data, path.stem)[1]


def load(path: str | Path) -> Scenario:
    """The scenario in a YAML/JSON file; ``ScenarioFileError`` names every bad field."""
    path = Path(path)
    problems = validate(path)
    if problems:
        raise ScenarioFileError(path, problems)
    sc, _ = parse(_read(path), path.stem)
    assert sc is not None
    return sc


def examples() -> list[Path]:
    """The example scenario files shipped with the package."""
    return sorted((Path(__file__).parent / "examples").glob("*.yaml"))
