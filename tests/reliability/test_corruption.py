"""Row 5: every single-byte corruption of every file of a store with real memories and an index
snapshot is detected or healed, and never shows wrong content.

The fixture store holds memories embedded with the real model, a link, one index snapshot (the
snapshot interval is lowered so that a handful of memories makes one) and frames beyond it. For each
file and each chosen offset, one byte is XORed and the store is opened, listed, searched and
verified. Each case must end as one of:

- **detected**: an `IntegrityError` (the project's own kind, never another exception) naming the
  damaged file, on opening, reading, or at the latest from `verify` (a log frame an intact snapshot
  already covers is served from the snapshot: correct content, and `verify` reports the damage);
- **healed**: a damaged key-slot copy (the other copy is used, with a note naming it) or a damaged
  snapshot (ignored: the index is rebuilt from the log, `verify` notes it);

and whatever is shown must equal the pristine store's listing, links and recall results. Bounded
mode flips every byte of the small files and the structural bytes (headers, length fields, nonces,
tags) plus a seeded sample of the rest of the log and the snapshot, with XOR 0x01 and 0x40; stress
mode flips every byte of every file with all eight single bits. A sample goes through the real CLI
to prove the one-line errors and exit codes.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.embed.embedder import Embedder
from mnemo_cli.errors import IntegrityError, MnemoError
from mnemo_cli.log import frames, layout
from mnemo_cli.store import store as store_module
from mnemo_cli.store.store import Store
from tests.conftest import run_mnemo
from tests.helpers import PASSPHRASE, frame_spans, store_files
from tests.reliability.conftest import STRESS, scaled

ROW = "5 · single-byte corruption of every file is detected or healed, never shown"
XORS = [1 << bit for bit in range(8)] if STRESS else [0x01, 0x40]
QUERIES = ["how should I contact Dana?", "what does the cat eat"]
TEXTS = [
    "Dana prefers email over phone calls",
    "The database migration to Postgres 16 is planned for March",
    "The cat eats wet food twice a day, never fish",
    "Release notes are written in docs/changes.md before tagging",
    "Backups run nightly at 02:00 to the NAS",
    "Dana's team owns the billing service",
]
#: Offsets sampled from the middle of the log and of the snapshot in bounded mode.
SAMPLE = scaled(80, 4_000)


class CachedEmbedder(Embedder):
    """The real model, each query embedded once per session (cases repeat the same few queries)."""

    def __init__(self) -> None:
        super().__init__()
        self._queries: dict[str, Any] = {}

    def embed_query(self, text: str) -> Any:
        if text not in self._queries:
            self._queries[text] = super().embed_query(text)
        return self._queries[text]


@dataclass
class Pristine:
    path: Path
    keyfile: Secret
    keyfile_path: Path
    embedder: CachedEmbedder
    #: What an intact store shows: listing, links and recall results.
    view: dict[str, Any]


def view_of(store: Store) -> dict[str, Any]:
    return {
        "list": [m.to_json() for m in store.list_memories()],
        "links": [link.to_json() for link in store.all_links()],
        "recall": [[(h.memory.id, round(h.score, 4)) for h in store.recall(q, k=3)] for q in QUERIES],
    }


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Pristine]:
    root = tmp_path_factory.mktemp("corruption")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
        mp.setenv("MNEMO_CACHE_DIR", str(model_cache))
        mp.setenv("MNEMO_STATE_DIR", str(root / "state"))
        mp.setattr(store_module, "SNAPSHOT_EVERY", 4)
        keyfile_bytes = bytes(range(32))
        keyfile_path = root / "keyfile"
        keyfile_path.write_bytes(keyfile_bytes)
        keyfile_path.chmod(0o600)  # a keyfile others can read is refused
        keyfile = secrets.keyfile(keyfile_bytes, "test keyfile")
        embedder = CachedEmbedder()
        path = root / "store"
        Store.create(path, [secrets.passphrase(PASSPHRASE, "test"), keyfile]).close()
        with Store.open(path, keyfile, embedder=embedder) as store:
            ids = [store.remember(text, tags=["t", f"n{i}"]).id for i, text in enumerate(TEXTS[:4])]
            store.link(ids[0], ids[1], "about")
            for text in TEXTS[4:]:
                store.remember(text, tags=["t"])
        with Store.open(path, keyfile, embedder=embedder) as store:
            assert store.state().loaded_from == "snapshot" and store.state().tail_frames() == 3
            view = view_of(store)
        yield Pristine(path, keyfile, keyfile_path, embedder, view)


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def work(pristine: Pristine, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    shutil.copytree(pristine.path, path)
    return path


def offsets_of(path: Path, data: bytes, rng: random.Random) -> list[int]:
    """Every offset of a small file; else the structural bytes and a seeded sample of the rest (50
    times larger under `make stress`, where every offset of a 100 KB snapshot would take hours)."""
    if len(data) <= 1024:
        return list(range(len(data)))
    chosen: set[int] = set()
    if path.suffix == ".mlog":
        chosen.update(range(frames.HEADER_SIZE))
        for start, end in frame_spans(data):
            chosen.update(range(start, min(start + 32, end)))  # length field, nonce, first ciphertext bytes
            chosen.update(range(max(start, end - 20), end))  # last ciphertext bytes and the tag
    else:  # snapshot: header, nonce, start of the ciphertext, tag
        chosen.update(range(48))
        chosen.update(range(len(data) - 32, len(data)))
    rest = [i for i in range(len(data)) if i not in chosen]
    chosen.update(rng.sample(rest, min(SAMPLE, len(rest))))
    return sorted(chosen)


def check_case(store_path: Path, damaged: Path, pristine: Pristine) -> str:
    """Open, list, search and verify the damaged store; return "detected" or "healed", or fail."""
    name = damaged.name
    try:
        with Store.open(store_path, pristine.keyfile, embedder=pristine.embedder) as store:
            shown = view_of(store)
            # Whatever is shown is the pristine store's content, whichever way it was obtained.
            assert shown == pristine.view, (name, "wrong content shown")
            loaded_from = store.state().loaded_from
            notes = list(store.notes)
            # verify re-reads everything: needed where a read can be served around the damage
            report = store.verify() if not is_small(damaged) else None
    except IntegrityError as e:
        assert name in str(e), (name, str(e))
        return "detected"
    if name in layout.KEYSLOTS:
        assert any(name in note for note in notes), (name, notes)
        return "healed"
    assert report is not None, (name, "opened without a note")
    if damaged.suffix == ".snap":
        assert loaded_from == "rebuilt", name
        assert any("unusable" in note for note in report.notes), (name, report.notes)
        return "healed"
    raise AssertionError(f"damage to {name} was neither detected nor healed (notes: {[*notes, *report.notes]})")


def flip_every_chosen_byte(
    work: Path, pristine: Pristine, names: Callable[[Path], bool], seed: int
) -> tuple[dict[str, int], int]:
    outcomes = {"detected": 0, "healed": 0}
    rng = random.Random(seed)
    for path in store_files(work):
        if not names(path):
            continue
        original = path.read_bytes()
        for offset in offsets_of(path, original, rng):
            for xor in XORS:
                damaged = bytearray(original)
                damaged[offset] ^= xor
                path.write_bytes(bytes(damaged))
                try:
                    outcomes[check_case(work, path, pristine)] += 1
                except MnemoError as e:  # another kind than IntegrityError: wrong classification
                    raise AssertionError(f"{path.name} @{offset} ^{xor:#x}: {type(e).__name__}: {e}") from None
                except AssertionError as e:
                    raise AssertionError(f"{path.name} @{offset} ^{xor:#x}: {e}") from None
                finally:
                    path.write_bytes(original)
    return outcomes, sum(outcomes.values())


def is_small(path: Path) -> bool:
    return path.parent.name not in (layout.LOG_DIR, layout.INDEX_DIR)


@pytest.mark.reliability(ROW)
def test_every_byte_of_header_head_and_keyslot_copies(
    work: Path, pristine: Pristine, tally: Callable[[int], None]
) -> None:
    outcomes, cases = flip_every_chosen_byte(work, pristine, is_small, seed=5)
    tally(cases)
    # MNEMO and HEAD flips are errors; each key-slot copy heals from the other one.
    assert outcomes["detected"] >= 2 * (64 + 120) and outcomes["healed"] >= 2 * 2 * 396, outcomes
    with Store.open(work, pristine.keyfile, embedder=pristine.embedder) as store:
        assert view_of(store) == pristine.view and not store.notes


@pytest.mark.reliability(ROW)
def test_log_and_snapshot_bytes(work: Path, pristine: Pristine, tally: Callable[[int], None]) -> None:
    outcomes, cases = flip_every_chosen_byte(work, pristine, lambda p: not is_small(p), seed=6)
    tally(cases)
    assert outcomes["detected"] > 0 and outcomes["healed"] > 0, outcomes
    with Store.open(work, pristine.keyfile, embedder=pristine.embedder) as store:
        assert view_of(store) == pristine.view and store.state().loaded_from == "snapshot"


def cli_env(work: Path, pristine: Pristine) -> dict[str, str]:
    return {"MNEMO_HOME": str(work), "MNEMO_KEYFILE": str(pristine.keyfile_path)}


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_a_sample_through_the_cli(work: Path, pristine: Pristine, tally: Callable[[int], None]) -> None:
    """One flipped byte per kind of place, through `mnemo list` and `mnemo verify`: a one-line error
    naming the file with exit code 5, or the pristine listing (with a warning where one is due)."""
    env = cli_env(work, pristine)
    expected = run_mnemo("list", "--json", env=env)
    assert expected.returncode == 0, expected.stderr
    log = next((work / layout.LOG_DIR).iterdir())
    snap = next((work / layout.INDEX_DIR).iterdir())
    spans = frame_spans(log.read_bytes())
    # (file, offset, list fails?, verify fails?)
    cases = [
        (work / layout.HEADER, 20, True, True),
        (work / layout.HEAD, 60, True, True),
        (log, 10, True, True),  # the log header
        (log, spans[-1][0] + 100, True, True),  # a frame after the snapshot
        (log, spans[0][0] + 100, False, True),  # a frame the snapshot covers: served, then caught
        (work / "keyslots", 100, False, False),  # the other copy serves
        (snap, 500, False, False),  # ignored, rebuilt from the log
    ]
    for path, offset, list_fails, verify_fails in cases:
        original = path.read_bytes()
        damaged = bytearray(original)
        damaged[offset] ^= 0x40
        path.write_bytes(bytes(damaged))
        try:
            for command, fails in ((["list", "--json"], list_fails), (["verify"], verify_fails)):
                done = run_mnemo(*command, env=env)
                what = (path.name, offset, command, done.returncode, done.stderr)
                assert "Traceback" not in done.stderr, what
                if fails:
                    lines = done.stderr.strip().splitlines()
                    assert done.returncode == 5 and path.name in lines[0], what
                    assert lines[0].startswith("mnemo: error:") and len(lines) <= 2, what  # message (+ hint)
                    assert done.stdout == "", what
                    continue
                assert done.returncode == 0, what
                if command[0] == "list":
                    assert done.stdout == expected.stdout, what
                if path.name in layout.KEYSLOTS:
                    assert f"mnemo: warning: {path.name}" in done.stderr, what
                if path.suffix == ".snap" and command[0] == "verify":
                    assert "mnemo: warning: index snapshot" in done.stderr, what
        finally:
            path.write_bytes(original)
    tally(len(cases) * 2)
