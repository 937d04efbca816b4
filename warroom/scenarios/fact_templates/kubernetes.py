"""Fact-task templates of the kubernetes domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations
