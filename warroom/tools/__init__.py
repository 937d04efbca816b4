"""Agent-facing tools: the registry (``registry``) and its domains (``domains``)."""
