"""Forms for the tools, generated from the registry's JSON schemas, and the way back:
form fields to typed arguments (so the registry's own validation judges them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...tools.registry import FINAL, READ, WRITE, ToolSpec, load_all

KIND_ORDER = {READ: 0, WRITE: 1, FINAL: 2}


@dataclass
class Field:
    name: str
    widget: str  # text, number, integer, checkbox, select, json
    required: bool
    description: str
    choices: list[Any]
    placeholder: str


@dataclass
class ToolForm:
    name: str
    kind: str
    domain: str
    description: str
    fields: list[Field]


def _placeholder(name: str, schema: dict[str, Any]) -> str:
    if schema.get("type") == "object":
        if name == "root_cause":
            return '{"component": "...", "category": "family/mechanism", "culprit": null}'
        return "{} (JSON object)"
    if schema.get("type") == "array":
        return "[] (JSON list)"
    return ""


def _field(name: str, schema: dict[str, Any], required: bool) -> Field:
    t = schema.get("type")
    if "enum" in schema:
        widget = "select"
    elif t in ("integer", "number"):
        widget = t
    elif t == "boolean":
        widget = "checkbox"
    elif t in ("object", "array") or not t:
        widget = "json"
    else:
        widget = "text"
    return Field(name, widget, required, str(schema.get("description", "")),
                 list(schema.get("enum", [])), _placeholder(name, schema))


def tool_forms() -> list[ToolForm]:
    """One form per registry tool: reads first, then writes, then the report."""
    specs = sorted(load_all().values(), key=lambda s: (KIND_ORDER.get(s.kind, 9), s.domain,
                                                       s.name))
    out = []
    for spec in specs:
        schema = spec.json_schema()
        required = set(schema.get("required", []))
        fields = [_field(n, p, n in required) for n, p in schema["properties"].items()]
        out.append(ToolForm(spec.name, spec.kind, spec.domain, spec.description, fields))
    return out


def arguments_from_form(spec: ToolSpec, form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Typed arguments from submitted fields (empty optional fields are left out), and
    the fields that could not be read as their type."""
    schema = spec.json_schema()
    args: dict[str, Any] = {}
    problems: list[str] = []
    for name, prop in schema["properties"].items():
        raw = form.get(name)
        t = prop.get("type")
        if t == "boolean":
            if raw is not None:
                args[name] = raw in ("on", "true", "1", "yes")
            continue
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        try:
            if "enum" in prop and t != "string":
                args[name] = json.loads(raw)
            elif t == "integer":
                args[name] = int(raw)
            elif t == "number":
                args[name] = float(raw)
            elif t in ("object", "array") or not t:
                args[name] = json.loads(raw)
            else:
                args[name] = raw
        except ValueError:
            problems.append(f"{name}: {raw!r} is not a valid {t or 'JSON value'}")
    return args, problems
