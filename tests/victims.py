"""Folders and files of the user's that tests point symbolic links at, and the proof that nothing in
them changed: `snapshot` before, `snapshot` after, compare."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def make_victim(path: Path) -> Path:
    """A folder with a file, a sub-folder with a file, and a link of its own: what a user keeps."""
    (path / "sub").mkdir(parents=True)
    (path / "doc.txt").write_text("x\n")
    (path / "sub" / "notes.md").write_text("precious notes\n")
    os.symlink("doc.txt", path / "shortcut")
    return path


def snapshot(*paths: Path) -> dict[str, tuple[str, str]]:
    """Every entry under `paths` (links not followed): its kind and its content or link target."""
    found: dict[str, tuple[str, str]] = {}
    for top in paths:
        entries = [top, *top.rglob("*")] if top.is_dir() and not top.is_symlink() else [top]
        for entry in entries:
            try:
                mode = entry.lstat().st_mode
            except FileNotFoundError:
                found[str(entry)] = ("missing", "")
                continue
            if stat.S_ISLNK(mode):
                found[str(entry)] = ("link", os.readlink(entry))
            elif stat.S_ISREG(mode):
                found[str(entry)] = ("file", entry.read_text(errors="replace"))
            elif stat.S_ISDIR(mode):
                found[str(entry)] = ("folder", "")
            else:
                found[str(entry)] = ("other", oct(stat.S_IFMT(mode)))
    return found
