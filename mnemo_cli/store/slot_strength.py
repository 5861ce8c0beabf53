"""Key slots weaker than mnemo promises, named wherever slots are checked (`key list`, `verify`,
`doctor`), with the command that fixes them.

A passphrase slot below the default Argon2id cost (`KeySlot.weak`) opens faster than a guess
should: the test suite makes such slots on purpose (`mnemo_cli/testonly.py`), a real install
never does, so one in a real store is worth a warning every time the slots are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mnemo_cli.crypto.kdf import DEFAULT
from mnemo_cli.crypto.keyslots import KeySlot
from mnemo_cli.errors import MnemoError


def weak_slot_notes(slots: Iterable[KeySlot]) -> list[str]:
    """One warning per slot weaker than the default, naming the fix; none when all are strong."""
    return [
        f"key slot {slot.slot_id} ({slot.kind_name}) is weaker than the default "
        f"({slot.params.describe() if slot.params else '?'}; the default is {DEFAULT.describe()}): "
        "run `mnemo passwd` to replace it with a slot of full cost"
        for slot in slots
        if slot.weak
    ]


def weak_slot_notes_at(path: Path) -> list[str]:
    """`weak_slot_notes` for the store at `path`, read without a secret; none when its slots
    cannot be read (the command that needs them reports that itself)."""
    from mnemo_cli.log import keyslot_files, store_header

    try:
        header = store_header.read(path)
        table, _notes = keyslot_files.read(path, header.store_id)
    except MnemoError:
        return []
    return weak_slot_notes(table.slots)
