"""Reads: `read_private` gives the whole file in writable memory of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 3 << 20])
def test_read_private_is_the_whole_file_and_writable(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "f"
    path.write_bytes(data)
    view = fileops.read_private(path)
    assert view == data and not view.readonly
    if size:
        view[0] ^= 1  # private memory: the file does not change
    assert path.read_bytes() == data == fileops.read_file(path)


def test_read_private_passes_a_missing_file_through_and_wraps_other_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fileops.read_private(tmp_path / "missing")
    with pytest.raises(StorageIOError, match="cannot read"):
        fileops.read_private(tmp_path)  # a folder


def test_keep_only_gives_back_the_pages_outside_a_view_and_keeps_the_view(tmp_path: Path) -> None:
    data = bytes(i % 251 + 1 for i in range(5 << 20))  # no zero byte anywhere
    path = tmp_path / "f"
    path.write_bytes(data)
    whole = fileops.read_private(path)
    kept = whole[(1 << 20) + 123 : (3 << 20) + 45]
    fileops.keep_only(kept)
    assert kept == data[(1 << 20) + 123 : (3 << 20) + 45]
    assert whole[: 1 << 20] == bytes(1 << 20)  # whole pages before it: given back, read as zeros
    assert whole[(3 << 20) + 4096 :] == bytes(len(whole) - (3 << 20) - 4096)
    assert whole[(1 << 20) + 122] == data[(1 << 20) + 122]  # a page it shares is kept whole


def test_keep_only_leaves_other_buffers_alone() -> None:
    data = bytearray(b"x" * 10000)
    fileops.keep_only(memoryview(data)[100:200])
    fileops.keep_only(memoryview(bytes(data))[100:200])
    fileops.keep_only(memoryview(data)[:0])
    assert data == b"x" * 10000
