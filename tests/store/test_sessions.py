"""Sessions through `Store`: remember, list and recall with a session, `recall(context=n)`,
import and export carrying the session, and old stores (no sessions) still opening."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnemo_cli.crypto import secrets
from mnemo_cli.errors import UsageError
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.context import MAX_CONTEXT
from mnemo_cli.store.store import Store
from mnemo_cli.store.transfer import export_lines, parse_import
from tests.fixtures import make_store_memories_v1 as old_fixture

pytestmark = pytest.mark.slow
KEY = secrets.keyfile(bytes(range(32)), "test")
TURNS = [
    "Maya: I want to pick up a new hobby this spring",
    "Sam: what about pottery? the studio near you has evening classes",
    "Maya: I signed up for the Thursday pottery class",
    "Sam: great, tell me how the first lesson goes",
    "Maya: the teacher says I should wedge the clay longer",
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    Store.create(tmp_path / "s", [KEY]).close()
    return Store.open(tmp_path / "s", KEY)


@pytest.fixture
def chat(store: Store) -> Store:
    """One session of five turns (same date: their order is the order remembered), one other
    session, and a memory without a session."""
    for turn in TURNS:
        store.remember(turn, session="chat-1", created_at="2025-04-01T10:00:00Z")
    store.remember("Dana: the quarterly report is due Friday", session="chat-2", created_at="2025-04-02")
    store.remember("Pottery glazes need a second firing", created_at="2025-04-03")
    return store


def test_session_is_stored_shown_and_survives_reopening(store: Store, tmp_path: Path) -> None:
    memory = store.remember("hello", session="thread 7 ✓")
    assert memory.session == "thread 7 ✓"
    assert memory.to_json()["session"] == "thread 7 ✓"
    assert "session" not in store.remember("no session here").to_json()
    store.close()
    with Store.open(tmp_path / "s", KEY) as again:
        assert again.get(memory.id).session == "thread 7 ✓"


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ("", "the session is empty"),
        ("  ", "the session is empty"),
        ("a\nb", "control character"),
        ("x" * 257, "longer than 256 bytes"),
        ("é" * 129, "longer than 256 bytes"),
    ],
)
def test_bad_sessions_are_usage_errors(store: Store, session: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        store.remember("text", session=session)
    with pytest.raises(UsageError, match=message):
        store.recall("text", session=session)
    with pytest.raises(UsageError, match=message):
        store.list_memories(session=session)
    assert store.stats()["memories"]["live"] == 0


def test_list_and_recall_filter_by_session(chat: Store) -> None:
    listed = chat.list_memories(session="chat-1")
    assert sorted(m.text for m in listed) == sorted(TURNS)
    assert [m.text for m in chat.list_memories(session="nope")] == []
    for mode in ("hybrid", "vector", "lexical"):
        hits = chat.recall("pottery class", mode=mode, k=10, session="chat-2")
        assert all(hit.memory.session == "chat-2" for hit in hits), mode
        hits = chat.recall("pottery", mode=mode, k=10, session="chat-1")
        assert hits and all(hit.memory.session == "chat-1" for hit in hits), mode


def test_context_shows_the_turns_around_a_hit_in_order(chat: Store) -> None:
    hits = chat.recall("Thursday pottery class signed up", k=1, mode="lexical", context=1)
    assert [h.memory.text for h in hits] == TURNS[1:4]
    before, hit, after = hits
    assert hit.score is not None and not hit.is_context
    assert before.is_context and before.score is None
    assert dict(before.via or {}) == {"context_of": hit.memory.id, "offset": -1}
    assert dict(after.via or {}) == {"context_of": hit.memory.id, "offset": 1}
    assert before.to_json()["score"] is None and before.to_json()["via"]["offset"] == -1


def test_context_stops_at_the_session_edges_and_skips_sessionless_hits(chat: Store) -> None:
    hits = chat.recall("wedge the clay longer teacher", k=1, mode="lexical", context=3)
    assert [h.memory.text for h in hits] == TURNS[1:]
    hits = chat.recall("glazes second firing", k=1, mode="lexical", context=5)
    assert [h.memory.text for h in hits] == ["Pottery glazes need a second firing"]


def test_context_never_repeats_a_memory_and_keeps_hit_order(chat: Store) -> None:
    plain = chat.recall("pottery class lesson", k=3, mode="lexical")
    hits = chat.recall("pottery class lesson", k=3, mode="lexical", context=2)
    ids = [h.memory.id for h in hits]
    assert len(ids) == len(set(ids))
    assert [h.memory.id for h in hits if not h.is_context] == [h.memory.id for h in plain]


def test_context_skips_superseded_and_forgotten_turns(chat: Store) -> None:
    second = chat.list_memories(session="chat-1")
    by_text = {m.text: m for m in second}
    newer = chat.update(by_text[TURNS[1]].id, text="Sam: what about pottery? classes are on Thursdays")
    assert newer.session == "chat-1"  # an update stays in its session (but moves to its end: it is newer)
    chat.forget([by_text[TURNS[3]].id])
    hits = chat.recall("Thursday pottery class signed up", k=1, mode="lexical", context=1)
    texts = [h.memory.text for h in hits]
    assert TURNS[1] not in texts and TURNS[3] not in texts
    assert texts == [TURNS[0], TURNS[2], TURNS[4]]


@pytest.mark.parametrize("context", [-1, MAX_CONTEXT + 1])
def test_context_out_of_range_is_a_usage_error(chat: Store, context: int) -> None:
    with pytest.raises(UsageError, match="--context must be from 0 to 20"):
        chat.recall("pottery", context=context)


def test_export_and_import_carry_the_session(chat: Store, tmp_path: Path) -> None:
    lines = list(export_lines(chat.memories(), chat.all_links(), "jsonl"))
    sessions = [json.loads(line).get("session") for line in lines[1:]]
    assert sessions == ["chat-1"] * 5 + ["chat-2", None]
    plan = parse_import("".join(lines), "export.jsonl")
    Store.create(tmp_path / "copy", [KEY]).close()
    with Store.open(tmp_path / "copy", KEY) as copy:
        copy.remember_many(plan.memories)
        assert [m.session for m in copy.memories()] == sessions
        assert "".join(export_lines(copy.memories(), copy.all_links(), "jsonl")) == "".join(lines)
    markdown = "".join(export_lines(chat.memories(), [], "markdown"))
    assert "Session: chat-1" in markdown


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"text": "x", "session": 7}, "f.jsonl:2: 'session' must be a string"),
        ({"text": "x", "session": ["a"]}, "f.jsonl:2: 'session' must be a string"),
        ({"text": "x", "session": ""}, "f.jsonl:2: the session is empty"),
        ({"text": "x", "session": "a\tb"}, "f.jsonl:2: the session holds a control character"),
    ],
)
def test_bad_session_in_an_import_names_the_line(entry: dict, message: str) -> None:
    content = json.dumps({"text": "fine"}) + "\n" + json.dumps(entry) + "\n"
    with pytest.raises(UsageError, match=message):
        parse_import(content, "f.jsonl")


def test_simple_import_lines_take_a_session() -> None:
    plan = parse_import(
        json.dumps({"text": "x", "session": "s1"}) + "\n" + json.dumps({"text": "y", "session": None}), "f"
    )
    assert [m.session for m in plan.memories] == ["s1", None]
    assert plan.memories[0] == NewMemory(text="x", session="s1", tags=(), meta={})


# -- a store written before sessions existed --------------------------------------------------------


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    return old_fixture.unpack(tmp_path)


def test_a_store_from_before_sessions_opens_lists_and_recalls(old_store: Path) -> None:
    secret = secrets.passphrase(old_fixture.PASSPHRASE, "fixture")
    with Store.open(old_store, secret) as store:
        listed = store.list_memories()
        assert [m.text for m in listed] == [text for text, _, _ in reversed(old_fixture.MEMORIES)]
        assert all(m.session is None for m in listed)
        assert store.state().loaded_from == "rebuilt"  # its payload 4 snapshot is ignored, not an error
        hits = store.recall("what does Dana drink in the morning?", k=1)
        assert hits[0].memory.text == old_fixture.MEMORIES[0][0]
        assert store.recall("Alps hiking", k=1, context=2)[0].memory.tags == ("travel",)
        assert len(store.recall("Alps hiking", k=1, context=2)) == 1  # no session: no context
        assert store.links_of(listed[-1].id)[0][0].dst == listed[-2].id
        store.remember("a new turn", session="s")  # and takes new memories with sessions
    with Store.open(old_store, secret) as store:
        assert [m.session for m in store.list_memories(limit=1)] == ["s"]


def test_compaction_keeps_sessions_and_their_order(chat: Store, tmp_path: Path) -> None:
    before = chat.recall("Thursday pottery class signed up", k=1, mode="lexical", context=2)
    chat.compact()
    chat.close()
    with Store.open(tmp_path / "s", KEY) as again:
        assert again.recall("Thursday pottery class signed up", k=1, mode="lexical", context=2) == before
        assert [m.text for m in again.list_memories(session="chat-1")] == TURNS[::-1]
