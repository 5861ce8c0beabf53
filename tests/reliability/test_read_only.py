"""Item 14 · read-only stores: a store on a read-only mount (a backup on write-protected media) can
be read by every read command, every writer fails at once with one line and exit 8, and not a
byte of the store changes.

Two ways: in-process, the file-ops layer refuses every mutating call and every open for writing
with EROFS (`fileops.read_only`), and the `Store` API is driven through its reads and writes; and
through the real CLI on a real read-only bind mount (`mount --bind`, then `remount,ro,bind`),
which needs root and the permission to mount (skipped, saying why, where it is missing). There
the per-user rollback record (store/seen.py) lies on the read-only mount too: a reader that
cannot write it must not fail.
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import StorageIOError
from mnemo_cli.log import fileops, layout
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE as PASSPHRASE_TEXT
from tests.helpers import digest_tree
from tests.reliability.stores import TEXTS, seed_store
from tests.reliability.stub_embedder import STUB

ROW = "14 · read-only stores: readers work, writers exit 8, nothing changes"
pytestmark = pytest.mark.reliability(ROW)

PASSPHRASE = secrets.passphrase(PASSPHRASE_TEXT, "test")
KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
NEW = secrets.passphrase("a passphrase that is never written", "test")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with memories, a link, a forgotten memory and an index snapshot."""
    path = tmp_path_factory.mktemp("pristine") / "store"
    seed_store(path, [PASSPHRASE, KEYFILE], embedder=STUB)
    with Store.open(path, KEYFILE, embedder=STUB) as store:  # type: ignore[arg-type]
        store.state().write_snapshot()  # under no lock: nothing else runs on this store yet
    return path


@pytest.fixture
def writable_after() -> Iterator[None]:
    yield
    fileops.read_only(False)


def test_every_write_refused_in_process(
    pristine: Path, tmp_path: Path, tally: Callable[[int], None], writable_after: None
) -> None:
    path = tmp_path / "store"
    shutil.copytree(pristine, path)
    (path / layout.LOCK).unlink()  # an old store copied without its lock file: readers need none
    before = digest_tree(path)
    fileops.read_only(True)
    cases = 0
    with Store.open(path, KEYFILE, embedder=STUB) as store:  # type: ignore[arg-type]
        first = next(m for m in store.memories() if m.text == TEXTS[0])
        reads: list[Callable[[], object]] = [
            lambda: store.list_memories(),
            lambda: store.recall(TEXTS[0], k=2),
            lambda: store.get(first.id[:8]),
            lambda: store.links_of(first.id),
            lambda: list(store.memories()),
            lambda: store.verify(),
            lambda: store.verify(deep=True),
            lambda: store.stats(),
            lambda: Store.key_slots(path),
        ]
        for read in reads:
            assert read() is not None
            cases += 1
        assert store.recall(TEXTS[0], k=1)[0].memory.text == TEXTS[0]
        assert store.verify(deep=True).deep
        writes: list[Callable[[], object]] = [
            lambda: store.remember("a memory for a read-only store"),
            lambda: store.remember_many([NewMemory(text=f"imported {i}") for i in range(3)]),
            lambda: store.forget([first.id]),
            lambda: store.link(first.id, next(m.id for m in store.memories() if m.text == TEXTS[2])),
            store.compact,
            lambda: store.change_passphrase(NEW),
            lambda: store.rekey([NEW], recovery=False),
        ]
        for write in writes:
            with pytest.raises(StorageIOError) as caught:
                write()
            assert getattr(caught.value, "errno", None) == errno.EROFS, caught.value
            assert "\n" not in str(caught.value)
            cases += 1
    assert digest_tree(path) == before
    fileops.read_only(False)
    with Store.open(path, KEYFILE, embedder=STUB) as store:  # type: ignore[arg-type]
        store.remember("written once the store is writable again")
    tally(cases)


# -- a real read-only mount, through the CLI ----------------------------------------------------------


def _mount_read_only(source: Path, target: Path) -> None:
    """Bind `source` on `target`, read-only; skip the test when mounting is not permitted here."""
    target.mkdir()
    try:
        subprocess.run(["mount", "--bind", str(source), str(target)], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot bind-mount here (needs root and the permission to mount): {e}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        _unmount(target)
        pytest.skip(f"cannot remount the bind mount read-only here: {e}")
    try:
        (target / "probe").write_bytes(b"")
    except OSError as e:
        if e.errno == errno.EROFS:
            return
        raise
    _unmount(target)
    pytest.skip("the read-only bind mount accepted a write")


def _unmount(target: Path) -> None:
    done = subprocess.run(["umount", str(target)], capture_output=True, timeout=30)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


@pytest.mark.slow
def test_a_read_only_mount_through_the_cli(pristine: Path, tmp_path: Path, tally: Callable[[int], None]) -> None:
    media, mount = tmp_path / "media", tmp_path / "mount"
    shutil.copytree(pristine, media / "store")
    (media / "state").mkdir()  # the rollback record's folder, read-only too: no record can be kept
    with Store.open(media / "store", KEYFILE) as store:
        memory_id = next(m.id for m in store.memories() if m.text == TEXTS[0])
    before = digest_tree(media)
    _mount_read_only(media, mount)
    try:
        env = {
            "MNEMO_HOME": str(mount / "store"),
            "MNEMO_STATE_DIR": str(mount / "state"),
            "MNEMO_PASSPHRASE": PASSPHRASE_TEXT,
            "MNEMO_NO_AGENT": "1",
        }
        readers = [
            ["list", "--json"],
            ["recall", TEXTS[0], "--json"],
            ["show", memory_id[:8]],
            ["verify"],
            ["verify", "--deep", "--json"],
            ["export"],
            ["stats", "--json"],
            ["key", "list"],
            ["backup", str(tmp_path / "copy")],  # to writable storage
        ]
        cases = 0
        for command in readers:
            done = run_mnemo(*command, env=env)
            assert done.returncode == 0, f"mnemo {' '.join(command)}: exit {done.returncode}: {done.stderr}"
            cases += 1
        listed = json.loads(run_mnemo("list", "--json", env=env).stdout)
        assert sorted(m["text"] for m in listed) == sorted(TEXTS[:3])
        copied = run_mnemo("list", "--json", env={**env, "MNEMO_HOME": str(tmp_path / "copy")})
        assert json.loads(copied.stdout) == listed
        writers = [(["remember", "a memory for write-protected media"], None)]
        writers += [(["forget", memory_id], None), (["compact"], None)]
        writers += [(["import", "-"], json.dumps({"text": "an imported memory"}) + "\n")]
        for command, stdin in writers:
            done = run_mnemo(*command, env=env, input=stdin)
            label = f"mnemo {' '.join(command)}"
            lines = done.stderr.splitlines()
            assert done.returncode == 8, f"{label}: exit {done.returncode}: {done.stderr}"
            assert "Traceback" not in done.stderr, f"{label}: {done.stderr}"
            assert lines[0].startswith("mnemo: error: cannot write to the store") and "read-only" in lines[0], label
            assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("mnemo: hint: ")), done.stderr
            cases += 1
    finally:
        _unmount(mount)
    assert digest_tree(media) == before
    tally(cases)
