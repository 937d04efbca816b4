"""Fact-task templates of the errors domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations
