"""Servers that put warroom on the wire: MCP (stdio and streamable HTTP) and OpenEnv.

Each face lives behind its own extra and is imported only when used:

- ``episodes``: the episode store a server holds (explicit ids, limits, idle expiry).
- ``mcp_tools``: the registry as MCP tool definitions and results, framework-free.
- ``mcp_server``: ``warroom serve mcp`` on the official MCP SDK (extra ``mcp``).
- ``mcp_team`` / ``mcp_domain``: team incidents (``--team``); one domain's tools and its
  fact tasks (``--domain``, a subagent's server).
- ``openenv_env`` / ``openenv_app``: ``warroom serve openenv`` (extra ``openenv``).
- ``auth``: loopback by default, a bearer token for anything else.
- ``bench`` (with ``loadgen`` and ``process``): throughput for ``warroom bench``.
"""
