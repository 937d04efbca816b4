"""Fact-task templates of the observability domain (see ``warroom.scenarios.fact_templates``)."""

from __future__ import annotations
