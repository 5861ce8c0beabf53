"""Leftovers that outlive erasure and rekeying: files a crash leaves in the store folder that the
current generation does not own. The next writer removes them; `verify` reports them.

Each case crashes a real operation through the file-ops observer (which raises just after the
named call succeeded, so the file it wrote is complete), then checks, by decrypting every file
under every data key the store ever had, that no forgotten or retired-key text is left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.log import fileops, layout
from mnemo_cli.log.fileops import SimulatedCrash
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import SNAPSHOT_EVERY, Store
from tests.reliability.plaintext import data_keys, files_under, texts_found
from tests.reliability.stub_embedder import STUB

PASSPHRASE = secrets.passphrase("leftovers passphrase", "test")
KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
NEW = secrets.passphrase("the passphrase after the rekey", "test")
CANARY = "canary: the spare key hangs behind the blue door"
TEXTS = [f"filler memory number {i} about nothing much" for i in range(SNAPSHOT_EVERY + 20)]


def big_store(path: Path) -> tuple[bytes, bytes]:
    """A store past the snapshot threshold (so writers write snapshots), holding CANARY; returns
    (store id, data key)."""
    Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
    with open_stub(path) as store:
        store.remember_many([NewMemory(text=t) for t in [CANARY, *TEXTS]])
        assert (path / layout.INDEX_DIR).is_dir()
        return store.store_id, store._data_key


def open_stub(path: Path, secret: secrets.Secret = KEYFILE) -> Store:
    return Store.open(path, secret, embedder=STUB)  # type: ignore[arg-type]


def crash_after(op: str, matches: Callable[[Path], bool], operation: Callable[[], object]) -> None:
    """Run `operation`, crashing it just after its first `op` call on a path `matches` accepts."""

    def observer(seen: str, path: Path, _detail: object) -> None:
        if seen == op and matches(path):
            raise SimulatedCrash(f"crash after {op} {path}")

    fileops.observe(observer)
    try:
        with pytest.raises(SimulatedCrash):
            operation()
    finally:
        fileops.observe(None)


def forget_and_compact(path: Path, text: str, secret: secrets.Secret = KEYFILE) -> None:
    with open_stub(path, secret) as store:
        store.forget([next(m.id for m in store.memories() if m.text == text)])
        store.compact()


def test_a_killed_snapshot_write_leaves_no_forgotten_text_after_forget_and_compact(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store_id, key = big_store(path)
    with open_stub(path) as store:
        state = store.state()

        def write_snapshot() -> None:
            with store.journal.exclusive():
                state.write_snapshot()

        crash_after("fsync", lambda p: p.name.endswith(".snap.tmp"), write_snapshot)
    assert any(p.name.endswith(".snap.tmp") for p in files_under(path))  # the leftover, canary inside
    assert texts_found(path, [key], store_id, [CANARY])
    forget_and_compact(path, CANARY)
    assert texts_found(path, [key], store_id, [CANARY]) == []
    assert [p.name for p in files_under(path) if p.name.endswith(".tmp")] == []


def test_an_interrupted_full_rekey_leaves_nothing_under_the_retired_key(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store_id, old_key = big_store(path)
    with open_stub(path, PASSPHRASE) as store:
        store.state()
        # Just after HEAD names the new generation (the commit point), before the old files go.
        crash_after("rename", lambda p: p.name == layout.HEAD, lambda: store.rekey([NEW, KEYFILE], recovery=False))
    assert texts_found(path, [old_key], store_id, [CANARY])  # the old log and snapshot
    with open_stub(path, NEW) as store:
        store.remember("the next writer after the rekey")
    assert texts_found(path, [old_key], store_id, [CANARY, *TEXTS[:3]]) == []
    forget_and_compact(path, CANARY, NEW)
    keys = data_keys(path, [PASSPHRASE, KEYFILE, NEW]) | {old_key}
    assert len(keys) == 2
    assert texts_found(path, keys, store_id, [CANARY]) == []


def test_verify_reports_leftovers_and_the_next_writer_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "store"
    Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
    with open_stub(path) as store:
        store.remember("a memory")
        gen = store.head().gen
    planted = {
        f"log/{'ab' * 16}.mlog": b"an old generation",
        f"log/{gen.hex()}.mlog.tmp": b"a half compaction",
        f"index/{gen.hex()}.7.snap.tmp": b"a half snapshot",
        f"index/{'cd' * 16}.300.snap": b"another generation's snapshot",
        "HEAD.tmp": b"a half HEAD",
        "keyslots.2.tmp": b"a half table",
        "notes.txt": b"a file nobody owns",
    }
    (path / layout.INDEX_DIR).mkdir()
    for name, data in planted.items():
        (path / name).write_bytes(data)
    (path / "index" / "sub").mkdir()
    (path / "index" / "sub" / "deeper").write_bytes(b"x")
    with open_stub(path) as store:
        report = store.verify()
    assert report.leftovers == sorted([*planted, "index/sub"])
    assert any(note.startswith("8 file(s) left in the store") and "memory text" in note for note in report.notes)
    with open_stub(path) as store:
        store.remember("the next writer")
        assert store.verify().leftovers == []
    assert sorted(str(p.relative_to(path)) for p in files_under(path)) == sorted(
        ["MNEMO", "keyslots", "keyslots.2", "HEAD", "lock", f"log/{gen.hex()}.mlog"]
    )


def test_the_sweep_never_follows_a_symlink_nor_leaves_the_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "doc.txt").write_text("keep me")
    (outside / "sub" / "deep.txt").write_text("keep me too")
    Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
    (path / "index").mkdir()
    (path / "index" / "linked-folder").symlink_to(outside)
    (path / "log" / "linked-file.mlog").symlink_to(outside / "doc.txt")
    (path / "stray").mkdir()
    (path / "stray" / "inner").symlink_to(outside / "sub")
    with open_stub(path) as store:
        store.remember("the next writer")
        assert store.verify().leftovers == []
    assert (outside / "doc.txt").read_text() == "keep me"
    assert (outside / "sub" / "deep.txt").read_text() == "keep me too"
    assert not (path / "stray").exists() and not (path / "index" / "linked-folder").is_symlink()


def test_the_sweep_leaves_a_symlinked_folder_of_the_store_alone(tmp_path: Path) -> None:
    """`index` may be a symlink (the user moved it): never entered, never removed."""
    path = tmp_path / "store"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "unrelated.txt").write_text("not the store's")
    Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
    (path / "index").symlink_to(elsewhere)
    with open_stub(path) as store:
        store.remember("the next writer")
    assert (elsewhere / "unrelated.txt").read_text() == "not the store's"
    assert (path / "index").is_symlink()


def test_updating_a_backup_removes_its_leftovers(tmp_path: Path) -> None:
    """An interrupted backup can leave temporary files in an earlier backup; the next one clears them."""
    path, dest = tmp_path / "store", tmp_path / "backup"
    Store.create(path, [PASSPHRASE, KEYFILE], recovery=False).close()
    with open_stub(path) as store:
        store.remember("a memory")
        store.backup(dest)
        gen = store.head().gen
        (dest / layout.INDEX_DIR).mkdir(exist_ok=True)
        (dest / layout.INDEX_DIR / f"{layout.snapshot_name(gen, 5)}.tmp").write_bytes(b"a half copied snapshot")
        (dest / "notes.txt").write_bytes(b"a file nobody owns")
        store.remember("another memory")
        _report, checked = store.backup(dest)
    assert checked.leftovers == []
    assert sorted(str(p.relative_to(dest)) for p in files_under(dest)) == sorted(
        ["MNEMO", "keyslots", "keyslots.2", "HEAD", "lock", f"log/{layout.log_name(gen)}"]
    )
