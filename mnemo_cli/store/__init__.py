"""store: the library API. `Store` and the policy behind every command live here.

The CLI, the MCP server and any Python program are adapters over this layer; it imports the layers
below it (embed, graph, index, log, crypto) and never `cli`.
"""
