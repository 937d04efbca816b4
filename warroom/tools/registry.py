"""The one tool registry. Every face (Python API, OpenAI schemas, MCP, OpenEnv, TRL, Gym)
is generated from it.

A tool is a typed function ``fn(world, **args) -> ToolOutput`` with a Google-style
docstring; ``@tool`` records its domain, whether it reads or writes, and the simulated
seconds it costs. Arguments are validated here, so a bad call becomes a ``ToolError`` with
a message that says what was wrong and what is valid, never an exception from the tool.
Read tools get a ``page`` argument: outputs are cut at about 2,000 characters per page.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

READ, WRITE, FINAL = "read", "write", "final"
PAGE_CHARS = 2000
RESERVED = {"reset", "step", "state", "close", "render"}


class ToolError(Exception):
    """A bad tool call: the message is shown to the agent as the observation."""


@dataclass
class ToolOutput:
    """Text for a language model and the same content as structured data."""

    text: str
    data: Any = None


@dataclass(frozen=True)
class Param:
    name: str
    annotation: Any
    required: bool
    default: Any
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    domain: str
    kind: str
    cost_s: float
    description: str
    params: tuple[Param, ...]
    fn: Callable[..., ToolOutput] = field(compare=False, repr=False)

    @property
    def paged(self) -> bool:
        return self.kind == READ

    def json_schema(self) -> dict[str, Any]:
        props = {p.name: dict(p.schema, description=p.description) for p in self.params}
        required = [p.name for p in self.params if p.required]
        if self.paged:
            props["page"] = {"type": "integer", "minimum": 1,
                             "description": "Page of a long output (default 1)."}
        return {"type": "object", "properties": props, "required": required,
                "additionalProperties": False}

    def openai_schema(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": self.json_schema()}}


REGISTRY: dict[str, ToolSpec] = {}


def _type_schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin is Literal:
        vals = list(typing.get_args(tp))
        return {"type": _json_type(type(vals[0])), "enum": vals}
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _type_schema(args[0]) if len(args) == 1 else {}
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return {"type": "array", "items": _type_schema(item) if item is not Any else {}}
    if origin is dict or tp is dict:
        return {"type": "object"}
    if tp is Any:
        return {}
    return {"type": _json_type(tp)}


def _json_type(tp: Any) -> str:
    return {str: "string", int: "integer", float: "number", bool: "boolean",
            dict: "object", list: "array"}.get(tp, "string")


def _doc_parts(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {arg: text}) from a Google-style docstring."""
    doc = inspect.cleandoc(doc or "")
    head, _, rest = doc.partition("Args:")
    args: dict[str, str] = {}
    current = None
    for line in rest.splitlines():
        m = re.match(r"\s{0,8}(\w+)(?: \([^)]*\))?:\s*(.*)", line)
        if m and not line.startswith(" " * 9):
            current = m.group(1)
            args[current] = m.group(2).strip()
        elif current and line.strip():
            args[current] += " " + line.strip()
    return " ".join(head.split()), args


ToolFn = Callable[..., ToolOutput]


def tool(domain: str, kind: str = READ, cost_s: float = 5.0) -> Callable[[ToolFn], ToolFn]:
    """Register a tool. The first parameter receives the world; the rest are arguments."""

    def deco(fn: ToolFn) -> ToolFn:
        name = fn.__name__
        if name in RESERVED:
            raise ValueError(f"tool name {name!r} is reserved for episode control")
        hints = typing.get_type_hints(fn)
        description, arg_docs = _doc_parts(fn.__doc__ or "")
        params = []
        for p in list(inspect.signature(fn).parameters.values())[1:]:
            if p.name not in arg_docs:
                raise ValueError(f"tool {name}: argument {p.name!r} has no docstring entry")
            required = p.default is inspect.Parameter.empty
            params.append(Param(p.name, hints[p.name], required,
                                None if required else p.default, arg_docs[p.name],
                                _type_schema(hints[p.name])))
        REGISTRY[name] = ToolSpec(name, domain, kind, cost_s, description, tuple(params), fn)
        return fn

    return deco


def _check_type(value: Any, schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if t == "string":
        return isinstance(value, str)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list) and all(_check_type(v, schema.get("items", {}))
                                               for v in value)
    return True


def validate(spec: ToolSpec, arguments: Any) -> tuple[dict[str, Any], int]:
    """Checked keyword arguments and the page number, or a ``ToolError`` saying why not."""
    if not isinstance(arguments, dict):
        raise ToolError(f"{spec.name}: arguments must be a JSON object, got "
                        f"{type(arguments).__name__}")
    known = {p.name: p for p in spec.params}
    args = dict(arguments)
    page = 1
    if spec.paged and "page" in args:
        page = args.pop("page")
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            raise ToolError(f"{spec.name}: page must be a positive integer, got {page!r}")
    problems = []
    extra = sorted(set(args) - set(known))
    if extra:
        problems.append(f"unknown argument(s) {', '.join(extra)}")
    missing = [p.name for p in spec.params if p.required and p.name not in args]
    if missing:
        problems.append(f"missing required argument(s) {', '.join(missing)}")
    for name, value in args.items():
        p = known.get(name)
        if p is None or (value is None and not p.required):
            continue
        if not _check_type(value, p.schema):
            want = p.schema.get("enum") or p.schema.get("type", "any")
            problems.append(f"argument {name} must be {want}, got {value!r}")
    if problems:
        usage = ", ".join(f"{p.name}{'' if p.required else '?'}: "
                          f"{p.schema.get('type', 'any')}" for p in spec.params)
        raise ToolError(f"{spec.name}: {'; '.join(problems)}. Usage: {spec.name}({usage})")
    out = {p.name: p.default for p in spec.params if not p.required}
    out.update({k: v for k, v in args.items() if v is not None or known[k].required})
    return out, page


def paginate(text: str, page: int) -> str:
    """One page of ``text`` cut on line boundaries, with a note on what remains."""
    if len(text) <= PAGE_CHARS and page == 1:
        return text
    pages: list[list[str]] = [[]]
    size = 0
    for line in text.splitlines():
        if size + len(line) + 1 > PAGE_CHARS and pages[-1]:
            pages.append([])
            size = 0
        pages[-1].append(line[:PAGE_CHARS])
        size += len(line) + 1
    if page > len(pages):
        raise ToolError(f"page {page} does not exist; this output has {len(pages)} page(s)")
    body = "\n".join(pages[page - 1])
    rest = sum(len(p) for p in pages[page:])
    if rest:
        body += f"\n... {rest} more lines (page {page}/{len(pages)}; pass page={page + 1})"
    elif len(pages) > 1:
        body += f"\n(page {page}/{len(pages)})"
    return body


def schemas(kind: str | None = None) -> list[dict[str, Any]]:
    """OpenAI function-calling schemas of all registered tools (optionally one kind)."""
    load_all()
    return [s.openai_schema() for s in REGISTRY.values() if kind is None or s.kind == kind]


def load_all() -> dict[str, ToolSpec]:
    """Import every tool domain module so the registry is complete."""
    from . import domains  # noqa: F401

    return REGISTRY
