"""A power-loss simulator for the file-ops layer (SQLite's test6.c idea, in Python).

`Recorder(root)` takes everything under `root` as durable, then (through `fileops.observe`) keeps a
model of the disk: per file, the content last made durable by fsync/fdatasync and the writes and
truncations since; per directory, the entries last made durable by a directory fsync and the
creates, renames, unlinks, mkdirs and rmdirs since. `power_cut(rng, out)` writes to `out` one tree
the disk could hold if the power failed now:

- every durable byte and entry is there;
- each non-durable metadata operation, in order, independently happened or did not (a rename whose
  create was lost still names the inode; an unlink of an entry that is not there does nothing);
- each non-durable write, per 512-byte sector, independently reached the disk, was lost, or left
  garbage (random bytes); a lost sector past the end of the file may still have grown the file,
  with zeros; each non-durable truncation happened or did not.

Probabilities are drawn per cut (`Profile`), so some cuts keep nearly everything, some nearly
nothing, some are mostly garbage. Everything depends on `rng` only: a seed replays a cut.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from mnemo_cli.log import fileops

SECTOR = 512


@dataclass
class Inode:
    is_dir: bool
    #: Files: the content after the last fsync, the content now, and what happened in between.
    durable: bytes = b""
    current: bytearray = field(default_factory=bytearray)
    pending: list[tuple[str, int, bytes]] = field(default_factory=list)
    #: Directories: entries after the last directory fsync, entries now, operations in between.
    durable_entries: dict[str, int] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=dict)
    meta: list[tuple[str, str, str, int]] = field(default_factory=list)  # (op, name, old name, inode)


@dataclass
class Profile:
    """How a given cut treats what was not durable."""

    apply: float  # a sector or truncation reached the disk
    garbage: float  # of the sectors that did not: they hold random bytes instead of the old ones
    grow: float  # of lost sectors past the end: the file grew with zeros anyway
    meta: float  # a directory operation happened

    @staticmethod
    def draw(rng: random.Random) -> Profile:
        return Profile(
            apply=rng.choice([0.0, 0.3, 0.5, 0.8, 1.0]),
            garbage=rng.choice([0.0, 0.2, 0.5, 1.0]),
            grow=rng.choice([0.0, 0.5, 1.0]),
            meta=rng.choice([0.0, 0.5, 1.0]),
        )


class Recorder:
    """The disk model of one tree; use as a context manager around the operation."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inodes: list[Inode] = []
        self.root_ino = self._scan(root)
        self.events = 0

    def _new(self, inode: Inode) -> int:
        self.inodes.append(inode)
        return len(self.inodes) - 1

    def _scan(self, path: Path) -> int:
        if path.is_dir():
            entries = {child.name: self._scan(child) for child in sorted(path.iterdir())}
            return self._new(Inode(True, durable_entries=dict(entries), entries=entries))
        data = path.read_bytes()
        return self._new(Inode(False, durable=data, current=bytearray(data)))

    def __enter__(self) -> Recorder:
        fileops.observe(self.event)
        return self

    def __exit__(self, *exc: object) -> None:
        fileops.observe(None)

    # -- the model --------------------------------------------------------------------------------

    def _parent(self, path: Path) -> tuple[Inode, str]:
        relative = Path(path).resolve().relative_to(self.root.resolve())
        inode = self.inodes[self.root_ino]
        for part in relative.parts[:-1]:
            inode = self.inodes[inode.entries[part]]
        return inode, relative.parts[-1]

    def _lookup(self, path: Path) -> Inode:
        folder, name = self._parent(path)
        return self.inodes[folder.entries[name]]

    def event(self, op: str, path: Path, detail: object) -> None:
        self.events += 1
        if op == "write":
            assert isinstance(detail, tuple)
            offset, data = detail
            inode = self._lookup(path)
            if offset > len(inode.current):
                inode.current.extend(bytes(offset - len(inode.current)))
            inode.current[offset : offset + len(data)] = data
            inode.pending.append(("write", offset, data))
        elif op == "truncate":
            assert isinstance(detail, int)
            inode = self._lookup(path)
            del inode.current[detail:]
            inode.current.extend(bytes(detail - len(inode.current)))
            inode.pending.append(("truncate", detail, b""))
        elif op == "fsync":
            inode = self._lookup(path)
            inode.durable, inode.pending = bytes(inode.current), []
        elif op == "fsync_dir":
            inode = self._lookup(path) if Path(path).resolve() != self.root.resolve() else self.inodes[self.root_ino]
            inode.durable_entries, inode.meta = dict(inode.entries), []
        elif op in ("create", "mkdir"):
            folder, name = self._parent(path)
            ino = self._new(Inode(op == "mkdir"))
            folder.entries[name] = ino
            folder.meta.append(("link", name, "", ino))
        elif op in ("unlink", "rmdir"):
            folder, name = self._parent(path)
            ino = folder.entries.pop(name)
            folder.meta.append(("unlink", name, "", ino))
        elif op == "rename":
            assert isinstance(detail, Path)
            folder, name = self._parent(path)
            source_folder, old = self._parent(detail)
            assert source_folder is folder, "renames across folders are not modelled"
            ino = folder.entries.pop(old)
            folder.entries[name] = ino
            folder.meta.append(("rename", name, old, ino))
        else:
            raise AssertionError(f"unknown file operation {op}")

    # -- the cut ----------------------------------------------------------------------------------

    def power_cut(self, rng: random.Random, out: Path) -> Profile:
        """Write to `out` (which must not exist) a tree the disk could hold after a power cut now."""
        profile = Profile.draw(rng)
        self._materialise(self.root_ino, out, rng, profile)
        return profile

    def _materialise(self, ino: int, path: Path, rng: random.Random, profile: Profile) -> None:
        inode = self.inodes[ino]
        if not inode.is_dir:
            path.write_bytes(self._content(inode, rng, profile))
            path.chmod(fileops.FILE_MODE)
            return
        path.mkdir(mode=fileops.DIR_MODE)
        entries = dict(inode.durable_entries)
        for op, name, old, child in inode.meta:
            if rng.random() >= profile.meta:
                continue
            if op == "link":
                entries[name] = child
            elif op == "unlink":
                if entries.get(name) == child:
                    del entries[name]
            else:
                if entries.get(old) == child:
                    del entries[old]
                entries[name] = child
        for name, child in sorted(entries.items()):
            self._materialise(child, path / name, rng, profile)

    @staticmethod
    def _content(inode: Inode, rng: random.Random, profile: Profile) -> bytes:
        content = bytearray(inode.durable)
        for op, offset, data in inode.pending:
            if op == "truncate":
                if rng.random() < profile.apply:
                    del content[offset:]
                    content.extend(bytes(offset - len(content)))
                continue
            end = offset + len(data)
            start = offset
            while start < end:
                stop = min(end, (start // SECTOR + 1) * SECTOR)
                piece: bytes | None = data[start - offset : stop - offset]
                if rng.random() >= profile.apply:
                    if rng.random() < profile.garbage:
                        piece = rng.randbytes(stop - start)
                    elif start >= len(content) and rng.random() < profile.grow:
                        piece = bytes(stop - start)
                    else:
                        piece = None
                if piece is not None:
                    if start > len(content):
                        content.extend(bytes(start - len(content)))
                    content[start:stop] = piece
                start = stop
        return bytes(content)
