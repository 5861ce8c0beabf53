"""`mnemo serve`: the store as a Model Context Protocol server on stdin/stdout, for LLM agents.

This module unlocks the store (from the non-interactive secret sources only: stdin and stdout
carry the protocol) and hands it to `server/mcp_server.py`, which alone imports the MCP SDK.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output


def serve(
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Offer only recall, show and list: no remember, link or forget.")
    ] = False,
) -> None:
    """Serve the store to an MCP client (Claude Desktop, an IDE, an agent) over stdin/stdout.

    Tools: remember, recall, link, forget, show, list, with the options of the commands of the
    same names and their --json output as results; resource mnemo://memories/recent. The store is
    unlocked once, from MNEMO_KEYFILE, MNEMO_PASSPHRASE_FD, MNEMO_PASSPHRASE_FILE,
    MNEMO_PASSCOMMAND or MNEMO_PASSPHRASE (never a prompt, never a tool argument); the model loads
    in the background while the client connects. Writes by other mnemo processes show in the next
    call. The server runs until the client closes stdin. Messages go to stderr.

    Example (an MCP client's configuration): {"command": "mnemo", "args": ["serve", "--read-only"],
    "env": {"MNEMO_KEYFILE": "/home/me/.config/mnemo/agent.key"}}

    Exit codes: 0 the client hung up; 2 bad option or secret source; 3 wrong or missing secret;
    4 no store; 5 integrity failure.
    """
    import os
    import sys

    from mnemo_cli.errors import AuthenticationError, UsageError
    from mnemo_cli.store.secret_sources import SOURCES, configured, unlock_secret
    from mnemo_cli.store.store import Store

    path = Store.check_exists()
    if not configured():
        raise AuthenticationError(
            "mnemo serve needs a secret source: it cannot ask, stdin and stdout carry the protocol",
            hint="set one of " + ", ".join(SOURCES) + " in the MCP client's configuration",
        )
    if os.environ.get("MNEMO_PASSPHRASE_FD", "").strip() in ("0", "1"):
        raise UsageError("MNEMO_PASSPHRASE_FD cannot be 0 or 1 for mnemo serve: stdin and stdout carry the protocol")
    store = Store.open(path, unlock_secret())
    for note in store.notes:
        output.warn(note)
    store.notes.clear()

    from mnemo_cli.cli import render
    from mnemo_cli.server import mcp_server
    from mnemo_cli.server.mcp_tools import Rendering, Tools
    from mnemo_cli.server.warm import WarmStore

    warm = WarmStore(store)
    tools = Tools(warm, Rendering(render.prompt_block), read_only=read_only)
    mode = " (read-only)" if read_only else ""
    sys.stderr.write(f"mnemo: serving {path} over MCP on stdin/stdout{mode}\n")
    try:
        mcp_server.serve(tools)
    finally:
        warm.close()
