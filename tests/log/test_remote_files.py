"""Sync remote files: sealed and bound to store, device and place; anything changed, moved, cut or
foreign is refused naming the file; a device's chain shows what was withheld."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemo_cli.crypto.padding import padded_size
from mnemo_cli.errors import IntegrityError, UnsupportedFormat
from mnemo_cli.log import remote_files as rf

KEY, STORE, DEVICE = os.urandom(32), os.urandom(16), os.urandom(16)
bodies = st.binary(max_size=3000)
seqs = st.integers(min_value=1, max_value=2**64 - 1)
tags = st.binary(min_size=16, max_size=16)


@settings(max_examples=60, deadline=None)
@given(
    body=bodies, seq=seqs, kind=st.sampled_from([rf.SEGMENT, rf.CHECKPOINT]), prev=st.binary(min_size=16, max_size=16)
)
def test_round_trip(body: bytes, seq: int, kind: int, prev: bytes) -> None:
    name, data = rf.seal(KEY, STORE, kind, DEVICE, seq, prev, body)
    opened = rf.open_file(KEY, STORE, name, data)
    assert (opened.body, opened.seq, opened.kind, opened.device, opened.prev) == (body, seq, kind, DEVICE, prev)
    assert opened.name == name and opened.tag == data[-16:]
    assert len(data) == 68 + 24 + padded_size(len(body)) + 16  # sizes only as fine as PADMÉ's steps


@settings(max_examples=40, deadline=None)
@given(body=bodies, where=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_refused_naming_the_file(body: bytes, where: int, bit: int) -> None:
    name, data = rf.seal(KEY, STORE, rf.SEGMENT, DEVICE, 7, rf.NO_TAG, body)
    changed = bytearray(data)
    changed[where % len(data)] ^= 1 << bit
    with pytest.raises(IntegrityError, match=f"^remote file {name}: "):
        rf.open_file(KEY, STORE, name, bytes(changed))


def test_moved_cut_foreign_and_newer_files_are_refused() -> None:
    name, data = rf.seal(KEY, STORE, rf.SEGMENT, DEVICE, 2, rf.NO_TAG, b"records")
    other = rf.name_of(rf.SEGMENT, DEVICE, 3)
    with pytest.raises(IntegrityError, match="moved or swapped"):
        rf.open_file(KEY, STORE, other, data)
    with pytest.raises(IntegrityError, match="moved or swapped"):
        rf.open_file(KEY, STORE, rf.name_of(rf.SEGMENT, os.urandom(16), 2), data)
    for cut in (0, 10, len(data) - 1, len(data) - 17):
        with pytest.raises(IntegrityError):
            rf.open_file(KEY, STORE, name, data[:cut])
    with pytest.raises(IntegrityError, match="another store"):
        rf.open_file(KEY, os.urandom(16), name, data)
    with pytest.raises(IntegrityError, match="does not authenticate"):
        rf.open_file(os.urandom(32), STORE, name, data)  # the same store id, another data key
    newer = data[:8] + (2).to_bytes(2, "little") + data[10:]
    with pytest.raises(UnsupportedFormat, match="version 2"):
        rf.open_file(KEY, STORE, name, newer)


def chain(*specs: tuple[int, int]) -> list[rf.RemoteFile]:
    """Files of one device made in order, (kind, seq) each, each naming the tag of the one before."""
    files, prev = [], rf.NO_TAG
    for kind, seq in specs:
        name, data = rf.seal(KEY, STORE, kind, DEVICE, seq, prev, f"{kind}-{seq}".encode())
        files.append(rf.open_file(KEY, STORE, name, data))
        prev = files[-1].tag
    return files


def test_a_whole_chain_has_no_problems() -> None:
    assert rf.chain_problems(chain((rf.SEGMENT, 1), (rf.SEGMENT, 2), (rf.SEGMENT, 3))) == []
    assert rf.chain_problems(chain((rf.CHECKPOINT, 5), (rf.SEGMENT, 6))) == []
    assert rf.chain_problems([]) == []


def test_withheld_and_replaced_files_show() -> None:
    one, two, three = chain((rf.SEGMENT, 1), (rf.SEGMENT, 2), (rf.SEGMENT, 3))
    assert "are missing" in rf.chain_problems([one, three])[0]
    assert "are missing" in rf.chain_problems([two, three])[0]  # the start withheld
    other_two = chain((rf.SEGMENT, 1), (rf.SEGMENT, 2))[1]  # a segment 2 from another history
    assert "does not follow" in rf.chain_problems([one, other_two, three])[0]
