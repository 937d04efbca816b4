"""Fact-task templates of the fleet domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations
