"""server: long-lived adapters over `Store`, beside `cli/`: the warm agent and the MCP server.

`warm.py` keeps one store unlocked and its model loaded for many requests; `agent.py` serves it
on a Unix socket to the same user's `mnemo` commands (`client.py`, which the CLI imports on every
call and so stays free of heavy imports); `protocol.py` is their wire format and `sockets.py`
where the socket lives and who may talk to it. `mcp_tools.py` holds the MCP server's tools (the
commands' options and `--json` documents) and `mcp_server.py` speaks MCP on stdio with the SDK.
This layer imports `store` and below, never `cli`.
"""
