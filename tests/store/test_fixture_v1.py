"""The store that format v1 wrote (tests/fixtures/store-v1.tar.gz) must open forever."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from tests.fixtures.make_store_v1 import KEYFILE, PASSPHRASE, RECORDS
from tests.helpers import read_all

ARCHIVE = Path(__file__).resolve().parent.parent / "fixtures" / "store-v1.tar.gz"


@pytest.fixture
def store_v1(tmp_path: Path) -> Path:
    with tarfile.open(ARCHIVE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path


def test_every_secret_reads_the_v1_records(store_v1: Path) -> None:
    recovery = (store_v1 / "recovery-key.txt").read_text().strip()
    for secret in (
        secrets.passphrase(PASSPHRASE, "fixture"),
        secrets.keyfile(KEYFILE, "fixture"),
        secrets.passphrase(recovery, "fixture"),
    ):
        assert read_all(store_v1 / "store", secret) == RECORDS
