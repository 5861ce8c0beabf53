"""`salvage`: copy every record of a damaged or rolled-back store that still authenticates into a
new store, and say exactly what could not be copied.

The source is only read, the way a reader reads it (the shared lock while HEAD and the log are
opened; nothing written into the store, no rollback record written or compared). Its log is
scanned from the header to the file's end (`mnemo_cli.log.scan`): beyond a damaged frame, and
beyond HEAD (frames of commits a rolled-back HEAD no longer names). A damaged HEAD is survived when
one log file of the store's key is there to scan.

The new store keeps the store id, the key-slot table and the data key: the slots are sealed to the
store id (docs/format.md, section 6.2), so only the same id lets every secret that opened the
source (passphrase, keyfile, recovery key) open the copy without being asked for. It is a new
generation of the same store, like a compaction: its commit counter continues past the newest
commit known (HEAD's, or the rollback record's), so moving it into the source's place does not
look like a rollback. It is built under a temporary name beside DEST and renamed into place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.crypto.keyslots import KeySlot, KeySlotTable
from mnemo_cli.embed.model_spec import EMBEDDED, ModelSpec
from mnemo_cli.errors import AuthenticationError, IntegrityError, ModelError, StoreExists, UnsupportedFormat, UsageError
from mnemo_cli.log import fileops, frames, head, keyslot_files, layout, store_header
from mnemo_cli.log.frames import FrameError, LogHeader
from mnemo_cli.log.head import Head
from mnemo_cli.log.journal import Journal
from mnemo_cli.log.lock import StoreLock
from mnemo_cli.log.scan import Lost, Scan, scan
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import seen, vector_blobs
from mnemo_cli.store.records import Record, RecordFormatError


@dataclass
class SalvageReport:
    source: Path
    dest: Path
    #: "ok", or why HEAD could not be used.
    head: str
    #: Frames HEAD names (None when HEAD is damaged).
    head_frames: int | None
    #: Records copied to DEST, and how many of them lay beyond HEAD.
    recovered: int = 0
    beyond_head: int = 0
    #: Indexes of frames below HEAD that did not authenticate (or are missing: a cut log).
    lost_frames: list[int] = field(default_factory=list)
    #: Stretches of the log no frame authenticated in: (offset, bytes, beyond HEAD).
    lost_stretches: list[tuple[int, int, bool]] = field(default_factory=list)
    #: Records that authenticated but were not copied: (frame index, why).
    dropped: list[tuple[int, str]] = field(default_factory=list)
    log_bytes: int = 0
    memories: int = 0
    links: int = 0

    @property
    def complete(self) -> bool:
        """Nothing was lost below HEAD, no stretch failed anywhere, nothing was dropped."""
        return not (self.lost_frames or self.lost_stretches or self.dropped or self.head != "ok")


def check_dest(source: Path, dest: Path) -> Path:
    """DEST as an absolute path, refused before anyone is asked for a secret: it must not exist and
    must lie outside the store."""
    dest = Path(os.path.abspath(Path(dest).expanduser()))
    if dest.exists() or dest.is_symlink():
        raise StoreExists(f"{dest} already exists", hint="salvage writes a new store: name a path that does not exist")
    inside = Path(source).resolve()
    if dest.resolve() == inside or inside in dest.resolve().parents:
        raise UsageError("the salvage folder must be outside the store")
    return dest


def salvage(source: Path, dest: Path, secret: secrets.Secret) -> SalvageReport:
    """Copy what authenticates in the store at `source` into a new store at `dest`."""
    source = Path(source)
    dest = check_dest(source, dest)
    store_id = store_header.read(source).store_id
    table, _notes = keyslot_files.read(source, store_id)
    data_key, slot, anchor, head_state = _unlock(source, store_id, table, secret)
    report = SalvageReport(source, dest, head_state, anchor.frames if anchor else None)
    log_header, data = _read_log(source, store_id, data_key, slot, anchor)
    log_header, result = _scan(subkey(data_key, "log"), data, log_header)
    report.log_bytes = len(data)
    _account(report, result, anchor)
    kept = [vector_blobs.upgraded(body, log_header.version) for body in _usable(result, report, log_header.version)]
    commit = max(anchor.commit if anchor else 0, _seen_commit(source, store_id, data_key)) + 1
    built = _build(dest, store_id, table, data_key, log_header.key_id, kept, commit)
    report.recovered = len(kept)
    report.memories, report.links = built
    return report


def _unlock(
    source: Path, store_id: bytes, table: KeySlotTable, secret: secrets.Secret
) -> tuple[bytes, KeySlot, Head | None, str]:
    """The data key HEAD is sealed under, its slot, HEAD, and "ok"; or, when HEAD does not open under
    any key the secret unwraps, the key whose id the log files carry, None and why."""
    opened: list[tuple[bytes, KeySlot]] = []
    problem = "missing"
    for data_key, slot in keyslots.openings(table, secret):
        try:
            return data_key, slot, head.read(source, subkey(data_key, "head"), store_id), "ok"
        except UnsupportedFormat:
            raise
        except IntegrityError as e:
            problem = str(e)
            opened.append((data_key, slot))
    logs = _log_headers(source, store_id)
    for data_key, slot in opened:
        if any(header.key_id == slot.key_id for header, _path in logs):
            return data_key, slot, None, f"damaged ({problem})"
    raise AuthenticationError("the secret opens no data key that HEAD or a log file of this store uses")


def _log_headers(source: Path, store_id: bytes) -> list[tuple[LogHeader, Path]]:
    found = []
    for path in sorted((source / layout.LOG_DIR).glob("*.mlog")):
        try:
            header = frames.decode_header(fileops.read_file(path)[: frames.HEADER_SIZE])
        except (FrameError, OSError):
            continue
        if header.store_id == store_id and path.name == f"{header.gen.hex()}.mlog":
            found.append((header, path))
    return found


def _read_log(
    source: Path, store_id: bytes, data_key: bytes, slot: KeySlot, anchor: Head | None
) -> tuple[LogHeader, bytes]:
    """The log to scan and the header it must have: HEAD's generation; without HEAD, the log file of
    the slot's key holding the most bytes. Opened under the shared lock, as a reader does."""
    if anchor is not None:
        header = LogHeader(store_id, anchor.gen, anchor.key_id)
        path = layout.log_path(source, anchor.gen)
    else:
        candidates = [(h, p) for h, p in _log_headers(source, store_id) if h.key_id == slot.key_id]
        header, path = max(candidates, key=lambda c: c[1].stat().st_size)
    with StoreLock(source / layout.LOCK).acquire(exclusive=False):
        try:
            fd = fileops.open_read(path)
        except FileNotFoundError:
            raise IntegrityError(f"{path}: missing (HEAD names this generation); nothing to salvage") from None
    try:
        data = fileops.pread(fd, fileops.file_size(fd), 0, path)
    finally:
        os.close(fd)
    return header, data


def _seen_commit(source: Path, store_id: bytes, data_key: bytes) -> int:
    raw = seen.read_raw(store_id, source)
    try:
        return seen.decode(raw, store_id, data_key).commit if raw is not None else 0
    except seen.BadRecord:
        return 0


def _account(report: SalvageReport, result: Scan, anchor: Head | None) -> None:
    limit = anchor.log_bytes if anchor is not None else report.log_bytes
    indexes = {f.index for f in result.found}
    if anchor is not None:
        report.lost_frames = [i for i in range(anchor.frames) if i not in indexes]
        report.beyond_head = sum(1 for f in result.found if f.index >= anchor.frames)
    else:
        top = max(indexes, default=-1)
        report.lost_frames = [i for i in range(top) if i not in indexes]
    report.lost_stretches = [_stretch(lost, limit) for lost in result.lost]
    if report.log_bytes < limit:  # cut: HEAD names bytes that are gone
        report.lost_stretches.append((report.log_bytes, limit - report.log_bytes, False))


def _stretch(lost: Lost, limit: int) -> tuple[int, int, bool]:
    return (lost.offset, lost.size, lost.offset >= limit)


def _scan(log_key: bytes, data: bytes, header: LogHeader) -> tuple[LogHeader, Scan]:
    """The scan of the log, and its header. A log header that does not decode (damaged) leaves its
    version unknown: it is the one under which frame 0 authenticates (else the current one). A log
    of a newer version is refused: this mnemo would misread its records."""
    try:
        own = frames.decode_header(data[: frames.HEADER_SIZE])
    except FrameError as e:
        if e.newer:
            raise UnsupportedFormat(f"the log: {e}; salvage it with that mnemo") from None
        own = None
    if own is not None and (own.store_id, own.gen, own.key_id) == (header.store_id, header.gen, header.key_id):
        header = own
        return header, scan(log_key, data, header)
    tries = [replace(header, version=version) for version in sorted(frames.LOG_VERSIONS, reverse=True)]
    results = [(candidate, scan(log_key, data, candidate)) for candidate in tries]
    return next(((h, r) for h, r in results if r.found and r.found[0].index == 0), results[0])


def _usable(result: Scan, report: SalvageReport, log_version: int) -> list[bytes]:
    """The authentic bodies a replay can apply, in chain order. Records that depend on a lost one
    are left out and reported: a link to a lost memory, a memory whose vector belongs to a model
    whose `model` record was lost, a body that is not a record this mnemo reads."""
    kept: list[bytes] = []
    model: ModelSpec = EMBEDDED
    live: set[str] = set()
    for found in result.found:
        try:
            record = record_codec.decode(found.body)
            why = _why_not(record, model, live, log_version)
            if why is None and record.op == "model":
                model = ModelSpec.from_json(record.fields["spec"])
        except (RecordFormatError, ModelError, KeyError, TypeError) as e:
            why = f"not a record this mnemo reads ({e})"
        if why is not None:
            report.dropped.append((found.index, why))
            continue
        if record.op == "remember":
            live.add(record.fields["id"])
        elif record.op == "forget":
            live.difference_update(record.fields["ids"])
        kept.append(found.body)
    return kept


def _why_not(record: Record, model: ModelSpec, live: set[str], log_version: int) -> str | None:
    f = record.fields
    if record.op == "remember":
        if f.get("model") != model.id or len(record.blob) != vector_blobs.width(log_version) * model.dimension:
            return f"memory {f.get('id')}: its vector is not of the model in use (the `model` record was lost)"
        if f["id"] in live:
            return f"memory {f['id']}: stored twice"
    elif record.op == "link":
        missing = [end for end in (f["src"], f["dst"]) if end not in live]
        if missing:
            return f"link {f['src'][:12]} -> {f['dst'][:12]}: memory {missing[0]} was lost"
    elif record.op == "model":
        if live:
            return "a model record after memories"
    elif record.op not in ("forget", "unlink", "compacted"):
        return f"unknown record '{record.op}'"
    return None


def _build(
    dest: Path, store_id: bytes, table: KeySlotTable, data_key: bytes, key_id: int, bodies: list[bytes], commit: int
) -> tuple[int, int]:
    """Write the new store (header, key slots, one generation, its index) under a temporary name
    beside `dest`, then rename it into place. Returns its (memories, links)."""
    from mnemo_cli.store import store as store_module
    from mnemo_cli.store.state import IndexState

    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = dest.parent / f".{dest.name}.init-{os.urandom(6).hex()}"
    fileops.mkdir(work)
    try:
        fileops.create_exclusive(work / layout.HEADER, store_header.encode(store_header.StoreHeader(store_id)))
        keyslot_files.write(work, table)
        fileops.create_exclusive(work / layout.LOCK, b"")
        fileops.mkdir(work / layout.LOG_DIR)
        journal = Journal(work, store_id, data_key)
        new = journal.write_generation(bodies, key_id, commit)
        journal.switch_to(new)
        state = IndexState(work, store_id, data_key, journal)
        state.load(use_snapshots=False)  # the replay a reader does: proves the records apply
        if new.frames >= store_module.SNAPSHOT_EVERY:
            state.write_snapshot()
        counts = (state.catalog.count(), state.catalog.link_count())
        fileops.fsync_dir(work)
        try:
            fileops.rename_dir(work, dest)
        except FileExistsError:
            raise StoreExists(f"{dest} appeared while the salvaged store was being written") from None
        fileops.fsync_dir(dest.parent)
    except BaseException:
        fileops.discard_tree(work)  # as Store.create does: never through a link, the first error wins
        raise
    return counts
