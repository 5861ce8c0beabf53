"""`mnemo rekey --full`: a new data key, every record re-encrypted, new secrets, old slots gone."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store
from mnemo_cli.cli.key_cmd import slot_line


def rekey(
    full: Annotated[
        bool, typer.Option("--full", help="Replace the data key and re-encrypt every record (required).")
    ] = False,
    keyfile: Annotated[
        Path | None,
        typer.Option("--keyfile", help="Also create a new keyfile at PATH (0600) for the new key.", metavar="PATH"),
    ] = None,
    no_passphrase: Annotated[
        bool, typer.Option("--no-passphrase", help="Give the new key no passphrase (then --keyfile is needed).")
    ] = False,
    no_recovery: Annotated[bool, typer.Option("--no-recovery", help="Make no new recovery key.")] = False,
    kdf: Annotated[str, typer.Option("--kdf", help="For the new passphrase: 'default' or 'sensitive'.")] = "default",
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Replace the store's data key: every record and the index are re-encrypted under a new key,
    opened by new secrets; every old key slot is removed.

    For when a secret or an old copy of the key slots (a backup) may have leaked: afterwards,
    nothing the old key could decrypt is left in the store. Unlock with the current secret; the
    new passphrase is asked twice (or MNEMO_NEW_PASSPHRASE_FILE / _FD / MNEMO_NEW_PASSPHRASE);
    a new recovery key is printed once. Writers wait while it runs. Interrupted, the store opens
    with the old secrets or the new ones; run it again to finish. Backups made before still open
    with the old secrets. To change only the passphrase, use `mnemo passwd`.

    Example: MNEMO_KEYFILE=old.key mnemo rekey --full --no-passphrase --keyfile new.key

    Exit codes: 0 rekeyed; 2 --full missing, or the keyfile exists; 3 wrong or missing secret, or no
    new passphrase given; 4 no store; 5 integrity failure (nothing changes); 6 store busy; 8 I/O
    error.
    """
    from mnemo_cli.errors import UsageError
    from mnemo_cli.store.keyfiles import new_keyfile
    from mnemo_cli.store.secret_sources import replacement_passphrase

    if not full:
        raise UsageError(
            "rekey needs --full (it re-encrypts the whole store); to change only the passphrase, use `mnemo passwd`"
        )
    if no_passphrase and keyfile is None:
        raise UsageError("with --no-passphrase, give --keyfile PATH: the new key needs a secret to open it")
    with unlocked_store() as store, ExitStack() as stack:
        new_secrets = [] if no_passphrase else [replacement_passphrase()]
        if keyfile is not None:  # kept if rekey fails after a slot that it opens was written
            new_secrets.append(stack.enter_context(new_keyfile(keyfile.expanduser(), store.path)))
        report = store.rekey(new_secrets, kdf=kdf, recovery=not no_recovery)
    slots = [slot.describe() for slot in report.slots]
    if json_output:
        output.emit_json(
            {"key": report.key_id, "records": report.frames, "slots": slots, "recovery_key": report.recovery_key}
        )
        return
    lines = [f"rekeyed: {report.frames} records re-encrypted under data key {report.key_id}; key slots now:"]
    lines += [f"  {slot_line(slot)}" for slot in report.slots]
    if report.recovery_key:
        lines += [
            "",
            "new recovery key (shown only now; the old one no longer opens the store; keep it offline):",
            "",
            f"    {report.recovery_key}",
            "",
        ]
    output.emit_lines(lines)
