"""The journal: a store's log file and its HEAD, read with chain checks and appended atomically.

Commit protocol (docs/format.md, "Writing"): exclusive lock → read HEAD → check the log ends as
HEAD says, trim whatever lies beyond it (an uncommitted or torn tail) → append all frames of the
commit in one write → fdatasync → replace HEAD (tmp, fsync, rename, fsync dir) → unlock. HEAD is
the commit point: frames beyond it are never read, so a batch is all or nothing.

Readers take the shared lock only while they open HEAD and the log, then read from the open
descriptor: an append-only file read up to HEAD's length is stable while writers go on.

Frames beyond HEAD are deleted only when they can be one unfinished commit: when the caller has
evidence of a rollback (`rollback_evidence`), a writer that would delete authentic frames (the
tail, or another generation's log) refuses with `RolledBack` instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mnemo_cli.crypto import aead
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.errors import IntegrityError, UnsupportedFormat
from mnemo_cli.log import fileops, frames, head, layout, leftovers
from mnemo_cli.log.frames import ChainPoint, FrameError, LogHeader
from mnemo_cli.log.head import Head
from mnemo_cli.log.lock import StoreLock

_READ_CHUNK = 4 * 1024 * 1024


#: Where every error about a damaged log points the user (docs/cli.md, `mnemo salvage`).
SALVAGE_HINT = "copy every record that still authenticates with `mnemo salvage DEST`, or restore a backup"


class LogDamaged(IntegrityError):
    """The log does not match its chain or HEAD: a frame fails, the file is cut or missing."""

    def __init__(self, message: str, *, hint: str | None = SALVAGE_HINT) -> None:
        super().__init__(message, hint=hint)


class RolledBack(IntegrityError):
    """HEAD names an earlier state than the store has been in (the caller's evidence), and a write
    would delete authentic frames beyond it."""


class GenerationChanged(Exception):
    """`append(expect_gen=...)` found another generation current (compacted, reindexed or rekeyed
    since the caller looked): nothing was written; catch up and try again."""


class Journal:
    def __init__(self, store: Path, store_id: bytes, data_key: bytes) -> None:
        self.store = store
        self.store_id = store_id
        self._log_key = subkey(data_key, "log")
        self._head_key = subkey(data_key, "head")
        #: Messages about repairs this journal made (trimmed tails), for the caller to show.
        self.notes: list[str] = []
        #: Asked under the writers' lock before a writer deletes anything beyond HEAD: given HEAD and
        #: the authentic bodies after it, why they were committed once (a rollback), or None.
        self.rollback_evidence: Callable[[Head, list[bytes]], str | None] | None = None

    # -- creation -------------------------------------------------------------------------------

    def initialise(self, key_id: int) -> Head:
        """Write an empty generation (log header) and its HEAD into a store folder being created."""
        gen = aead.random_bytes(16)
        fileops.mkdir(self.store / layout.LOG_DIR)
        header = frames.encode_header(LogHeader(self.store_id, gen, key_id, frames.LOG_VERSION))
        fileops.create_exclusive(layout.log_path(self.store, gen), header)
        fileops.fsync_dir(self.store / layout.LOG_DIR)
        point = frames.genesis(self._log_key, header)
        anchor = Head(gen, key_id, 0, point.offset, 0, point.tag, 0)
        head.write(self.store, anchor, self._head_key, self.store_id)
        return anchor

    # -- reading --------------------------------------------------------------------------------

    def read_head(self) -> Head:
        return head.read(self.store, self._head_key, self.store_id)

    def replay(self, *, lock_wait: float | None = None) -> Iterator[bytes]:
        """Every committed body, oldest first, each checked against the chain; ends exactly on HEAD."""
        _anchor, _header, bodies = self.read(lock_wait=lock_wait)
        for body, _point in bodies:
            yield body

    def exclusive(self, lock_wait: float | None = None) -> StoreLock:
        """The writers' lock, for work that must not interleave with commits (snapshots, key slots,
        new generations). Taking it removes the leftovers of interrupted writes (`remove_orphans`)."""
        lock = StoreLock(self.store / layout.LOCK).acquire(exclusive=True, wait=lock_wait)
        try:
            self.remove_orphans(self.read_head())
        except BaseException:
            lock.release()
            raise
        return lock

    def read(
        self,
        start: ChainPoint | None = None,
        *,
        lock_wait: float | None = None,
        locked: bool = False,
        expect_gen: bytes | None = None,
    ) -> tuple[Head, LogHeader, Iterator[tuple[bytes, ChainPoint]]]:
        """HEAD, the log's header (checked before this returns: its `version` says how the bodies
        encode vectors, docs/format.md 9.1), and the committed bodies after `start` (default: the
        beginning) with the chain point after each. Iterate to the end: the chain is only known to
        land on HEAD when it does.

        A `start` that is not a point of this chain (a stale or foreign snapshot) raises
        `IntegrityError` at the first frame, or at once if it lies beyond HEAD.
        `locked`: the caller holds the exclusive lock already (flock locks of one process conflict).
        `expect_gen`: `start` is a point of that generation; if HEAD names another (a compaction
        switched generations since the caller looked), raise `GenerationChanged` instead.
        """
        if locked:
            anchor = self._open_anchor(expect_gen)
            path, fd = self._open_log(anchor, fileops.open_read)
        else:
            with StoreLock(self.store / layout.LOCK).acquire(exclusive=False, wait=lock_wait):
                anchor = self._open_anchor(expect_gen)
                path, fd = self._open_log(anchor, fileops.open_read)
        try:
            self._size_at_least_head(fd, path, anchor)
            header_bytes = fileops.pread(fd, frames.HEADER_SIZE, 0, path)
            header = self._check_header(header_bytes, path, anchor)
        except BaseException:
            os.close(fd)
            raise
        return anchor, header, self._read_and_close(fd, path, anchor, start, header, header_bytes)

    def _open_anchor(self, expect_gen: bytes | None) -> Head:
        anchor = self.read_head()
        if expect_gen is not None and anchor.gen != expect_gen:
            raise GenerationChanged()
        return anchor

    def _read_and_close(
        self, fd: int, path: Path, anchor: Head, start: ChainPoint | None, header: LogHeader, header_bytes: bytes
    ) -> Iterator[tuple[bytes, ChainPoint]]:
        try:
            yield from self._read(fd, path, anchor, start, header, header_bytes)
        finally:
            os.close(fd)

    def _open_log(self, anchor: Head, opener: Callable[[Path], int]) -> tuple[Path, int]:
        path = layout.log_path(self.store, anchor.gen)
        try:
            return path, opener(path)
        except FileNotFoundError:
            raise LogDamaged(f"{path}: missing (HEAD names this generation)") from None

    @staticmethod
    def _size_at_least_head(fd: int, path: Path, anchor: Head) -> int:
        size = fileops.file_size(fd)
        if size < anchor.log_bytes:
            raise LogDamaged(f"{path}: {size} bytes, but HEAD says {anchor.log_bytes}: the log was truncated")
        return size

    def _read(
        self, fd: int, path: Path, anchor: Head, start: ChainPoint | None, header: LogHeader, header_bytes: bytes
    ) -> Iterator[tuple[bytes, ChainPoint]]:
        point = frames.genesis(self._log_key, header_bytes) if start is None else start
        if point.frames > anchor.frames or point.offset > anchor.log_bytes or point.offset < frames.HEADER_SIZE:
            raise IntegrityError(f"{path}: the starting point lies beyond HEAD")
        buffer = b""
        buffer_start = point.offset
        while point.offset < anchor.log_bytes:
            at = point.offset - buffer_start
            try:
                body, point = frames.open_frame(self._log_key, header, point, buffer, at)
            except FrameError as e:
                if not e.incomplete or buffer_start + len(buffer) >= anchor.log_bytes:
                    raise LogDamaged(f"{path}: frame {point.frames} at offset {point.offset}: {e}") from None
                # Need more bytes: keep the unread part, read the next chunk (never past HEAD).
                buffer = buffer[at:]
                buffer_start = point.offset
                want = min(_READ_CHUNK, anchor.log_bytes - buffer_start - len(buffer))
                more = fileops.pread(fd, want, buffer_start + len(buffer), path)
                if not more:
                    raise LogDamaged(f"{path}: the log shrank while it was being read") from None
                buffer += more
                continue
            yield body, point
        if (point.frames, point.offset, point.tag) != (anchor.frames, anchor.log_bytes, anchor.last_tag):
            raise LogDamaged(f"{path}: the log does not end where HEAD says (rolled back or spliced)")

    def _check_header(self, header_bytes: bytes, path: Path, anchor: Head) -> LogHeader:
        if anchor.log_bytes < frames.HEADER_SIZE or (anchor.frames > 0) != (anchor.last_offset >= frames.HEADER_SIZE):
            raise IntegrityError(f"{self.store / layout.HEAD}: names an impossible log position")
        try:
            header = frames.decode_header(header_bytes)
        except FrameError as e:
            if e.newer:
                raise UnsupportedFormat(f"{path}: {e}; this mnemo reads versions up to {frames.LOG_VERSION}") from None
            raise LogDamaged(f"{path}: log header: {e}") from None
        if header.store_id != self.store_id or header.gen != anchor.gen or header.key_id != anchor.key_id:
            raise LogDamaged(f"{path}: log header names another store, generation or key")
        return header

    # -- writing --------------------------------------------------------------------------------

    def write_generation(self, bodies: Sequence[bytes], key_id: int, commit: int) -> Head:
        """Write a complete new log generation holding `bodies` (fsynced, under its final name) and
        return the HEAD that would make it current. Nothing refers to it until that HEAD is written.
        Call with the exclusive lock held (compaction)."""
        gen = aead.random_bytes(16)
        header = LogHeader(self.store_id, gen, key_id, frames.LOG_VERSION)
        raw_header = frames.encode_header(header)
        point = frames.genesis(self._log_key, raw_header)
        parts = [raw_header]
        last_offset = 0
        for body in bodies:
            last_offset = point.offset
            frame, point = frames.seal_frame(self._log_key, header, point, body)
            parts.append(frame)
        final = layout.log_path(self.store, gen)
        tmp = final.with_name(final.name + ".tmp")
        fileops.create_exclusive(tmp, b"".join(parts))
        fileops.replace(tmp, final)
        fileops.fsync_dir(final.parent)
        return Head(gen, key_id, point.frames, point.offset, last_offset, point.tag, commit)

    def switch_to(self, new: Head) -> None:
        """Make `new` (from `write_generation`) current: the commit point of a compaction."""
        head.write(self.store, new, self._head_key, self.store_id)

    def remove_orphans(self, current: Head) -> list[str]:
        """Delete every file in the store that `current`'s generation does not own (an older
        generation's log and snapshots, temporary files of interrupted writes: `leftovers.py`) and
        return their paths relative to the store. Call with the exclusive lock held.

        Refuses (`RolledBack`) first when there is evidence that `current` was rolled back: the
        files it does not own may then hold authentic commits, such as a newer generation's log."""
        self.refuse_if_rolled_back(current)
        return leftovers.sweep(self.store, current.gen)

    def append(
        self, bodies: Sequence[bytes], *, lock_wait: float | None = None, expect_gen: bytes | None = None
    ) -> Head:
        """Commit `bodies` as consecutive frames, all or nothing. Returns the new HEAD.

        `expect_gen`: commit only into that generation, else raise `GenerationChanged` (for bodies
        that depend on the generation's model, such as vectors)."""
        with StoreLock(self.store / layout.LOCK).acquire(exclusive=True, wait=lock_wait):
            anchor = self.read_head()
            if expect_gen is not None and anchor.gen != expect_gen:
                raise GenerationChanged()
            if not bodies:
                return anchor
            self.remove_orphans(anchor)  # refuses, deleting nothing, on evidence of a rollback
            path, fd = self._open_log(anchor, fileops.open_append)
            try:
                header = self._check_tail(fd, path, anchor)
                point = ChainPoint(anchor.frames, anchor.log_bytes, anchor.last_tag)
                sealed = []
                last_offset = anchor.last_offset
                for body in bodies:
                    last_offset = point.offset
                    frame, point = frames.seal_frame(self._log_key, header, point, body)
                    sealed.append(frame)
                fileops.write_all(fd, b"".join(sealed), path)
                fileops.fdatasync(fd, path)
            finally:
                os.close(fd)
            new = Head(anchor.gen, anchor.key_id, point.frames, point.offset, last_offset, point.tag, anchor.commit + 1)
            head.write(self.store, new, self._head_key, self.store_id)
            return new

    def refuse_if_rolled_back(self, anchor: Head) -> None:
        """`RolledBack` when a writer about to replace the log (compaction, rekey) would delete
        authentic frames beyond `anchor` that the caller has evidence were committed. Hold the
        writers' lock."""
        path, fd = self._open_log(anchor, fileops.open_read)
        try:
            self._refuse_if_rolled_back(fd, path, anchor)
        finally:
            os.close(fd)

    def _refuse_if_rolled_back(self, fd: int, path: Path, anchor: Head) -> None:
        others = [p.name for p in self._other_logs(anchor)]
        tail = self.authentic_tail(fd, path, anchor)
        if not (tail or others) or self.rollback_evidence is None:
            return
        why = self.rollback_evidence(anchor, tail)
        if why is None:
            return
        lost = f"{len(tail)} authentic records beyond HEAD" if tail else f"the log files {', '.join(others)}"
        raise RolledBack(f"{why}; refusing to write, which would delete {lost}: copy them with `mnemo salvage DEST`")

    def authentic_tail(self, fd: int, path: Path, anchor: Head) -> list[bytes]:
        """The bodies of the whole frames after HEAD that continue its chain (written by a commit
        that did not finish, or named by a HEAD since rolled back)."""
        size = fileops.file_size(fd)
        if size <= anchor.log_bytes or anchor.log_bytes < frames.HEADER_SIZE:
            return []
        header_bytes = fileops.pread(fd, frames.HEADER_SIZE, 0, path)
        try:
            header = frames.decode_header(header_bytes)
        except FrameError:
            return []
        data = fileops.pread(fd, size - anchor.log_bytes, anchor.log_bytes, path)
        point, at, bodies = ChainPoint(anchor.frames, anchor.log_bytes, anchor.last_tag), 0, []
        while at < len(data):
            try:
                body, after = frames.open_frame(self._log_key, header, point, data, at)
            except FrameError:
                break
            bodies.append(body)
            at += after.offset - point.offset
            point = after
        return bodies

    def _other_logs(self, current: Head) -> list[Path]:
        keep = layout.log_path(self.store, current.gen).name
        folder = self.store / layout.LOG_DIR
        return [
            path
            for path in sorted(folder.iterdir())
            if path.name != keep and (path.name.endswith(".mlog") or path.name.endswith(".mlog.tmp"))
        ]

    def _check_tail(self, fd: int, path: Path, anchor: Head) -> LogHeader:
        """Check the log ends as HEAD says (cheaply: header and last tag), trim what lies beyond."""
        size = self._size_at_least_head(fd, path, anchor)
        header_bytes = fileops.pread(fd, frames.HEADER_SIZE, 0, path)
        header = self._check_header(header_bytes, path, anchor)
        if anchor.frames == 0:
            intact = frames.genesis(self._log_key, header_bytes).tag == anchor.last_tag
        else:
            length_field = fileops.pread(fd, frames.LENGTH_SIZE, anchor.last_offset, path)
            tail_tag = fileops.pread(fd, frames.TAG_SIZE, anchor.log_bytes - frames.TAG_SIZE, path)
            intact = (
                len(length_field) == frames.LENGTH_SIZE
                and anchor.last_offset + frames.LENGTH_SIZE + int.from_bytes(length_field, "little") == anchor.log_bytes
                and tail_tag == anchor.last_tag
            )
        if not intact:
            raise LogDamaged(f"{path}: the last committed frame does not match HEAD")
        if size > anchor.log_bytes:
            fileops.truncate(fd, anchor.log_bytes, path)
            fileops.fsync(fd, path)
            self.notes.append(f"trimmed {size - anchor.log_bytes} bytes of uncommitted log tail from {path.name}")
        return header
