"""`recall` and `remember` through the store's agent when one runs, with the output of running alone.

Each function returns None when no agent took the request (none runs for the store, it declined,
or `MNEMO_NO_AGENT` is set): the command then does the work itself. An agent whose unlock is no
longer valid (a secret changed since it started) declines and stops: the command then says so,
and runs by itself only when it has a secret of its own. Otherwise it prints the
agent's notes as warnings, as `unlocked_store` prints the store's, and returns the result, or
raises the agent's error as the same kind of error with the same message and hint. The command
renders the result with its own code, so stdout, stderr and the exit code are those it would
have given without the agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnemo_cli import timings
from mnemo_cli.cli import output

if TYPE_CHECKING:
    from mnemo_cli.memories import Hit, NewMemory
    from mnemo_cli.store.store import RememberReport


def recall(query: str, options: dict[str, Any]) -> list[Hit] | None:
    """`Store.recall(query, **options)` in the agent."""
    result = _ask("recall", {"query": query, **options, "tags": list(options["tags"])})
    if result is None:
        return None
    from mnemo_cli.server import protocol

    return [protocol.hit_from_wire(hit) for hit in result["hits"]]


def remember(item: NewMemory, *, allow_duplicate: bool, find_similar: bool) -> RememberReport | None:
    """`Store.remember_many([item], ...)` in the agent."""
    from mnemo_cli.server.protocol import new_memory_to_wire

    params = {**new_memory_to_wire(item), "allow_duplicate": allow_duplicate, "find_similar": find_similar}
    result = _ask("remember", params)
    if result is None:
        return None
    from mnemo_cli.store.store import RememberReport

    return RememberReport.from_wire(result)


def _ask(op: str, params: dict[str, Any]) -> dict[str, Any] | None:
    from mnemo_cli.server import client

    if client.disabled():
        return None
    try:
        with timings.phase("agent"):  # MNEMO_TIMINGS: the round trip, the agent's work included
            response = client.request(op, params)
    except client.Revoked as e:
        _after_revoked(str(e))
        return None
    except client.Unavailable:
        return None
    for note in response.notes:
        output.warn(note)
    if response.error is not None:
        from mnemo_cli.server import protocol

        raise protocol.error_from_wire(response.error)
    return response.result


def _after_revoked(reason: str) -> None:
    """The agent declined, and stops, because its unlock is no longer valid: the command runs by
    itself when it has a secret to unlock with (saying why it does), else fails saying why."""
    from mnemo_cli.server.client import AgentUnlockInvalid
    from mnemo_cli.store import secret_sources

    message = f"the store's agent stopped: its unlock is no longer valid ({reason})"
    if secret_sources.can_unlock():
        output.warn(f"{message}; running without it")
        return
    raise AgentUnlockInvalid(
        message,
        hint="start it again with `mnemo agent start` and the current secret, or give this command "
        "the secret (MNEMO_PASSPHRASE_FILE, MNEMO_KEYFILE, ...)",
    )
