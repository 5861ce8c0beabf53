"""Builders shared by the storage tests: small stores made through the real API, weak KDF."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
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
        store.append(written[start : start + per_batch])
    store.close()
    return Fixture(path, passphrase, keyfile, recovery, written)


def read_all(path: Path, secret: Secret) -> list[Record]:
    with Store.open(path, secret) as store:
        return list(store.records())


def store_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def digest_tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in store_files(path)}
