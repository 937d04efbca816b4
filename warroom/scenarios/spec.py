"""The scenario format, shared by the catalog and hand-written YAML/JSON files.

A scenario names a topology, the faults to inject (type, target, parameters, onset in
minutes before the incident page), distractors, task facts and a step budget. Validation
errors name the offending field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Tier = Literal["easy", "medium", "hard"]
Split = Literal["train", "dev", "test", "ood", "custom"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="fault type name from the catalog")
    target: str = Field(description="component the fault is injected into")
    params: dict[str, Any] = Field(default_factory=dict)
    onset_min: float = Field(20.0, ge=0, le=55,
                             description="minutes before the incident page the fault starts")


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
    step_budget: int = Field(40, ge=3, le=500)
    noise: float = Field(1.0, ge=0.0, le=5.0, description="telemetry noise multiplier")
    seed: int = 0
    description: str = ""
