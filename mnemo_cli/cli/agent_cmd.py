"""`mnemo agent start|stop|status`: keep the store unlocked and the model loaded between commands.

The agent itself lives in `mnemo_cli/server/`; this module unlocks the store for it, detaches it
and reports on it. `recall` and `remember` find it by themselves (`cli/_delegate.py`).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mnemo_cli.cli import output

app = typer.Typer(
    name="agent",
    help="Keep the store unlocked and the model loaded between commands, like gpg-agent.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("start")
def agent_start(
    idle_timeout: Annotated[
        str, typer.Option("--idle-timeout", help="Exit after this long without a command: 30s, 10m, 1h.")
    ] = "10m",
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Serve from this process (for a service manager); do not detach.")
    ] = False,
) -> None:
    """Start the store's agent: unlock the store once, then answer recall and remember warm.

    The secret comes from the usual sources (MNEMO_KEYFILE, MNEMO_PASSPHRASE_FILE, ... or a
    prompt). The agent detaches and keeps the unlocked store and the loaded model in memory,
    behind a socket only your user can use, until it goes unused for --idle-timeout, `mnemo agent
    stop`, or the secret it was unlocked with stops opening the store. While it runs, `mnemo
    recall` and `mnemo remember` for this store go through it, with the same output, and need no
    secret (MNEMO_NO_AGENT=1 turns that off). Prints where it listens; an agent already running
    for the store is left as it is.

    Example: mnemo agent start --idle-timeout 1h && mnemo recall "what did Dana say?"

    Exit codes: 0 started (or already running); 2 bad option; 3 wrong or missing secret; 4 no store;
    5 integrity failure; 8 I/O error, or the socket's folder is not private to you.
    """
    from mnemo_cli.errors import UsageError
    from mnemo_cli.server import agent, client, daemon, sockets
    from mnemo_cli.server.warm import WarmStore
    from mnemo_cli.store.secret_sources import SECRET_VARIABLES, unlock_secret
    from mnemo_cli.store.store import Store

    seconds = _seconds(idle_timeout)
    if not sockets.supported():
        raise UsageError("the agent needs Unix sockets with peer credentials (Linux)")
    where = client.target(Store.check_exists())
    running = client.status(where.store)
    if running is not None:
        output.emit_lines([_already(running)])
        return
    secret = unlock_secret()
    store = Store.open(where.store, secret)
    for note in store.notes:
        output.warn(note)
    store.notes.clear()
    agent.absolute_settings()  # the agent runs from /: relative folders must not change meaning
    if not foreground and daemon.must_spawn():
        store.close()
        output.emit_lines([_spawn(where.store, seconds, secret)])
        return
    del secret
    try:
        listener = agent.listen(where.socket)
    except agent.AlreadyRunning:
        store.close()
        output.emit_lines([_already(client.status(where.store) or {"socket": str(where.socket)})])
        return
    except BaseException:
        store.close()
        raise
    settings = client.settings()

    def run(ready: Any) -> None:
        daemon.scrub_environment(SECRET_VARIABLES)  # the agent outlives this command: no secret in /proc
        warm = WarmStore(store)
        agent.Agent(warm, listener, where.socket, idle_timeout=seconds, settings=settings).serve(ready)

    def started(pid: int) -> str:
        return f"agent listening on {where.socket} (pid {pid}, idle timeout {_duration(seconds)})"

    if foreground:
        import os
        import sys

        def ready() -> None:
            output.emit_lines([started(os.getpid())])
            sys.stdout.flush()

        run(ready)
        return
    try:
        pid = daemon.detach(run)
    finally:
        listener.close()  # this process's copies; the agent keeps its own
        store.close()
    output.emit_lines([started(pid)])


@app.command("stop")
def agent_stop() -> None:
    """Stop the store's agent: it finishes what it is answering, removes its socket and exits.

    Exit codes: 0 stopped; 9 no agent is running for the store.
    """
    import time

    from mnemo_cli.server import client

    where = client.target()
    pid = client.stop(where.store)
    if pid is None:
        raise _not_running(where.store)
    deadline = time.monotonic() + 10
    while where.socket.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    output.emit_lines([f"stopped the agent (pid {pid})"])


@app.command("status")
def agent_status(
    json_output: Annotated[bool, typer.Option("--json", help="Print the status as one JSON document.")] = False,
) -> None:
    """Show whether an agent runs for the store: its pid, socket, idle timeout and model, and
    whether its unlock is still valid (a `mnemo passwd`, `key remove` or `rekey --full` since it
    started makes it invalid: stop the agent and start it again).

    Exit codes: 0 an agent is running; 3 one is running, but its unlock is no longer valid; 9
    none is (with --json, the status is printed first: "state" is "running", "revoked" or
    "stopped").
    """
    from mnemo_cli.server import client

    where = client.target()
    info = client.status(where.store)
    if info is None:
        if json_output:
            output.emit_json(
                {"running": False, "state": "stopped", "store": str(where.store), "socket": str(where.socket)}
            )
        raise _not_running(where.store)
    problem = info.get("unlock_error")
    if json_output:
        output.emit_json({"running": True, "state": "revoked" if problem else "running", **info})
    else:
        output.emit_lines(_status_lines(info))
    if problem:
        raise client.AgentUnlockInvalid(
            f"the agent is running, but its unlock is no longer valid ({problem})",
            hint="run `mnemo agent stop`, then `mnemo agent start` with the current secret",
        )


def _status_lines(info: dict[str, Any]) -> list[str]:
    model = info["model"]
    if info.get("model_id"):
        model += f" ({info['model_id']})"
    if info.get("model_error"):
        model += f": {info['model_error']}"
    lines = [
        f"agent running for {info['store']} (pid {info['pid']}, since {info['started_at']})",
        f"socket: {info['socket']}",
        f"idle timeout: {_duration(info['idle_timeout'])} (idle for {_duration(info['idle_seconds'])})",
        f"model: {model}",
    ]
    if info.get("unlock_error"):
        lines.append(f"unlock: no longer valid ({info['unlock_error']})")
    return lines


def _spawn(store: Any, seconds: float, secret: Any) -> str:
    """Start the agent as a fresh copy of the one-file binary, serving in the foreground there, and
    hand it the secret just checked: a passphrase through a pipe, a keyfile by its path (which
    it removes from its environment once unlocked, as it does every secret variable)."""
    import os
    import sys

    from mnemo_cli.crypto import secrets
    from mnemo_cli.server import daemon
    from mnemo_cli.store.secret_sources import SECRET_VARIABLES

    env = {name: value for name, value in os.environ.items() if name not in SECRET_VARIABLES}
    env["MNEMO_HOME"] = str(store)
    env["PYINSTALLER_RESET_ENVIRONMENT"] = "1"  # its own bundle, which outlives this command's
    pipe = None
    if secret.kind == "keyfile":  # keyfiles come from MNEMO_KEYFILE only
        env["MNEMO_KEYFILE"] = os.path.abspath(os.path.expanduser(os.environ["MNEMO_KEYFILE"]))
    elif secret.kind == "recovery":
        pipe = ("MNEMO_PASSPHRASE_FD", secrets.format_recovery_key(secret.material).encode())
    else:
        pipe = ("MNEMO_PASSPHRASE_FD", secret.material)
    argv = [sys.executable, "agent", "start", "--foreground", "--idle-timeout", f"{int(seconds)}s"]
    try:
        return daemon.spawn(argv, env, ready="agent listening on ", pipe=pipe)
    except daemon.SpawnFailed as e:
        sys.stderr.write(e.output)
        raise typer.Exit(e.code) from None


def _seconds(text: str) -> float:
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store import values

    seconds = values.parse_duration(text, what="--idle-timeout").total_seconds()
    if seconds <= 0:
        raise UsageError("--idle-timeout must be longer than 0s")
    return seconds


def _duration(seconds: float) -> str:
    whole = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def _already(info: dict[str, Any]) -> str:
    pid = f" (pid {info['pid']})" if "pid" in info else ""
    return f"agent already running on {info['socket']}{pid}"


def _not_running(store: Any) -> Exception:
    from mnemo_cli.errors import AgentNotRunning

    return AgentNotRunning(f"no agent is running for {store}", hint="start one with `mnemo agent start`")
