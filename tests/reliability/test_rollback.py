"""Row 13: after a rollback, no writer deletes authentic frames, and `verify` fails.

An earlier HEAD put back over a longer log leaves acknowledged commits beyond it, which still
authenticate. With evidence of a rollback (the rollback record saw a later commit, or the frames
beyond HEAD cannot be one unfinished commit), `verify` fails with `RolledBack` (exit 5) and every
writer (remember, forget, link, compact, rekey) refuses in one line naming `mnemo salvage`, leaving
every file as it was; `salvage` recovers the frames beyond HEAD too. Without evidence, frames
beyond HEAD are one unfinished commit and the next writer trims them as before. A backup (the same
store in another folder, older by design) is not a rollback: reading or verifying it is quiet.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.log import layout
from mnemo_cli.log.journal import RolledBack
from mnemo_cli.store import seen
from mnemo_cli.store.salvage import salvage
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, digest_tree
from tests.reliability.stub_embedder import STUB

ROW = "13 · rollback: no writer deletes authentic frames; verify fails"
ROLLED_BACK = "this store looks rolled back to an earlier state"


@dataclass
class History:
    path: Path
    keyfile: Secret
    keyfile_path: Path
    #: heads[c]: HEAD's bytes right after commit c.
    heads: list[bytes]
    texts: list[str]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    """Commits 1-4 remember one memory each, 5 links two of them, 6 forgets one, 7 remembers one."""
    root = tmp_path_factory.mktemp("rollback")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        mp.setenv("MNEMO_STATE_DIR", str(root / "state"))
        (root / "keyfile").write_bytes(bytes(range(32)))
        (root / "keyfile").chmod(0o600)  # mnemo refuses a keyfile others can read
        keyfile = secrets.keyfile(bytes(range(32)), "test keyfile")
        path = root / "store"
        Store.create(path, [secrets.passphrase(PASSPHRASE, "test"), keyfile]).close()
        heads = [(path / layout.HEAD).read_bytes()]
        texts = [f"memory {i}" for i in range(5)]
        with Store.open(path, keyfile, embedder=STUB) as store:
            ids = []
            for text in texts[:4]:
                ids.append(store.remember(text).id)
                heads.append((path / layout.HEAD).read_bytes())
            store.link(ids[0], ids[1], "about")
            heads.append((path / layout.HEAD).read_bytes())
            store.forget([ids[3]])
            heads.append((path / layout.HEAD).read_bytes())
            store.remember(texts[4])
            heads.append((path / layout.HEAD).read_bytes())
        yield History(path, keyfile, root / "keyfile", heads, [t for t in texts if t != "memory 3"])


@pytest.fixture
def work(history: History, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(history.path, path)
    with Store.open(path, history.keyfile, embedder=STUB):  # this user has seen the newest state
        pass
    return path


def put_back(path: Path, history: History, commit: int) -> None:
    (path / layout.HEAD).write_bytes(history.heads[commit])


def forget_the_record(path: Path) -> None:
    with Store.open(path, secrets.keyfile(bytes(range(32)), "k")) as store:
        store_id = store.store_id
    seen.record_path(store_id, path).unlink()


def writers(store: Store) -> dict[str, Callable[[], object]]:
    first = store.list_memories()[-1].id
    return {
        "remember": lambda: store.remember("written after the rollback"),
        "forget": lambda: store.forget([first]),
        "link": lambda: store.link(first, store.list_memories()[0].id, "x"),
        "compact": store.compact,
        "rekey": lambda: store.rekey([secrets.keyfile(bytes(range(32)), "k")], recovery=False),
    }


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize("record", ["with the rollback record", "without it"])
def test_after_an_old_head_verify_fails_and_no_writer_deletes_anything(
    record: str, work: Path, history: History, tally: Callable[[int], None]
) -> None:
    put_back(work, history, 2)  # commits 3-7 (remember, remember, link, forget, remember) lie beyond
    if record == "without it":
        forget_the_record(work)  # then only their shapes show they took several commits
    before = digest_tree(work)
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        with pytest.raises(RolledBack, match="5 authentic records lie beyond HEAD") as caught:
            store.verify()
        assert "mnemo salvage DEST" in (caught.value.hint or "")
        for name, write in writers(store).items():
            with pytest.raises(RolledBack, match="mnemo salvage DEST"):
                write()
            assert digest_tree(work) == before, name
    tally(6)


@pytest.mark.reliability(ROW)
def test_one_unfinished_commit_is_still_trimmed(work: Path, history: History, tally: Callable[[int], None]) -> None:
    put_back(work, history, 6)  # commit 7 (one remember) beyond HEAD, as a crash before HEAD leaves it
    forget_the_record(work)  # such a crash never reaches the record either
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        assert store.verify().uncommitted_bytes > 0
        store.remember("after the crash")
        assert any("trimmed" in note for note in store.notes), store.notes
        assert sorted(m.text for m in store.memories()) == sorted([*history.texts[:-1], "after the crash"])
    tally(1)


@pytest.mark.reliability(ROW)
def test_salvage_recovers_the_commits_beyond_head(
    work: Path, history: History, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    put_back(work, history, 1)
    report = salvage(work, tmp_path / "salvaged", history.keyfile)
    assert report.beyond_head == 6 and report.lost_frames == [] and report.complete, report
    with Store.open(tmp_path / "salvaged", history.keyfile) as store:
        store.verify(deep=True)
        assert sorted(m.text for m in store.memories()) == sorted(history.texts)
        assert len(store.all_links()) == 1
    tally(1)


@pytest.mark.reliability(ROW)
def test_a_backup_is_not_a_rollback_but_restoring_one_is(
    work: Path, history: History, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    backup = tmp_path / "backup"
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        store.backup(backup)
    with Store.open(backup, history.keyfile) as copy:  # seen once at its own place
        assert copy.notes == []
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        store.remember("newer than the backup")
    with Store.open(backup, history.keyfile) as copy:  # older than the store, by design
        assert copy.notes == []
        copy.verify()
    # Restored over the store: a rollback of the store's place, until a write accepts it.
    shutil.rmtree(work)
    shutil.copytree(backup, work)
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        assert store.notes and store.notes[0].startswith(ROLLED_BACK)
        with pytest.raises(RolledBack, match=ROLLED_BACK) as caught:
            store.verify()
        assert "the next write accepts it" in (caught.value.hint or "")
        store.remember("accepts the restore")
        store.verify()
    tally(3)


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_rollback_through_the_cli(work: Path, history: History, tally: Callable[[int], None]) -> None:
    env = {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(history.keyfile_path)}
    put_back(work, history, 3)
    before = digest_tree(work)
    done = run_mnemo("verify", env=env)
    assert done.returncode == 5 and f"mnemo: error: {ROLLED_BACK}" in done.stderr, done.stderr
    listed = run_mnemo("list", "--json", env=env)
    ids = [line for line in listed.stdout.split('"') if len(line) == 32]
    done = run_mnemo("link", ids[0], ids[1], env=env)
    errors = [line for line in done.stderr.splitlines() if line.startswith("mnemo: error:")]
    assert done.returncode == 5 and len(errors) == 1 and "`mnemo salvage DEST`" in errors[0], done.stderr
    assert digest_tree(work) == before
    tally(2)


@pytest.mark.reliability(ROW)
def test_an_older_generation_put_back_beside_the_newer_log_deletes_nothing(
    work: Path, history: History, tally: Callable[[int], None]
) -> None:
    """A HEAD of the generation before a compaction, put back with its log beside the newer
    generation's: every writer that takes the lock (which removes files the current generation does
    not own) must refuse before it removes the newer log."""
    old_head = (work / layout.HEAD).read_bytes()
    old_logs = {p.name: p.read_bytes() for p in (work / layout.LOG_DIR).iterdir()}
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        store.compact()
    (work / layout.HEAD).write_bytes(old_head)
    for name, data in old_logs.items():
        (work / layout.LOG_DIR / name).write_bytes(data)
    assert len(list((work / layout.LOG_DIR).iterdir())) == 2
    before = digest_tree(work)
    with Store.open(work, history.keyfile, embedder=STUB) as store:
        cases = {
            **writers(store),
            "key add": lambda: store.add_key_slot(secrets.passphrase("another one", "new")),
        }
        for name, write in cases.items():
            with pytest.raises(RolledBack, match="mnemo salvage DEST"):
                write()
            assert digest_tree(work) == before, name
    tally(len(cases))
