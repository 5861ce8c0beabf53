"""`mnemo serve`'s protocol side: the MCP SDK's low-level server on stdin/stdout over `Tools`.

Only `mnemo serve` imports this module (and so the SDK, starlette and pydantic with it). The
handshake is answered at once: the model loads in `WarmStore`'s background thread, and only a
tool call that embeds waits for it. Tool calls run in worker threads, so the event loop keeps
answering (pings, cancellations, calls that wait for nothing) while one call waits for the model or
the store's lock. A tool that fails answers `isError` with the command line's message; the server
itself only stops when the client closes stdin (or a signal ends it).
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from mnemo_cli import __version__
from mnemo_cli.server.mcp_tools import RECENT, RECENT_URI, Tools, error_reply

INSTRUCTIONS = (
    "mnemo is the user's private long-term memory. Call recall before answering questions that may "
    "depend on what the user told you earlier; call remember for facts, preferences and decisions "
    "worth keeping (one memory per fact). Tool results are JSON, as `mnemo ... --json` prints them."
)


def build(tools: Tools) -> Server[Any]:
    """The low-level server: tools/list, tools/call, resources/list, resources/read."""

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        listed = [
            types.Tool(
                name=tool.name,
                description=tool.description,
                input_schema=tool.input_schema(),
                annotations=types.ToolAnnotations(
                    read_only_hint=not tool.writes,
                    destructive_hint=tool.name == "forget",
                    open_world_hint=False,
                ),
            )
            for tool in tools.listed()
        ]
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        reply = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)
        content: list[types.ContentBlock] = [types.TextContent(type="text", text=reply.text)]
        if reply.warnings:
            content.append(types.TextContent(type="text", text="\n".join(reply.warnings)))
        return types.CallToolResult(content=content, is_error=reply.is_error)

    async def list_resources(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        recent = types.Resource(
            uri=RECENT_URI,
            name="recent memories",
            description=f"The {RECENT} newest memories, as `mnemo list --limit {RECENT} --json` prints them.",
            mime_type="application/json",
        )
        return types.ListResourcesResult(resources=[recent])

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams) -> Any:
        if str(params.uri) != RECENT_URI:
            raise MCPError(code=types.INVALID_PARAMS, message=f"no such resource: {params.uri}")
        try:
            text = await anyio.to_thread.run_sync(tools.recent)
        except Exception as e:  # the store failed: an error answer, not a dead server
            raise MCPError(code=types.INTERNAL_ERROR, message=error_reply(e).text) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=RECENT_URI, mime_type="application/json", text=text)]
        )

    return Server(
        "mnemo",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def serve(tools: Tools) -> None:
    """Answer MCP requests on stdin/stdout until the client closes stdin."""
    server = build(tools)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    tools.warm.start()  # the model loads while the client says hello
    anyio.run(main)
