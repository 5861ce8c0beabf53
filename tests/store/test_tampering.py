"""Damage to a store, exhaustively: every byte flipped, every cut, junk tails, moved frames.

Each case must end in one of two ways: an `IntegrityError` naming the damaged file, or a repair the
design provides (the other key-slot copy, an uncommitted tail ignored then trimmed). Never other
records than the ones written, never another exception type.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from mnemo_cli.errors import IntegrityError
from mnemo_cli.log import frames, layout, store_header
from mnemo_cli.store import seen
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.helpers import Fixture, frame_spans, make_store, read_all, store_files
from tests.reliability.conftest import STRESS


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    os.environ["MNEMO_TESTONLY_WEAKEN_KDF"] = "1"
    return make_store(tmp_path_factory.mktemp("pristine") / "s", 3, batches=2)


@pytest.fixture
def fx(pristine: Fixture, tmp_path: Path) -> Fixture:
    path = tmp_path / "s"
    shutil.copytree(pristine.path, path)
    return Fixture(path, pristine.passphrase, pristine.keyfile, pristine.recovery, pristine.records)


def log_file(path: Path) -> Path:
    (found,) = (path / layout.LOG_DIR).iterdir()
    return found


@pytest.mark.parametrize("xor", [0x01, 0x80])
def test_every_flipped_byte_of_every_file(fx: Fixture, xor: int) -> None:
    outcomes = {"detected": 0, "healed": 0}
    for path in store_files(fx.path):
        original = path.read_bytes()
        for offset in range(len(original)):
            damaged = bytearray(original)
            damaged[offset] ^= xor
            path.write_bytes(bytes(damaged))
            try:
                got = read_all(fx.path, fx.passphrase)
            except IntegrityError as e:
                assert path.name in str(e), (path.name, offset, str(e))
                outcomes["detected"] += 1
            else:
                # Only a key-slot copy may be damaged without an error: the other copy serves.
                assert path.name in layout.KEYSLOTS, (path.name, offset)
                assert got == fx.records
                outcomes["healed"] += 1
            finally:
                path.write_bytes(original)
    assert outcomes["detected"] > 1000 and outcomes["healed"] > 500
    assert read_all(fx.path, fx.passphrase) == fx.records


def test_both_keyslot_copies_damaged(fx: Fixture) -> None:
    for name in layout.KEYSLOTS:
        data = bytearray((fx.path / name).read_bytes())
        data[50] ^= 1
        (fx.path / name).write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="no usable key-slot copy"):
        read_all(fx.path, fx.keyfile)


def test_every_cut_below_head_is_an_error_for_readers_and_writers(fx: Fixture) -> None:
    path = log_file(fx.path)
    original = path.read_bytes()
    for size in range(len(original)):
        path.write_bytes(original[:size])
        with pytest.raises(IntegrityError, match=path.name):
            read_all(fx.path, fx.keyfile)
        with Store.open(fx.path, fx.keyfile) as store, pytest.raises(IntegrityError, match=path.name):
            store._append([Record("note", {"text": "must not land"})])
        assert path.read_bytes() == original[:size]  # nothing "repaired"
    path.write_bytes(original)
    assert read_all(fx.path, fx.keyfile) == fx.records


def test_a_torn_last_frame_is_ignored_then_trimmed_at_every_byte(fx: Fixture, tmp_path: Path) -> None:
    # The state a crash between the frame write and the HEAD update leaves: the frame (whole or
    # in part) beyond HEAD. Build it by appending, then putting the old HEAD back.
    path = log_file(fx.path)
    old_head = (fx.path / layout.HEAD).read_bytes()
    committed = path.read_bytes()
    with Store.open(fx.path, fx.keyfile) as store:
        store._append([Record("note", {"text": "uncommitted"})])
    full = path.read_bytes()

    def uncommit() -> None:  # a crash before HEAD's update also never reaches the rollback record
        (fx.path / layout.HEAD).write_bytes(old_head)
        seen.record_path(store_header.read(fx.path).store_id, fx.path).unlink(missing_ok=True)

    uncommit()
    for size in range(len(committed) + 1, len(full) + 1):
        path.write_bytes(full[:size])
        assert read_all(fx.path, fx.keyfile) == fx.records
        if size % 7 == 0 or size in (len(committed) + 1, len(full)):
            with Store.open(fx.path, fx.keyfile) as store:
                store._append([Record("note", {"text": "next"})])
                assert store.notes == [
                    f"trimmed {size - len(committed)} bytes of uncommitted log tail from {path.name}"
                ]
            assert [r.fields["text"] for r in read_all(fx.path, fx.keyfile)][-1] == "next"
            assert Store.open(fx.path, fx.keyfile).verify().uncommitted_bytes == 0
            uncommit()


def test_junk_after_head_of_every_length_up_to_4096(fx: Fixture) -> None:
    path = log_file(fx.path)
    original = path.read_bytes()
    original_head = (fx.path / layout.HEAD).read_bytes()
    rng = random.Random(4)
    checked = (1, 2, 3, 4, 5, 100, 255, 256, 257, 1000, 4095, 4096)
    # Every length under `make stress`; in `make test` every one up to 300 and a spread beyond.
    lengths = range(1, 4097) if STRESS else sorted({*range(1, 301), *range(301, 4097, 97), *checked})
    for length in lengths:
        junk = bytes(length) if length % 2 else rng.randbytes(length)
        path.write_bytes(original + junk)
        assert read_all(fx.path, fx.keyfile) == fx.records
        if length in checked:
            with Store.open(fx.path, fx.keyfile) as store:
                assert store.verify().uncommitted_bytes == length
                store._append([Record("note", {"text": "after junk"})])
            assert len(read_all(fx.path, fx.keyfile)) == len(fx.records) + 1
            (fx.path / layout.HEAD).write_bytes(original_head)  # and forget having seen that commit:
            seen.record_path(store_header.read(fx.path).store_id, fx.path).unlink()  # else a rollback
    path.write_bytes(original)


@pytest.mark.parametrize(
    "arrangement",
    [[1, 2], [0, 2], [0, 1], [0, 0, 1, 2], [0, 1, 1, 2], [0, 0, 2], [1, 0, 2], [0, 2, 1], [2, 1, 0]],
    ids=["delete-0", "delete-1", "delete-2", "dup-0", "dup-1", "dup-0-for-1", "swap-01", "swap-12", "reverse"],
)
def test_moved_frames_are_detected(fx: Fixture, arrangement: list[int]) -> None:
    # (A copy of the last frame appended after it lies beyond HEAD: ignored like any junk tail.)
    path = log_file(fx.path)
    data = path.read_bytes()
    spans = frame_spans(data)
    assert len(spans) == 3
    path.write_bytes(data[: frames.HEADER_SIZE] + b"".join(data[a:b] for a, b in (spans[i] for i in arrangement)))
    with pytest.raises(IntegrityError, match=path.name):
        read_all(fx.path, fx.keyfile)


def test_a_frame_spliced_from_another_store_with_the_same_passphrase(fx: Fixture, tmp_path: Path) -> None:
    other = make_store(tmp_path / "other", 3)
    ours, theirs = log_file(fx.path), log_file(other.path)
    data, foreign = ours.read_bytes(), theirs.read_bytes()
    (a, b), (c, d) = frame_spans(data)[1], frame_spans(foreign)[1]
    ours.write_bytes(data[:a] + foreign[c:d] + data[b:])
    with pytest.raises(IntegrityError, match=ours.name):
        read_all(fx.path, fx.passphrase)
    # Another store's HEAD does not authenticate here either.
    ours.write_bytes(data)
    shutil.copyfile(other.path / layout.HEAD, fx.path / layout.HEAD)
    with pytest.raises(IntegrityError, match="HEAD"):
        read_all(fx.path, fx.passphrase)


def test_missing_files(fx: Fixture) -> None:
    (fx.path / layout.HEAD).unlink()
    with pytest.raises(IntegrityError, match="HEAD: missing"):
        read_all(fx.path, fx.keyfile)


def test_missing_log(fx: Fixture) -> None:
    log_file(fx.path).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        read_all(fx.path, fx.keyfile)
