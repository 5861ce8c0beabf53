"""Row 6: structural tampering is detected, and rollback is noticed through the rollback record.

Tampering with the structure of a store (cutting the log at every offset; deleting, duplicating,
reordering or splicing frames, including frames of another store opened by the same secrets and of
an older generation of the same store) must end in an `IntegrityError` naming the damaged file.
Putting back an earlier copy of HEAD, of the key-slot table or of the whole store is a valid state
of the files, which the format cannot refuse (docs/format.md, section 14): `mnemo_cli.store.seen`
keeps, outside the store, the newest state this user saw, and opening an older one warns (naming
both) without refusing; the next write accepts it. The record itself may be damaged, forged,
foreign or unwritable: it then counts as absent and no command fails. (`verify` failing on such
evidence, and writers keeping the frames beyond HEAD, are row 13: test_rollback.py.)

(tests/store/test_tampering.py covers the same attacks on a 3-record store byte by byte; this file
adds memories, a snapshot, generations, the rollback record and the CLI.)
"""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.errors import AuthenticationError, IntegrityError
from mnemo_cli.log import frames, layout
from mnemo_cli.store import records as record_codec
from mnemo_cli.store import seen
from mnemo_cli.store import store as store_module
from mnemo_cli.store.records import Record
from mnemo_cli.store.slot_strength import weak_slot_notes_at
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, frame_spans, make_store, read_all
from tests.reliability.conftest import STRESS, scaled

ROW = "6 · structural tampering is detected; rollback is warned about"
ROLLED_BACK = "this store looks rolled back to an earlier state"
KEYFILE = bytes(range(32))


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its rollback records in its own folder (tests/conftest.py does not set one)."""
    path = tmp_path / "state"
    monkeypatch.setenv("MNEMO_STATE_DIR", str(path))
    return path


def log_file(path: Path) -> Path:
    (found,) = (path / layout.LOG_DIR).glob("*.mlog")
    return found


def copy_over(source: Path, target: Path) -> None:
    """Replace the store at `target` by a copy of `source` (what restoring a backup does)."""
    shutil.rmtree(target)
    shutil.copytree(source, target)


# -- memories store: real memories, a snapshot, a copy of the whole store after every commit ---------


@dataclass
class History:
    path: Path
    keyfile: Secret
    keyfile_path: Path
    #: copies[c]: the whole store right after commit c (c = 0: just created).
    copies: list[Path]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[History]:
    root = tmp_path_factory.mktemp("history")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        mp.setenv("MNEMO_CACHE_DIR", str(model_cache))
        mp.setenv("MNEMO_STATE_DIR", str(root / "state"))
        mp.setattr(store_module, "SNAPSHOT_EVERY", 3)
        (root / "keyfile").write_bytes(KEYFILE)
        (root / "keyfile").chmod(0o600)  # a keyfile others can read is refused
        keyfile = secrets.keyfile(KEYFILE, "test keyfile")
        path = root / "store"
        Store.create(path, [secrets.passphrase(PASSPHRASE, "test"), keyfile]).close()
        copies = [root / "c0"]
        shutil.copytree(path, copies[0])
        texts = ["Dana prefers email", "The cat eats wet food", "Backups run nightly", "Ship on Fridays"]
        with Store.open(path, keyfile) as store:
            ids = []
            for text in texts:
                ids.append(store.remember(text, tags=["t"]).id)
                copies.append(root / f"c{len(copies)}")
                shutil.copytree(path, copies[-1])
            store.link(ids[0], ids[1], "about")
            copies.append(root / f"c{len(copies)}")
            shutil.copytree(path, copies[-1])
            assert store.head().commit == len(copies) - 1
        yield History(path, keyfile, root / "keyfile", copies)


@pytest.fixture
def work(history: History, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(history.path, path)
    return path


def listing(path: Path, secret: Secret) -> tuple[list[str], list[str]]:
    """(memory texts, notes) as `mnemo list` would see them."""
    with Store.open(path, secret) as store:
        return [m.text for m in store.list_memories()], list(store.notes)


# -- structural tampering ----------------------------------------------------------------------------


@pytest.mark.reliability(ROW)
def test_every_cut_of_the_log_is_an_error(tmp_path: Path, tally: Callable[[int], None]) -> None:
    fx = make_store(tmp_path / "s", scaled(6, 40), batches=3)
    path = log_file(fx.path)
    original = path.read_bytes()
    cases = 0
    for size in range(len(original)):
        path.write_bytes(original[:size])
        with pytest.raises(IntegrityError, match=path.name):
            read_all(fx.path, fx.keyfile)
        cases += 1
        if STRESS or size % 13 == 0 or size < 60:  # writers check the tail too, and repair nothing
            with Store.open(fx.path, fx.keyfile) as store, pytest.raises(IntegrityError, match=path.name):
                store._append([Record("note", {"text": "must not land"})])
            assert path.read_bytes() == original[:size]
            cases += 1
    path.write_bytes(original)
    assert read_all(fx.path, fx.keyfile) == fx.records
    tally(cases)


@pytest.mark.reliability(ROW)
def test_every_cut_of_a_log_with_memories_and_a_snapshot(
    work: Path, history: History, tally: Callable[[int], None]
) -> None:
    path = log_file(work)
    original = path.read_bytes()
    spans = frame_spans(original)
    if STRESS:
        sizes = list(range(len(original)))
    else:
        edges = {e + d for _start, end in spans for e in (_start, end) for d in (-1, 0, 1)}
        rng = random.Random(6)
        sizes = sorted({s for s in edges if 0 <= s < len(original)} | set(rng.sample(range(len(original)), 60)))
    for size in sizes:
        path.write_bytes(original[:size])
        with pytest.raises(IntegrityError, match=path.name):
            listing(work, history.keyfile)
    tally(len(sizes))


def arrangements(n: int) -> list[tuple[str, list[int]]]:
    """Every deletion, duplication and adjacent swap of n frames, plus reversal and rotation."""
    out = [(f"delete-{i}", [j for j in range(n) if j != i]) for i in range(n)]
    out += [(f"dup-{i}", [*range(i + 1), *range(i, n)]) for i in range(n)]
    out += [(f"dup-{i}-for-{i + 1}", [*range(i + 1), i, *range(i + 2, n)]) for i in range(n - 1)]
    out += [(f"swap-{i}", [*range(i), i + 1, i, *range(i + 2, n)]) for i in range(n - 1)]
    out += [("reverse", list(range(n))[::-1]), ("rotate", [*range(1, n), 0])]
    return out


@pytest.mark.reliability(ROW)
def test_deleted_duplicated_and_reordered_frames(tmp_path: Path, tally: Callable[[int], None]) -> None:
    fx = make_store(tmp_path / "s", scaled(6, 24), batches=3)
    path = log_file(fx.path)
    data = path.read_bytes()
    spans = frame_spans(data)
    cases = arrangements(len(spans))
    for _name, order in cases:
        path.write_bytes(data[: frames.HEADER_SIZE] + b"".join(data[a:b] for a, b in (spans[i] for i in order)))
        if order[: len(spans)] == list(range(len(spans))):  # a copy of the last frame after it: beyond
            assert read_all(fx.path, fx.keyfile) == fx.records  # HEAD, ignored like any uncommitted tail
            continue
        with pytest.raises(IntegrityError, match=path.name):
            read_all(fx.path, fx.keyfile)
    path.write_bytes(data)
    tally(len(cases))


@pytest.mark.reliability(ROW)
def test_frames_spliced_from_another_store_and_another_generation(tmp_path: Path, tally: Callable[[int], None]) -> None:
    # make_store gives every store the same passphrase and keyfile: only the data keys differ.
    fx = make_store(tmp_path / "s", 6, batches=3)
    other = make_store(tmp_path / "other", 6, batches=3)
    older = tmp_path / "older"
    shutil.copytree(fx.path, older)
    ours, theirs = log_file(fx.path), log_file(other.path)
    data, foreign = ours.read_bytes(), theirs.read_bytes()
    cases = 0
    for a, b in frame_spans(data):
        for c, d in frame_spans(foreign):
            ours.write_bytes(data[:a] + foreign[c:d] + data[b:])
            with pytest.raises(IntegrityError, match=ours.name):
                read_all(fx.path, fx.passphrase)
            cases += 1
    ours.write_bytes(foreign[: frames.HEADER_SIZE] + data[frames.HEADER_SIZE :])  # their header
    with pytest.raises(IntegrityError, match=ours.name):
        read_all(fx.path, fx.passphrase)
    ours.write_bytes(foreign)  # their whole log under our name
    with pytest.raises(IntegrityError, match=ours.name):
        read_all(fx.path, fx.passphrase)
    ours.write_bytes(data)
    cases += 2
    # A rewrite into a new generation (same data key): frames of the old one do not fit in it.
    with Store.open(fx.path, fx.keyfile) as store:
        bodies = [record_codec.encode(Record("note", {"text": f"new {i}"})) for i in range(3)]
        new = store.journal.write_generation(bodies, 1, store.head().commit + 1)
        store.journal.switch_to(new)
        store.journal.remove_orphans(new)
    renewed = log_file(fx.path)
    fresh = renewed.read_bytes()
    for a, b in frame_spans(data):
        for c, d in frame_spans(fresh):
            renewed.write_bytes(fresh[:c] + data[a:b] + fresh[d:])
            with pytest.raises(IntegrityError, match=renewed.name):
                list(Store.open(fx.path, fx.keyfile)._records())
            cases += 1
    tally(cases)


# -- rollback: HEAD, key-slot table, whole store -------------------------------------------------------


@pytest.mark.reliability(ROW)
def test_an_old_head_is_a_valid_prefix_the_record_warns_about(
    work: Path, history: History, state_dir: Path, tally: Callable[[int], None]
) -> None:
    current = (work / layout.HEAD).read_bytes()
    texts, notes = listing(work, history.keyfile)  # records the newest state
    assert notes == [] and len(texts) == 4
    cases = 0
    for commit, copy in enumerate(history.copies[:-1]):
        (work / layout.HEAD).write_bytes((copy / layout.HEAD).read_bytes())
        shown, notes = listing(work, history.keyfile)
        assert set(shown) <= set(texts) and len(shown) == min(commit, 4)  # a prefix: nothing foreign
        assert len(notes) == 1 and notes[0].startswith(ROLLED_BACK), notes
        assert f"it is at commit {commit} " in notes[0] and f"saw commit {len(history.copies) - 1} " in notes[0]
        cases += 1
    # Without the record (another user, or the state folder lost), the format alone cannot tell.
    shutil.rmtree(state_dir)
    assert listing(work, history.keyfile)[1] == []
    (work / layout.HEAD).write_bytes(current)
    tally(cases)


@pytest.mark.reliability(ROW)
def test_an_old_copy_of_the_whole_store_warns_until_a_write_accepts_it(
    work: Path, history: History, tally: Callable[[int], None]
) -> None:
    assert listing(work, history.keyfile)[1] == []
    cases = 0
    for commit, copy in enumerate(history.copies[:-1]):
        copy_over(copy, work)
        for _ in range(2):  # it repeats: reading accepts nothing
            notes = listing(work, history.keyfile)[1]
            assert len(notes) == 1 and notes[0].startswith(ROLLED_BACK) and f"at commit {commit} " in notes[0]
            cases += 1
    # A restore on purpose: the next write accepts it, and the warning stops.
    copy_over(history.copies[2], work)
    with Store.open(work, history.keyfile) as store:
        assert store.notes and store.notes[0].startswith(ROLLED_BACK)
        store.remember("written after the restore")
    texts, notes = listing(work, history.keyfile)
    assert notes == [] and "written after the restore" in texts
    tally(cases + 1)


@pytest.mark.reliability(ROW)
def test_a_rollback_written_over_to_the_same_commit_number(
    work: Path, history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Callable[[int], None]
) -> None:
    assert listing(work, history.keyfile)[1] == []
    copy_over(history.copies[-2], work)
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "someone-else"))  # a write this user never saw
    with Store.open(work, history.keyfile) as store:
        store.forget([store.list_memories()[0].id])
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "state"))
    notes = listing(work, history.keyfile)[1]
    assert len(notes) == 1 and notes[0].startswith("this store differs from the one seen before"), notes
    tally(1)


@pytest.mark.reliability(ROW)
def test_old_key_slot_copies(work: Path, history: History, tally: Callable[[int], None]) -> None:
    second = secrets.passphrase("a second passphrase", "test")
    with Store.open(work, history.keyfile) as store:
        slot = store.add_key_slot(second)
    saved = {name: (work / name).read_bytes() for name in layout.KEYSLOTS}
    with Store.open(work, history.keyfile) as store:
        store.remove_key_slot(slot.slot_id)
    assert listing(work, history.keyfile)[1] == []  # records the table as it is now
    # One old copy beside a current one: the newer copy is used; the removed secret stays out.
    (work / "keyslots.2").write_bytes(saved["keyslots.2"])
    assert listing(work, history.keyfile)[1] == [
        "the two key-slot copies differ (an interrupted update); using the newer"
    ]
    with pytest.raises(AuthenticationError):
        Store.open(work, second)
    # Both copies old: the removed passphrase opens the store again; the record notices.
    (work / "keyslots").write_bytes(saved["keyslots"])
    with Store.open(work, second) as store:
        assert len(store.notes) == 1 and "key-slot table looks rolled back" in store.notes[0], store.notes
    tally(3)


@pytest.mark.reliability(ROW)
def test_a_rollback_across_compaction_and_full_rekey(
    work: Path, history: History, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    before = tmp_path / "before"
    shutil.copytree(work, before)
    with Store.open(work, history.keyfile) as store:
        store.compact()
    assert listing(work, history.keyfile)[1] == []  # compact is recorded at the next open
    copy_over(before, work)
    notes = listing(work, history.keyfile)[1]
    assert len(notes) == 1 and notes[0].startswith(ROLLED_BACK)
    # A full rekey keeps the record under the new key; the old copy still opens with the old key.
    with Store.open(work, history.keyfile) as store:
        store.remember("accept the restore")
        store.rekey([secrets.keyfile(KEYFILE, "same keyfile")], recovery=False)
    assert listing(work, history.keyfile)[1] == []
    copy_over(before, work)
    notes = listing(work, history.keyfile)[1]
    assert len(notes) == 1 and "rolled back to before a full rekey" in notes[0], notes
    tally(3)


# -- the record itself ------------------------------------------------------------------------------


@pytest.mark.reliability(ROW)
def test_a_damaged_forged_or_foreign_record_counts_as_absent(
    work: Path, history: History, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    with Store.open(work, history.keyfile) as store:
        store_id = store.store_id
    record = seen.record_path(store_id, work)
    good = record.read_bytes()
    expected = listing(work, history.keyfile)[0]
    other = make_store(tmp_path / "other", 1)
    read_all(other.path, other.keyfile)
    with Store.open(other.path, other.keyfile) as store:
        foreign = seen.record_path(store.store_id, other.path).read_bytes()
    rng = random.Random(7)
    garbage = [b"", b"\0", good[:-1], good + b"\0", rng.randbytes(len(good)), bytes(len(good)), foreign]
    for offset in range(len(good)):
        for xor in (0x01, 0x40):
            flipped = bytearray(good)
            flipped[offset] ^= xor
            garbage.append(bytes(flipped))
    for data in garbage:
        record.write_bytes(data)
        texts, notes = listing(work, history.keyfile)
        assert texts == expected
        assert not any(ROLLED_BACK in note or "differs from" in note for note in notes), notes
        assert len(notes) <= 1, notes
        with Store.open(work, history.keyfile) as store:
            store._append([])  # nothing to write: the record is left as it is
        store_data = record.read_bytes()
        if notes and "before a full rekey" in notes[0]:
            assert store_data == data  # kept until a write, like a warning
        else:
            seen.decode(store_data, store_id, _data_key(work, history))  # replaced by a valid one
    # A folder in its place: unreadable and unwritable, never an error.
    record.unlink()
    record.mkdir()
    assert listing(work, history.keyfile) == (expected, [])
    tally(len(garbage) + 1)


def _data_key(path: Path, history: History) -> bytes:
    with Store.open(path, history.keyfile) as store:
        return store._data_key


@pytest.mark.reliability(ROW)
def test_an_unwritable_state_folder_never_fails_a_command(
    work: Path, history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Callable[[int], None]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MNEMO_STATE_DIR", str(blocker / "state"))
    with Store.open(work, history.keyfile) as store:
        store.remember("still works")
        assert store.notes == []
    env = {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(history.keyfile_path)}
    done = run_mnemo("list", env=env)
    assert done.returncode == 0 and done.stderr == "" and "still works" in done.stdout, done.stderr
    tally(2)


@pytest.mark.reliability(ROW)
def test_concurrent_writers_never_cause_a_false_warning(
    work: Path, history: History, tally: Callable[[int], None]
) -> None:
    """The record is read before HEAD and written after a commit: a reader racing writers never
    sees a record ahead of the HEAD it reads."""
    rounds = scaled(15, 150)
    failures: list[str] = []

    def write() -> None:
        with Store.open(work, history.keyfile) as store:
            for i in range(rounds):
                store._append([Record("link", {"src": "a" * 32, "dst": "b" * 32, "rel": str(i), "created_at": "x"})])

    writer = threading.Thread(target=write)
    writer.start()
    opened = 0
    while writer.is_alive() or opened < 5:
        with Store.open(work, history.keyfile) as store:
            failures += store.notes
        opened += 1
    writer.join()
    assert failures == []
    tally(opened)


# -- through the CLI -----------------------------------------------------------------------------------


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_rollback_warning_through_the_cli(work: Path, history: History, tally: Callable[[int], None]) -> None:
    env = {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(history.keyfile_path)}
    done = run_mnemo("list", "--json", env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    # HEAD alone put back: a warning, exit 0, the older listing.
    (work / layout.HEAD).write_bytes((history.copies[2] / layout.HEAD).read_bytes())
    done = run_mnemo("list", env=env)
    assert done.returncode == 0 and done.stderr.startswith(f"mnemo: warning: {ROLLED_BACK}"), done.stderr
    assert len(done.stderr.splitlines()) == 1
    # The whole store put back: verify fails (exit 5, row 13), a write accepts it, the warning stops.
    copy_over(history.copies[3], work)
    done = run_mnemo("verify", env=env)
    assert done.returncode == 5 and f"mnemo: error: {ROLLED_BACK}" in done.stderr, done.stderr
    assert "mnemo: hint: if you restored a backup on purpose, the next write accepts it" in done.stderr
    with Store.open(work, history.keyfile) as store:
        first, second = (m.id for m in store.list_memories()[:2])
    done = run_mnemo("link", first, second, env=env)
    assert done.returncode == 0 and f"mnemo: warning: {ROLLED_BACK}" in done.stderr, done.stderr
    done = run_mnemo("list", env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    done = run_mnemo("verify", env=env)
    weak = "".join(f"mnemo: warning: {note}\n" for note in weak_slot_notes_at(work))  # the suite's KDF
    assert done.returncode == 0 and done.stderr == weak, done.stderr
    tally(5)
