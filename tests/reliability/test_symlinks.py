"""Item 10: removal and replacement never follow a symbolic link out of the folder given.

Wherever mnemo deletes or replaces something outside the store folder, a link planted there (to
a folder, to a file, to nothing, to a link) must be removed as a link or left alone, never
followed, and everything it points to must come out unchanged (`tests/victims.py` snapshots it):

- backup's leftover work folders: links planted where a work folder would be; links at every
  depth inside a genuine leftover; folders named like one that a backup cannot prove it wrote
  (no marker, another store's, a marker that is a link, a FIFO or a folder); an earlier backup
  whose log/ or index/ is a link; random trees of folders, files and links removed by
  `fileops.remove_tree`, which every removal of a tree goes through;
- cleanup after a failure: a link planted inside init's or backup's work folder while it is
  being filled, then an I/O error;
- `export -o` targets: a link to a file (written through, the link stays), to a folder, to
  nothing, to a FIFO, to a full device; a FIFO; a full device; a folder;
- keyfiles (`init --keyfile`): a link, dangling or not, where the keyfile is to go.
"""

from __future__ import annotations

import errno
import os
import random
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mnemo_cli.cli import app
from mnemo_cli.crypto import secrets
from mnemo_cli.errors import StorageIOError, StoreExists
from mnemo_cli.log import fileops
from mnemo_cli.log.fileops import Fault
from mnemo_cli.store.store import Store
from tests.reliability.conftest import scaled
from tests.reliability.stub_embedder import STUB
from tests.victims import DEAD_PID, FifoReader, crashed_backup, full_device, make_victim, snapshot

ROW = "10 · symlink safety: removal and replacement never follow a link out of the folder given"
pytestmark = pytest.mark.reliability(ROW)

KEYFILE = secrets.keyfile(bytes(range(32)), "test keyfile")
PASSPHRASE = "symlink safety passphrase"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "store"
    Store.create(path, [KEYFILE, secrets.passphrase(PASSPHRASE, "test")]).close()
    with Store.open(path, KEYFILE, embedder=STUB) as opened:  # type: ignore[arg-type]
        yield opened


def link_targets(tmp_path: Path, victim: Path) -> dict[str, Path]:
    """What a planted link points at: a folder, a file, nothing, another link, the folder above."""
    chain = tmp_path / "chain"
    if not os.path.lexists(chain):
        os.symlink(victim, chain)
    return {
        "folder": victim,
        "file": victim / "sub" / "notes.md",
        "nothing": tmp_path / "nowhere",
        "link to a folder": chain,
        "the folder above": tmp_path,
    }


# -- backup's leftovers --------------------------------------------------------------------------


def test_links_planted_where_a_work_folder_would_be(store: Store, tmp_path: Path, tally: Callable[[int], None]) -> None:
    victim = make_victim(tmp_path / "victim")
    outside = tmp_path / "outside"
    outside.mkdir()
    names = [f"{DEAD_PID}", f"{DEAD_PID}-00ff", "999999", f"{os.getpid()}-1234", "x"]
    cases = 0
    for kind, target in link_targets(tmp_path, victim).items():
        for name in names:
            dest = outside / f"bk{cases}"
            os.symlink(target, outside / f".{dest.name}.backup-{name}")
            before = snapshot(victim, tmp_path / "chain")
            store.backup(dest)
            assert snapshot(victim, tmp_path / "chain") == before, f"{kind}, {name}"
            assert (outside / f".{dest.name}.backup-{name}").is_symlink(), f"{kind}, {name}: the link was removed"
            cases += 1
    tally(cases)


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_links_inside_a_genuine_leftover(
    store: Store, tmp_path: Path, tally: Callable[[int], None], depth: int
) -> None:
    victim = make_victim(tmp_path / "victim")
    cases = 0
    for kind, target in link_targets(tmp_path, victim).items():
        dest = tmp_path / f"bk-{cases}"
        work = crashed_backup(store, dest)
        folder = work.joinpath(*[f"d{i}" for i in range(depth)])
        folder.mkdir(parents=True, exist_ok=True)
        os.symlink(target, folder / "planted")
        before = snapshot(victim, tmp_path / "chain")
        store.backup(dest)
        assert not os.path.lexists(work), f"{kind} at depth {depth}: the leftover stayed"
        assert snapshot(victim, tmp_path / "chain") == before, f"{kind} at depth {depth}"
        cases += 1
    tally(cases)


def test_folders_a_backup_cannot_prove_it_wrote(store: Store, tmp_path: Path, tally: Callable[[int], None]) -> None:
    dest = tmp_path / "bk"
    other = tmp_path / "other"
    Store.create(other, [KEYFILE]).close()
    with Store.open(other, KEYFILE) as other_store:
        foreign = crashed_backup(other_store, dest)
    unproven = [foreign, make_victim(tmp_path / f".bk.backup-{DEAD_PID}-0001")]
    for kind in ("a link", "a FIFO", "a folder", "a wrong text"):
        work = crashed_backup(store, dest)
        marker = work / ".mnemo-backup-work"
        text = marker.read_bytes()
        marker.unlink()
        if kind == "a link":
            (tmp_path / f"copy-{work.name}").write_bytes(text)
            os.symlink(tmp_path / f"copy-{work.name}", marker)
        elif kind == "a FIFO":
            os.mkfifo(marker)  # must not hang the backup that looks at it
        elif kind == "a folder":
            marker.mkdir()
        else:
            marker.write_bytes(text.replace(b"store ", b"store 00"))
        unproven.append(work)
    before = snapshot(*unproven)
    store.backup(dest)
    assert snapshot(*unproven) == before
    tally(len(unproven))


@pytest.mark.parametrize("name", ["log", "index"])
def test_an_earlier_backup_with_a_linked_folder(
    store: Store, tmp_path: Path, tally: Callable[[int], None], name: str
) -> None:
    victim = make_victim(tmp_path / "victim")
    for i in range(3):  # enough to make an index snapshot worth nothing here; the folder is what counts
        store.remember(f"memory {i}")
    dest = tmp_path / "bk"
    store.backup(dest)
    if (dest / name).exists():
        for entry in (dest / name).iterdir():
            entry.rename(victim / entry.name)
        (dest / name).rmdir()
    os.symlink(victim, dest / name)
    before = snapshot(victim)
    with pytest.raises(StoreExists):
        store.backup(dest)
    assert snapshot(victim) == before
    tally(1)


def random_tree(rng: random.Random, top: Path, targets: list[Path], depth: int = 0) -> None:
    top.mkdir()
    for i in range(rng.randint(0, 4)):
        kind = rng.choice(["file", "link", "link", "folder"] if depth < 4 else ["file", "link"])
        entry = top / f"e{i}"
        if kind == "file":
            entry.write_bytes(b"x" * rng.randint(0, 64))
        elif kind == "link":
            os.symlink(rng.choice(targets), entry)
        else:
            random_tree(rng, entry, targets, depth + 1)


def test_remove_tree_on_random_trees_of_links(tmp_path: Path, tally: Callable[[int], None]) -> None:
    victim = make_victim(tmp_path / "victim")
    targets = [*link_targets(tmp_path, victim).values(), victim / "doc.txt", victim / "shortcut"]
    before = snapshot(victim, tmp_path / "chain")
    cases = scaled(40, 2_000)
    for seed in range(cases):
        rng = random.Random(seed)
        tree = tmp_path / f"tree{seed}"
        random_tree(rng, tree, targets)
        fileops.remove_tree(tree)
        assert not os.path.lexists(tree), seed
        assert snapshot(victim, tmp_path / "chain") == before, f"seed {seed}"
    tally(cases)


# -- cleanup after a failure ---------------------------------------------------------------------


def plant_then_fail(folder_prefix: str, victim: Path, operation: Callable[[], object]) -> None:
    """Run `operation`; when it makes a folder named `folder_prefix*`, plant a link to `victim`
    inside it, and fail the operation's next mutating call with EIO."""

    def observer(op: str, path: Path, detail: object) -> None:
        if op == "mkdir" and path.name.startswith(folder_prefix) and not os.path.lexists(path / "planted"):
            os.symlink(victim, path / "planted")
            fileops.inject(Fault(at=1, action="errno", errno=errno.EIO))

    fileops.observe(observer)
    try:
        with pytest.raises(StorageIOError):
            operation()
    finally:
        fileops.observe(None)
        fileops.inject(None)


def test_cleanup_after_a_failure_removes_planted_links_only(
    store: Store, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    victim = make_victim(tmp_path / "victim")
    before = snapshot(victim)
    plant_then_fail(".new.init-", victim, lambda: Store.create(tmp_path / "new", [KEYFILE]))
    plant_then_fail(".bk.backup-", victim, lambda: store.backup(tmp_path / "bk"))
    assert snapshot(victim) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state", "store", "victim"]
    tally(2)


# -- export targets ------------------------------------------------------------------------------


def run_export(monkeypatch: pytest.MonkeyPatch, store: Store, *args: str) -> int:
    monkeypatch.setenv("MNEMO_HOME", str(store.path))
    monkeypatch.setenv("MNEMO_PASSPHRASE", PASSPHRASE)
    return app.run(["export", *args])


def test_export_targets(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tally: Callable[[int], None],
) -> None:
    store.remember("an exported memory")
    victim = make_victim(tmp_path / "victim")
    full = full_device(tmp_path)
    cases = 0

    def check(label: str, target: Path, code: int, *, watch: list[Path]) -> str:
        nonlocal cases
        kinds = {p: p.lstat().st_mode if os.path.lexists(p) else None for p in watch}
        done = run_export(monkeypatch, store, "-o", str(target), "--force")
        err = capsys.readouterr().err
        assert done == code, f"{label}: exit {done}: {err}"
        errors = [line for line in err.splitlines() if line.startswith("mnemo: error:")]
        assert len(errors) == (code != 0), f"{label}: {err}"
        for p, mode in kinds.items():
            now = p.lstat().st_mode if os.path.lexists(p) else None
            assert (now is None) == (mode is None) and (mode is None or stat.S_IFMT(now) == stat.S_IFMT(mode)), (
                f"{label}: {p} changed kind"
            )
        cases += 1
        return err

    # A link to a regular file: written through; the link stays a link, the file gets the export.
    link = tmp_path / "to-file"
    os.symlink(victim / "doc.txt", link)
    check("link to a file", link, 0, watch=[link, victim / "doc.txt"])
    assert '"an exported memory"' in (victim / "doc.txt").read_text()
    # Refused, and nothing changes: a folder, a link to one, a link to nothing.
    for label, target in [
        ("folder", victim),
        ("link to a folder", tmp_path / "to-folder"),
        ("link to nothing", tmp_path / "to-nothing"),
    ]:
        if label == "link to a folder":
            os.symlink(victim, target)
        elif label == "link to nothing":
            os.symlink(tmp_path / "nowhere", target)
        before = snapshot(victim)
        check(label, target, 2, watch=[target])
        assert snapshot(victim) == before and not os.path.lexists(tmp_path / "nowhere"), label
    # A full device, directly and through a link: exit 8, one line, still a device.
    os.symlink(full, tmp_path / "to-full")
    for label, target in [("full device", full), ("link to a full device", tmp_path / "to-full")]:
        err = check(label, target, 8, watch=[target, full])
        assert "No space left on device" in err, label
    # A FIFO, directly and through a link: written into, still a FIFO.
    for label in ("fifo", "link to a fifo"):
        reader = FifoReader(tmp_path / f"pipe-{cases}")
        target = reader.path
        if label == "link to a fifo":
            target = tmp_path / f"to-pipe-{cases}"
            os.symlink(reader.path, target)
        check(label, target, 0, watch=[target, reader.path])
        assert b'"an exported memory"' in reader.result(), label
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] + [
        p.name for p in victim.iterdir() if ".tmp-" in p.name
    ]
    assert not leftovers
    tally(cases)


# -- keyfiles ------------------------------------------------------------------------------------


def test_a_link_where_a_keyfile_is_to_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Callable[[int], None]
) -> None:
    victim = make_victim(tmp_path / "victim")
    cases = 0
    for kind, target in link_targets(tmp_path, victim).items():
        link = tmp_path / f"key-{cases}"
        os.symlink(target, link)
        before = snapshot(victim, tmp_path / "chain")
        os.environ["MNEMO_HOME"] = str(tmp_path / f"s{cases}")  # restored by the clean_env fixture
        code = app.run(["init", "--keyfile", str(link)])
        err = capsys.readouterr().err
        assert code == 2 and "mnemo never overwrites a keyfile" in err, f"{kind}: {err}"
        assert snapshot(victim, tmp_path / "chain") == before and link.is_symlink(), kind
        assert not os.path.lexists(tmp_path / "nowhere"), kind
        cases += 1
    tally(cases)
