"""The scenario format, shared by the catalog and hand-written YAML/JSON files.

A scenario names a topology (with optional per-component overrides and a traffic level),
the faults to inject (type, target, parameters, onset in minutes before the incident page),
distractors (red herrings), task facts the report must contain and decoys it must not, and
a step budget, and optionally the team's own fact-finding tasks (``fact_tasks``: a question
to one domain, its exact facts and decoys, and the reads that show them). Validation errors
name the offending field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Tier = Literal["easy", "medium", "hard"]
Split = Literal["train", "dev", "test", "ood", "custom"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="fault (or distractor) type name from the catalog")
    target: str = Field(description="component the fault is injected into")
    params: dict[str, Any] = Field(default_factory=dict)
    onset_min: float = Field(default=20.0, ge=0, le=55,
                             description="minutes before the incident page the fault starts")


class Override(BaseModel):
    """Changes to one component of the topology before anything happens."""

    model_config = ConfigDict(extra="forbid")

    replicas: int | None = Field(default=None, ge=0, le=30)
    cpu_millicores: int | None = Field(default=None, ge=100, le=16000)
    mem_limit_mb: int | None = Field(default=None, ge=128, le=65536)
    config: dict[str, Any] = Field(default_factory=dict,
                                   description="settings to set (null removes one)")


class FactRead(BaseModel):
    """One tool call of a fact task's reads (the expert's path to its facts)."""

    model_config = ConfigDict(extra="forbid")

    tool: str = Field(description="a read tool of the task's domain")
    arguments: dict[str, Any] = Field(default_factory=dict)


class FactTaskSpec(BaseModel):
    """A team's own fact-finding question to one domain (a real ticket): the answer must
    name every fact and no decoy; ``reads`` are the calls whose outputs show them."""

    model_config = ConfigDict(extra="forbid")

    domain: str = Field(description="read domain: errors, database, deploys, kubernetes, "
                                    "observability or fleet")
    question: str = Field(min_length=1)
    facts: list[str] = Field(min_length=1, description="exact tokens the answer must name")
    decoys: list[str] = Field(default_factory=list,
                              description="look-alike tokens the answer must not name")
    reads: list[FactRead] = Field(default_factory=list)
    step_budget: int = Field(default=12, ge=2, le=100)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str = "Production incident"
    topology: Literal["shop", "startup"] = "shop"
    tier: Tier = "easy"
    family: str = ""
    split: Split = "custom"
    faults: list[FaultSpec] = Field(min_length=1)
    distractors: list[FaultSpec] = Field(default_factory=list)
    overrides: dict[str, Override] = Field(default_factory=dict,
                                           description="component name -> override")
    traffic: float = Field(default=1.0, gt=0.1, le=5.0, description="traffic multiplier")
    facts: list[str] = Field(default_factory=list,
                             description="identifiers the report must contain")
    decoys: list[str] = Field(default_factory=list,
                              description="near-identical identifiers it must not name")
    step_budget: int = Field(default=40, ge=3, le=500)
    noise: float = Field(default=1.0, ge=0.0, le=5.0, description="telemetry noise multiplier")
    seed: int = 0
    description: str = ""
    source: str = Field(default="", description="public postmortem or reference it is drawn "
                                                "from")
    fact_tasks: list[FactTaskSpec] = Field(default_factory=list,
                                           description="the team's own fact-finding tasks")

    @model_serializer(mode="wrap")
    def _drop_empty_fact_tasks(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A scenario without fact tasks dumps exactly as before the field existed: its
        JSON is a reset cache key and is stored in results."""
        data = handler(self)
        if isinstance(data, dict) and not data.get("fact_tasks"):
            data.pop("fact_tasks", None)
        return data
