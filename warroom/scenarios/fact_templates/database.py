"""Fact-task templates of the database domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations
