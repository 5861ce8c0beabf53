"""Driving a real `mnemo serve` process from synchronous tests with the MCP SDK's own client.

`serve(...)` starts the server (`python -m mnemo_cli serve`, or `$MNEMO_BINARY serve`) through
`stdio_client`, shakes hands with `ClientSession`, and hands back a `Served` whose methods block:
the session lives in an event loop in a background thread (an anyio blocking portal), so one
server can serve a whole test module.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.conftest import BINARY

COMMAND = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
#: What a server inherits from the test's environment (stdio_client passes only HOME, PATH, ...);
#: PYTHONPATH names the switchboard that arms the test switches (tests/conftest.py).
PASSED = ("HF_HUB_OFFLINE", "TMPDIR", "XDG_RUNTIME_DIR", "PYTHONPATH")
#: Shell wrapper that records the server's pid, then becomes the server.
PIDFILE_WRAPPER = 'echo $$ > "$0"; exec "$@"'


@dataclass
class Result:
    """One tools/call result: the JSON (or prompt) text, whether it is an error, and warnings."""

    text: str
    is_error: bool
    warnings: list[str]

    @property
    def json(self) -> Any:
        assert not self.is_error, self.text
        return json.loads(self.text)


class Served:
    """A running server and its client session; every method blocks until the answer."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, stderr: Path, pidfile: Path | None) -> None:
        self.portal = portal
        self.session = session
        self.stderr = stderr
        self.pidfile = pidfile
        self.handshake_seconds = 0.0

    @property
    def pid(self) -> int:
        assert self.pidfile is not None, "start the server with pidfile= to know its pid"
        return int(self.pidfile.read_text())

    def call(self, tool: str, timeout: float = 120, **arguments: Any) -> Result:
        result = self.portal.call(lambda: self.session.call_tool(tool, arguments, read_timeout_seconds=timeout))
        texts = [block.text for block in result.content]  # type: ignore[union-attr]
        return Result(texts[0], bool(result.is_error), texts[1].splitlines() if len(texts) > 1 else [])

    def tools(self) -> dict[str, Any]:
        listed = self.portal.call(self.session.list_tools)
        return {tool.name: tool for tool in listed.tools}

    def resources(self) -> list[str]:
        listed = self.portal.call(self.session.list_resources)
        return [str(resource.uri) for resource in listed.resources]

    def read(self, uri: str) -> str:
        result = self.portal.call(lambda: self.session.read_resource(uri))
        return str(result.contents[0].text)  # type: ignore[union-attr]

    def stderr_text(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def server_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name.startswith("MNEMO_") or name in PASSED}
    if BINARY:  # it never honours the test switches (as in `run_mnemo`)
        env = {name: value for name, value in env.items() if not name.startswith("MNEMO_TESTONLY_")}
    env.update(extra)
    return env


@contextmanager
def serve(
    *args: str,
    env: dict[str, str] | None = None,
    pidfile: Path | None = None,
    stderr: Path | None = None,
    command: list[str] | None = None,
) -> Iterator[Served]:
    """`mnemo serve ARGS`, connected and initialised; `env` is its whole mnemo environment (default:
    the test's, `server_env()`); `command` the mnemo to run (default: the one the tests run)."""
    env = {**{name: os.environ[name] for name in PASSED if name in os.environ}, **(env or server_env())}
    stderr = stderr or Path(env["MNEMO_HOME"]).parent / f"serve-stderr-{time.monotonic_ns()}.txt"
    command = [*(command or COMMAND), "serve", *args]
    if pidfile is not None:
        command = ["/bin/sh", "-c", PIDFILE_WRAPPER, str(pidfile), *command]
    params = StdioServerParameters(command=command[0], args=command[1:], env=env)

    @asynccontextmanager
    async def connect() -> Any:
        with open(stderr, "w", encoding="utf-8") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, read_timeout_seconds=120) as session,
            ):
                started = time.monotonic()
                await session.initialize()
                yield session, time.monotonic() - started

    with start_blocking_portal() as portal, portal.wrap_async_context_manager(connect()) as (session, seconds):
        served = Served(portal, session, stderr, pidfile)
        served.handshake_seconds = seconds
        yield served
