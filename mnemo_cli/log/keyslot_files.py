"""The key-slot table on disk: two copies, `keyslots` and `keyslots.2`, written one after the other.

Each copy is replaced atomically, the first before the second starts, so a crash leaves at least
one complete copy, old or new. Reading takes the valid copy with the higher sequence number; a
damaged copy is reported in `notes` and healed by the next write of the table.
"""

from __future__ import annotations

from pathlib import Path

from mnemo_cli.crypto.keyslots import KeySlotFormatError, KeySlotTable, decode_table, encode_table
from mnemo_cli.errors import IntegrityError
from mnemo_cli.log import fileops, layout


def write(store: Path, table: KeySlotTable) -> None:
    data = encode_table(table)
    for name in layout.KEYSLOTS:
        fileops.write_atomic(store / name, data)


def read(store: Path, store_id: bytes) -> tuple[KeySlotTable, list[str]]:
    """The current table, and a note for each damaged copy."""
    found: list[KeySlotTable] = []
    problems: list[str] = []
    for name in layout.KEYSLOTS:
        path = store / name
        try:
            table = decode_table(fileops.read_file(path))
        except FileNotFoundError:
            problems.append(f"{name} is missing")
            continue
        except KeySlotFormatError as e:
            problems.append(f"{name} is damaged ({e})")
            continue
        if table.store_id != store_id:
            problems.append(f"{name} belongs to another store")
            continue
        found.append(table)
    if not found:
        raise IntegrityError(f"{store / layout.KEYSLOTS[0]}: no usable key-slot copy ({'; '.join(problems)})")
    best = max(found, key=lambda t: t.seq)
    notes = [f"{p}; using the other copy" for p in problems]
    if len(found) == 2 and found[0] != found[1]:
        notes.append("the two key-slot copies differ (an interrupted update); using the newer")
    return best, notes
