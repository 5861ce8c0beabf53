"""`mnemo init`: create an encrypted store and show its recovery key, once."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from mnemo_cli.cli import output


def init(
    keyfile: Annotated[
        Path | None,
        typer.Option(
            "--keyfile",
            help="Also create a new keyfile at PATH (32 random bytes, mode 0600) that opens the store: "
            "for cron jobs and agents (MNEMO_KEYFILE=PATH).",
            metavar="PATH",
        ),
    ] = None,
    kdf: Annotated[
        str,
        typer.Option(
            "--kdf",
            help="Passphrase hardening: 'default' (Argon2id t=3, 64 MiB, p=4) or 'sensitive' (t=4, 1 GiB, p=4).",
        ),
    ] = "default",
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Create a new encrypted store at MNEMO_HOME (default: the user data folder).

    The passphrase comes from MNEMO_PASSPHRASE_FD, MNEMO_PASSPHRASE_FILE, MNEMO_PASSCOMMAND or
    MNEMO_PASSPHRASE, else it is asked twice on the terminal. With --keyfile and no terminal, the
    store opens with the keyfile (and the recovery key) only. MNEMO_KEYFILE naming an existing
    keyfile adds a slot for it. The recovery key is printed once, now: keep it offline.

    Example: mnemo init --keyfile ~/.config/mnemo/agent.key

    Exit codes: 0 created; 2 bad option, or the keyfile already exists; 3 no secret given; 4 a
    store already exists there; 8 the folder cannot be written.
    """
    from mnemo_cli.errors import AuthenticationError
    from mnemo_cli.store import secret_sources
    from mnemo_cli.store.creating import check_free
    from mnemo_cli.store.keyfiles import new_keyfile
    from mnemo_cli.store.location import store_path
    from mnemo_cli.store.store import Store

    path = store_path()
    check_free(path)
    secrets_for_slots = []
    found = secret_sources.configured()
    if found == ["MNEMO_KEYFILE"]:
        secrets_for_slots.append(secret_sources.unlock_secret())
    passphrase = secret_sources.new_passphrase(ask=not found)
    if passphrase is not None:
        secrets_for_slots.insert(0, passphrase)
    if keyfile is None and not secrets_for_slots:
        raise AuthenticationError(
            "no secret for the new store and no terminal to ask on",
            hint="set MNEMO_PASSPHRASE_FILE (or another source in docs/cli.md), or pass --keyfile PATH",
        )
    with ExitStack() as stack:
        if keyfile is not None:  # deleted again if the store is not created: it would open nothing
            secrets_for_slots.append(stack.enter_context(new_keyfile(keyfile.expanduser(), path)))
        store = Store.create(path, secrets_for_slots, kdf=kdf)
    slots = [_describe(slot, secrets_for_slots) for slot in store.slots]
    if json_output:
        output.emit_json(
            {
                "path": str(store.path),
                "store_id": store.store_id.hex(),
                "slots": slots,
                "recovery_key": store.recovery_key,
            }
        )
        return
    lines = [f"created a mnemo store at {store.path}", "key slots:"]
    lines += [f"  {s['slot']}: {s['kind']}{_detail(s)}" for s in slots]
    lines += [
        "",
        "recovery key (shown only now; keep it offline: it opens the store if every other secret is lost):",
        "",
        f"    {store.recovery_key}",
        "",
    ]
    output.emit_lines(lines)


def _describe(slot, secret_list) -> dict:
    entry = slot.describe()
    if slot.kind_name == "keyfile":
        sources = [s.source for s in secret_list if s.kind == "keyfile"]
        if sources:
            entry["keyfile"] = sources[0].removeprefix("keyfile ")
    return entry


def _detail(entry: dict) -> str:
    if "kdf" in entry:
        k = entry["kdf"]
        return f" (argon2id t={k['time_cost']} m={k['memory_kib']} KiB p={k['parallelism']})"
    if "keyfile" in entry:
        return f" ({entry['keyfile']})"
    return ""
