"""Row 12: `mnemo salvage` recovers every record of a damaged store that still authenticates.

A store of 300 memories (two commits: 256 and 44) and three links is damaged in each way a disk or
a hand can damage its log: one flipped byte in the ciphertext of the first, a middle and the last
memory; in a tag (which also costs the next frame, whose chain names the lost tag); in a length
field; in the log header; in HEAD; the log cut in the middle of a frame; two frames swapped. For
each, salvage writes a new store holding exactly the records that authenticate (checked against
the damage: which frame indexes are lost), `verify --deep` passes on it, the passphrase, keyfile
and recovery key all open it, and every byte of the damaged store is unchanged (hashed before and
after). The figures (memories recovered of 300, per kind of damage) are in `FIGURES` after a run.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.errors import IntegrityError, StoreExists, UsageError
from mnemo_cli.log import frames, layout
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.salvage import salvage
from mnemo_cli.store.slot_strength import weak_slot_notes_at
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, digest_tree, frame_spans
from tests.reliability.stub_embedder import STUB

ROW = "12 · salvage: every record that still authenticates is recovered"
MEMORIES = 300
#: (src, dst) memory numbers of the three links (frames 300, 301, 302).
LINKS = [(0, 1), (150, 151), (298, 299)]
#: What each kind of damage recovered, for the report: kind -> (memories recovered, of).
FIGURES: dict[str, tuple[int, int]] = {}


@dataclass
class Big:
    path: Path
    keyfile: Secret
    keyfile_path: Path
    recovery: Secret


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Big]:
    root = tmp_path_factory.mktemp("salvage")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        mp.setenv("MNEMO_STATE_DIR", str(root / "state"))
        keyfile_path = root / "keyfile"
        keyfile_path.write_bytes(bytes(range(32)))
        keyfile_path.chmod(0o600)  # mnemo refuses a keyfile others can read
        keyfile = secrets.keyfile(bytes(range(32)), "test keyfile")
        path = root / "store"
        store = Store.create(path, [secrets.passphrase(PASSPHRASE, "test"), keyfile])
        assert store.recovery_key is not None
        recovery = secrets.passphrase(store.recovery_key, "test")
        store.close()
        with Store.open(path, keyfile, embedder=STUB) as store:
            made = store.remember_many([NewMemory(text=f"memory number {i}", tags=["t"]) for i in range(MEMORIES)])
            for a, b in LINKS:
                store.link(made.added[a].id, made.added[b].id, "next")
            assert store.head().frames == MEMORIES + len(LINKS)
        yield Big(path, keyfile, keyfile_path, recovery)


@pytest.fixture
def work(big: Big, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(big.path, path)
    return path


def log_of(path: Path) -> Path:
    (found,) = (path / layout.LOG_DIR).glob("*.mlog")
    return found


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


def frame_at(path: Path, index: int) -> tuple[int, int]:
    return frame_spans(log_of(path).read_bytes())[index]


# Each kind of damage: a function that damages the store and returns the frame indexes it loses.
def ciphertext(index: int) -> Callable[[Path], set[int]]:
    def damage(path: Path) -> set[int]:
        start, _end = frame_at(path, index)
        flip(log_of(path), start + 100)
        return {index}

    return damage


def tag_of_frame(path: Path) -> set[int]:
    _start, end = frame_at(path, 10)
    flip(log_of(path), end - 3)
    return {10, 11}  # frame 11's chain names the lost tag


def length_field(path: Path) -> set[int]:
    start, _end = frame_at(path, 100)
    flip(log_of(path), start)
    return {100}


def log_header(path: Path) -> set[int]:
    flip(log_of(path), 20)  # the store id in the log header: rebuilt from MNEMO and HEAD
    return set()


def head_file(path: Path) -> set[int]:
    flip(path / layout.HEAD, 60)
    return set()


def cut(path: Path) -> set[int]:
    start, _end = frame_at(path, 200)
    log = log_of(path)
    log.write_bytes(log.read_bytes()[: start + 50])
    return set(range(200, MEMORIES + len(LINKS)))


def swapped(path: Path) -> set[int]:
    log = log_of(path)
    data = log.read_bytes()
    (a, b), (c, d) = frame_spans(data)[50:52]
    log.write_bytes(data[:a] + data[c:d] + data[a:b] + data[d:])
    return set()  # each frame still authenticates at its own place in the chain


KINDS: dict[str, Callable[[Path], set[int]]] = {
    "flipped byte, first frame": ciphertext(0),
    "flipped byte, middle frame": ciphertext(150),
    "flipped byte, last memory": ciphertext(299),
    "flipped byte, a tag": tag_of_frame,
    "flipped byte, a length field": length_field,
    "flipped byte, log header": log_header,
    "flipped byte, HEAD": head_file,
    "log cut inside frame 200": cut,
    "two frames swapped": swapped,
}


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize("kind", list(KINDS))
def test_salvage_recovers_all_but_the_damaged_frames(
    kind: str, work: Path, big: Big, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    lost = KINDS[kind](work)
    before = digest_tree(work)
    dest = tmp_path / "salvaged"
    report = salvage(work, dest, big.keyfile)
    assert digest_tree(work) == before, "salvage changed the damaged store"
    below_head = {i for i in lost if i < MEMORIES + len(LINKS)}
    assert set(report.lost_frames) == (below_head if kind != "flipped byte, HEAD" else set()), report
    lost_memories = {i for i in lost if i < MEMORIES}
    lost_links = [link for n, link in enumerate(LINKS) if MEMORIES + n in lost]
    dropped_links = [link for link in LINKS if link not in lost_links and (set(link) & lost_memories)]
    assert len(report.dropped) == len(dropped_links), report.dropped
    assert report.memories == MEMORIES - len(lost_memories)
    assert report.links == len(LINKS) - len(lost_links) - len(dropped_links)
    assert report.complete == (not lost and kind != "flipped byte, HEAD" and not dropped_links)
    for secret in (big.keyfile, secrets.passphrase(PASSPHRASE, "test"), big.recovery):
        with Store.open(dest, secret) as store:
            assert store.notes == []
            store.verify(deep=True)
            texts = {m.text for m in store.memories()}
    assert texts == {f"memory number {i}" for i in range(MEMORIES) if i not in lost_memories}
    FIGURES[kind] = (report.memories, MEMORIES)
    tally(1)


@pytest.mark.reliability(ROW)
def test_the_damaged_store_fails_with_a_hint_and_salvage_refuses_an_existing_dest(
    work: Path, big: Big, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    ciphertext(20)(work)
    with Store.open(work, big.keyfile) as store, pytest.raises(IntegrityError) as caught:
        store.verify()
    assert "mnemo salvage DEST" in (caught.value.hint or "") and "backup" in (caught.value.hint or "")
    taken = tmp_path / "taken"
    taken.mkdir()
    with pytest.raises(StoreExists):
        salvage(work, taken, big.keyfile)
    with pytest.raises(UsageError):
        salvage(work, work / "inside", big.keyfile)
    assert list(taken.iterdir()) == [] and not (work / "inside").exists()
    tally(3)


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_salvage_through_the_cli(work: Path, big: Big, tmp_path: Path, tally: Callable[[int], None]) -> None:
    env = {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(big.keyfile_path)}
    ciphertext(5)(work)
    before = digest_tree(work)
    done = run_mnemo("verify", env=env)  # `list` is served by the snapshot, which covers frame 5
    lines = done.stderr.splitlines()
    assert done.returncode == 5 and len(lines) == 2, done.stderr
    assert (
        lines[1]
        == "mnemo: hint: copy every record that still authenticates with `mnemo salvage DEST`, or restore a backup"
    )
    dest = tmp_path / "salvaged"
    done = run_mnemo("salvage", str(dest), "--json", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["recovered"] == MEMORIES + len(LINKS) - 1 and report["lost_frames"] == [5], report
    assert report["memories"] == MEMORIES - 1 and report["complete"] is False
    again = run_mnemo("salvage", str(dest), env=env)
    assert again.returncode == 4 and again.stderr.startswith("mnemo: error:"), again.stderr
    text = run_mnemo("salvage", str(tmp_path / "second"), env=env)
    assert text.returncode == 0 and "lost: 1 frames below HEAD: 5" in text.stdout, text.stdout
    assert digest_tree(work) == before
    done = run_mnemo("verify", "--deep", env={**env, "MNEMO_HOME": str(dest)})
    weak = "".join(f"mnemo: warning: {note}\n" for note in weak_slot_notes_at(dest))  # the suite's KDF
    assert done.returncode == 0 and done.stderr == weak, done.stderr
    tally(4)


def test_a_clean_store_salvages_whole(big: Big, tmp_path: Path) -> None:
    report = salvage(big.path, tmp_path / "copy", big.keyfile)
    assert report.complete and report.recovered == MEMORIES + len(LINKS) and report.lost_stretches == []
    assert report.log_bytes > frames.HEADER_SIZE


# -- damage under a snapshot (docs/reliability.md, "Damage under a snapshot") ---------------------

CORRUPTION_ROW = "5 · single-byte corruption of every file is detected or healed, never shown"


@pytest.mark.reliability(CORRUPTION_ROW)
def test_damage_under_a_snapshot_stops_every_writer_that_reads_it(
    work: Path, big: Big, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    """rekey --full reads every frame before it writes anything (it wrote new key slots first)."""
    ciphertext(5)(work)
    before = digest_tree(work)
    with Store.open(work, big.keyfile, embedder=STUB) as store:
        for name, operation in (
            ("compact", store.compact),
            ("rekey", lambda: store.rekey([secrets.keyfile(bytes(range(32)), "k")], recovery=False)),
        ):
            with pytest.raises(IntegrityError, match="frame 5 at offset"):
                operation()
            assert digest_tree(work) == before, name
    tally(2)


@pytest.mark.reliability(CORRUPTION_ROW)
@pytest.mark.slow
def test_damage_under_a_snapshot_through_every_command(
    work: Path, big: Big, tmp_path: Path, tally: Callable[[int], None]
) -> None:
    """Frame 5 lies below the snapshot (which covers frames 0-299). Readers and appending writers
    are served by the snapshot and never read it; everything that reads every frame fails with
    exit 5 and the salvage hint, and nothing that fails has changed a byte."""
    env = {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(big.keyfile_path)}
    pristine = run_mnemo("list", "--json", "--limit", "1000", env=env)
    ciphertext(5)(work)
    before = digest_tree(work)
    outcomes = {}
    for command in (
        ["list", "--json", "--limit", "1000"],
        ["recall", "memory number 7"],
        ["verify"],
        ["verify", "--deep"],
        ["compact"],
        ["backup", str(tmp_path / "backup")],
    ):
        done = run_mnemo(*command, env=env)
        assert "Traceback" not in done.stderr, (command, done.stderr)
        outcomes[command[0] + (" --deep" if "--deep" in command else "")] = done.returncode
        if done.returncode == 5:
            assert "mnemo: hint: copy every record that still authenticates" in done.stderr, (command, done.stderr)
        if command[0] == "list":
            assert done.stdout == pristine.stdout
    assert digest_tree(work) == before
    assert outcomes == {"list": 0, "recall": 0, "verify": 5, "verify --deep": 5, "compact": 5, "backup": 5}
    assert not (tmp_path / "backup").exists()  # refused before a byte was copied, no damaged copy left
    assert not any(p.name.startswith(".backup.backup-") for p in tmp_path.iterdir())
    done = run_mnemo("remember", "written over a snapshot that hides damage", env=env)
    assert done.returncode == 0, done.stderr
    assert run_mnemo("verify", env=env).returncode == 5  # still reported: nothing hid it
    tally(len(outcomes) + 1)
