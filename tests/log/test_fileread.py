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
