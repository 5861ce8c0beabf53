"""What a store's files hold in the clear under every key a test knows: the check that forgotten
text really left the disk (docs/reliability.md, item 1), whatever file a crash left behind.

Every file under the folder (no symlink followed) is read raw, as a log (its frames opened along
the chain from the genesis tag, as far as they authenticate) and as an index snapshot, under each
data key given; `data_keys` gathers the keys that the candidate secrets unwrap from any key-slot
copy, leftovers of an interrupted write included.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.errors import AuthenticationError, IntegrityError
from mnemo_cli.log import frames, snapshot_file
from mnemo_cli.log.frames import FrameError


def files_under(root: Path) -> list[Path]:
    """Every regular file below `root`, never through a symlink."""
    found = []
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)


def data_keys(root: Path, candidates: Sequence[secrets.Secret]) -> set[bytes]:
    """Every data key a candidate secret unwraps from any key-slot table file under `root`."""
    keys = set()
    for path in files_under(root):
        if not path.name.startswith("keyslots"):
            continue
        try:
            table = keyslots.decode_table(path.read_bytes())
        except keyslots.KeySlotFormatError:
            continue
        for secret in candidates:
            with contextlib.suppress(AuthenticationError, IntegrityError):
                keys.update(key for key, _slot in keyslots.openings(table, secret))
    return keys


def _log_bodies(data: bytes, data_key: bytes) -> Iterator[bytes]:
    try:
        header = frames.decode_header(data)
    except FrameError:
        return
    log_key = subkey(data_key, "log")
    point = frames.genesis(log_key, data[: frames.HEADER_SIZE])
    while point.offset < len(data):
        try:
            body, point = frames.open_frame(log_key, header, point, data, point.offset)
        except FrameError:
            return
        yield body


def plaintexts(root: Path, keys: Iterable[bytes], store_id: bytes) -> Iterator[tuple[Path, bytes]]:
    """(file, bytes) for each file's raw content and for everything in it that a key opens."""
    keys = list(keys)
    for path in files_under(root):
        data = path.read_bytes()
        yield path, data
        for key in keys:
            for body in _log_bodies(data, key):
                yield path, body
            try:
                payload = snapshot_file.read(path, key, store_id).payload
            except snapshot_file.BadSnapshot:
                continue
            yield path, bytes(payload)  # a view: `needle in` a memoryview compares ints, never finds bytes


def texts_found(root: Path, keys: Iterable[bytes], store_id: bytes, texts: Iterable[str]) -> list[str]:
    """`file: text` for each of `texts` (UTF-8) that some file under `root` holds under some key."""
    needles = {text: text.encode("utf-8") for text in texts}
    found = []
    for path, plain in plaintexts(root, keys, store_id):
        for text, needle in needles.items():
            if needle in plain:
                found.append(f"{path.relative_to(root)}: {text!r}")
    return sorted(set(found))
