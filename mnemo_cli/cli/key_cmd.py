"""`mnemo key list|add|remove`: the secrets that open the store (key slots), and `mnemo passwd`."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store

app = typer.Typer(
    name="key",
    help="List, add and remove the secrets (key slots) that open the store.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def slot_line(slot: Any) -> str:
    line = f"{slot.slot_id}: {slot.kind_name}"
    if slot.params is not None:
        p = slot.params
        line += f" (argon2id t={p.time_cost} m={p.memory_kib} KiB p={p.parallelism})"
    return line


@app.command("list")
def key_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print the slots as JSON.")] = False,
) -> None:
    """List the key slots: number, kind and KDF parameters. Needs no secret (nothing here is one).

    A passphrase slot weaker than the default KDF cost is marked (`"weak": true` with --json) and
    named in a warning on stderr with its fix, `mnemo passwd`.

    Exit codes: 0 listed; 4 no store; 5 integrity failure (both key-slot copies damaged, ...).
    """
    from mnemo_cli.store.slot_strength import weak_slot_notes
    from mnemo_cli.store.store import Store

    slots = Store.key_slots()
    if json_output:
        output.emit_json({"slots": [slot.describe() for slot in slots]})
    else:
        output.emit_lines([slot_line(slot) for slot in slots])
    for note in weak_slot_notes(slots):
        output.warn(note)


@app.command("add")
def key_add(
    passphrase: Annotated[
        bool, typer.Option("--passphrase", help="Add a passphrase (asked twice, or MNEMO_NEW_PASSPHRASE_FILE).")
    ] = False,
    keyfile: Annotated[
        Path | None, typer.Option("--keyfile", help="Create a new keyfile at PATH (0600) and add it.", metavar="PATH")
    ] = None,
    recovery: Annotated[bool, typer.Option("--recovery", help="Add a new recovery key, printed once.")] = False,
    kdf: Annotated[str, typer.Option("--kdf", help="For a passphrase: 'default' or 'sensitive'.")] = "default",
    json_output: Annotated[bool, typer.Option("--json", help="Print the new slot as JSON.")] = False,
) -> None:
    """Add a secret that opens the store: exactly one of --passphrase, --keyfile PATH, --recovery.

    Unlocks with the current secret first (MNEMO_KEYFILE, MNEMO_PASSPHRASE_FILE, ... or a prompt).
    Only the key slots are rewritten; the data is untouched.

    Example: MNEMO_PASSPHRASE_FILE=~/.mnemo-pass mnemo key add --keyfile ~/.config/mnemo/cron.key

    Exit codes: 0 added; 2 not exactly one kind, or the keyfile exists; 3 wrong or missing secret; 4
    no store; 5 integrity failure; 6 store busy; 8 I/O error (a keyfile made for a slot that was not
    written is deleted again).
    """
    from mnemo_cli.crypto import secrets
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store.keyfiles import new_keyfile
    from mnemo_cli.store.secret_sources import replacement_passphrase

    if [passphrase, keyfile is not None, recovery].count(True) != 1:
        raise UsageError("say which kind to add: exactly one of --passphrase, --keyfile PATH, --recovery")
    recovery_text = None
    with unlocked_store() as store, ExitStack() as stack:
        if passphrase:
            new = replacement_passphrase()
        elif keyfile is not None:  # deleted again if no slot that it opens gets written
            new = stack.enter_context(new_keyfile(keyfile.expanduser(), store.path))
        else:
            raw = secrets.new_recovery_key()
            recovery_text = secrets.format_recovery_key(raw)
            new = secrets.Secret("recovery", raw, "new recovery key")
        slot = store.add_key_slot(new, kdf=kdf)
    document = slot.describe()
    if recovery_text:
        document["recovery_key"] = recovery_text
    if json_output:
        output.emit_json(document)
        return
    lines = [f"added key slot {slot_line(slot)}"]
    if recovery_text:
        lines += ["", "recovery key (shown only now; keep it offline):", "", f"    {recovery_text}", ""]
    output.emit_lines(lines)


@app.command("remove")
def key_remove(
    slot_id: Annotated[int, typer.Argument(metavar="SLOT", help="The slot number (`mnemo key list`).")],
) -> None:
    """Remove a key slot, so its secret no longer opens the store. Never the last slot.

    Copies of the store made earlier (backups) still open with the removed secret; only a full
    rekey changes the data key itself.

    Exit codes: 0 removed; 2 no such slot, or the last one; 3 wrong or missing secret; 4 no store; 5
    integrity failure; 6 store busy; 8 I/O error.
    """
    with unlocked_store() as store:
        removed = store.remove_key_slot(slot_id)
    output.emit_lines([f"removed key slot {slot_line(removed)}"])


def passwd(
    kdf: Annotated[str, typer.Option("--kdf", help="'default' or 'sensitive' for the new passphrase.")] = "default",
) -> None:
    """Change the passphrase: unlock (any secret), give the new one (asked twice, or
    MNEMO_NEW_PASSPHRASE_FILE / _FD / MNEMO_NEW_PASSPHRASE).

    The new slot is written before the old one is removed: interrupted, the store opens with the
    old passphrase, the new one, or both. The data is not rewritten.

    Exit codes: 0 changed; 2 no passphrase slot to change; 3 wrong or missing secret, or no new
    passphrase given; 4 no store; 5 integrity failure; 6 store busy; 8 I/O error.
    """
    from mnemo_cli.store.secret_sources import replacement_passphrase

    with unlocked_store() as store:
        slot = store.change_passphrase(replacement_passphrase(), kdf=kdf)
    output.emit_lines([f"passphrase changed (now key slot {slot_line(slot)})"])
