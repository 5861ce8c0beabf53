"""Compaction: forgotten text really leaves the files, nothing live is lost, and a crash at any
point leaves a store that opens and shows the same memories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.kdf import subkey
from mnemo_cli.log import frames, layout, snapshot_file
from mnemo_cli.memories import NewMemory
from mnemo_cli.store import store as store_module
from mnemo_cli.store.store import Store
from tests.helpers import crash_at_every_point, store_files

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")
CANARY = "zebra-canary-5d1e77"


def build(path: Path) -> dict[str, str]:
    Store.create(path, [KEY]).close()
    with Store.open(path, KEY) as store:
        made = store.remember_many(
            [NewMemory(text=f"memory {i} about the garden", tags=["g"]) for i in range(6)]
            + [NewMemory(text=f"the secret is {CANARY}", tags=["secret"])]
        ).added
        store.link(made[0].id, made[1].id, "next")
        store.link(made[1].id, made[6].id, "hides")
        store.forget([made[6].id, made[5].id])
    return {m.text: m.id for m in made}


def visible(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    with Store.open(path, KEY) as store:
        memories = [(m.id, m.text) for m in store.memories()]
        links = [(link.src, link.dst, link.rel) for link in store.all_links()]
        return memories, links


def every_plaintext(path: Path) -> bytes:
    """Decrypt every frame of every log file and every snapshot in the store: what a key holder sees."""
    with Store.open(path, KEY) as store:
        data_key, store_id = store._data_key, store.store_id
    log_key = subkey(data_key, "log")
    seen = []
    for log in (path / layout.LOG_DIR).glob("*.mlog"):
        raw = log.read_bytes()
        header = frames.decode_header(raw)
        point = frames.genesis(log_key, raw)
        while point.offset < len(raw):
            body, point = frames.open_frame(log_key, header, point, raw, point.offset)
            seen.append(body)
    for snap in (path / layout.INDEX_DIR).glob("*.snap") if (path / layout.INDEX_DIR).exists() else []:
        seen.append(snapshot_file.read(snap, data_key, store_id).payload)
    return b"".join(seen)


def test_forgotten_text_leaves_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 2)  # so compaction writes a snapshot too
    path = tmp_path / "s"
    build(path)
    before = visible(path)
    assert CANARY.encode() in every_plaintext(path)
    with Store.open(path, KEY) as store:
        report = store.compact()
        assert store.stats()["last_compaction"] is not None
    assert (report.memories, report.links) == (5, 1)
    assert report.frames_after == 1 + 5 + 1
    plaintext = every_plaintext(path)
    assert CANARY.encode() not in plaintext and b"memory 3 about the garden" in plaintext
    assert list((path / layout.INDEX_DIR).glob("*.snap"))
    assert visible(path) == before
    assert len(list((path / layout.LOG_DIR).iterdir())) == 1
    for file in store_files(path):
        assert CANARY.encode() not in file.read_bytes()
    with Store.open(path, KEY) as store:
        assert store.verify().frames == report.frames_after
        assert store.recall("garden", k=10, mode="lexical")


def test_writes_after_compaction_continue_the_new_generation(tmp_path: Path) -> None:
    path = tmp_path / "s"
    build(path)
    with Store.open(path, KEY) as store:
        old = store.head().gen
        store.compact()
        store.remember("after the compaction")
        assert store.head().gen != old
    texts = [text for _, text in visible(path)[0]]
    assert texts[-1] == "after the compaction" and len(texts) == 6


def test_a_reader_holding_the_old_generation_is_not_disturbed(tmp_path: Path) -> None:
    path = tmp_path / "s"
    build(path)
    reader = Store.open(path, KEY)
    head, _header, bodies = reader.journal.read()
    first = next(bodies)
    Store.open(path, KEY).compact()
    rest = list(bodies)  # still reading the old, now deleted, log through its descriptor
    assert 1 + len(rest) == head.frames and first
    assert [text for _, text in visible(path)[0]] == [f"memory {i} about the garden" for i in range(5)]


def test_crash_at_every_point_of_compaction(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    build(pristine)
    expected = visible(pristine)

    def compact(path: Path) -> Callable[[], object]:
        store = Store.open(path, KEY)
        store.state()
        return store.compact

    for n, path in crash_at_every_point(pristine, tmp_path, compact):
        assert visible(path) == expected, n
        with Store.open(path, KEY) as after:
            after.remember("the next writer cleans up")
            assert after.verify().uncommitted_bytes == 0
        assert len(list((path / layout.LOG_DIR).iterdir())) == 1, n
        compacted = Store.open(path, KEY)
        compacted.compact()
        assert CANARY.encode() not in every_plaintext(path)
    assert n >= 8
