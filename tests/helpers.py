"""Builders shared by the storage tests: small stores made through the real API, weak KDF."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.log import fileops, frames
from mnemo_cli.log.fileops import Fault, SimulatedCrash
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store

PASSPHRASE = "correct horse battery staple"


@dataclass
class Fixture:
    path: Path
    passphrase: Secret
    keyfile: Secret
    recovery: Secret
    records: list[Record]


def make_store(path: Path, n_records: int = 3, *, batches: int = 1) -> Fixture:
    """A store with a passphrase, a keyfile and a recovery slot, holding `n_records` records."""
    passphrase = secrets.passphrase(PASSPHRASE, "test")
    keyfile = secrets.keyfile(bytes(range(32)), "test keyfile")
    store = Store.create(path, [passphrase, keyfile])
    assert store.recovery_key is not None
    recovery = secrets.passphrase(store.recovery_key, "test")
    written = [
        Record("note", {"text": f"memory number {i}", "tags": ["t"]}, blob=bytes([i]) * 8) for i in range(n_records)
    ]
    per_batch = max(1, -(-n_records // batches))
    for start in range(0, n_records, per_batch):
        store._append(written[start : start + per_batch])
    store.close()
    return Fixture(path, passphrase, keyfile, recovery, written)


def read_all(path: Path, secret: Secret) -> list[Record]:
    with Store.open(path, secret) as store:
        return list(store._records())


def store_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def digest_tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in store_files(path)}


def crash_at_every_point(
    pristine: Path, tmp_path: Path, start: Callable[[Path], Callable[[], object]], *, sample: int = 0
) -> Iterator[tuple[int, Path]]:
    """Crash an operation at each of its mutating file calls in turn, each time on a fresh copy of
    the store at `pristine`, and yield (call number, copy) after each crash, with faults disarmed.

    `start(path)` does what comes before the operation (open the store, load its index) and returns
    the operation. It runs once on an untouched copy first, to count the calls. `sample` (above 0):
    only that many calls, spread evenly from the first to the last (the bounded run of `make test`;
    `make stress` crashes at every one).
    """
    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference)
    operation = start(reference)
    fileops.inject(None)
    operation()
    total = fileops.mutating_calls()
    for n in sample_of(range(1, total + 1), sample):
        path = tmp_path / f"c{n}"
        shutil.copytree(pristine, path)
        operation = start(path)
        fileops.inject(Fault(at=n))
        try:
            with pytest.raises(SimulatedCrash):
                operation()
        finally:
            fileops.inject(None)
        yield n, path


def sample_of(points: Sequence[int], count: int) -> Sequence[int]:
    """`count` of `points` spread evenly, the first and the last always among them; all of them
    when `count` is 0 or covers them."""
    if count <= 0 or len(points) <= count:
        return points
    if count == 1:
        return [points[-1]]
    return sorted({points[round(i * (len(points) - 1) / (count - 1))] for i in range(count)})


def frame_spans(log: bytes) -> list[tuple[int, int]]:
    """(start, end) of each frame in the bytes of a log file, by its length fields alone."""
    spans, offset = [], frames.HEADER_SIZE
    while offset < len(log):
        length = int.from_bytes(log[offset : offset + 4], "little")
        spans.append((offset, offset + 4 + length))
        offset += 4 + length
    return spans
