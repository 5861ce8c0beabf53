"""Recall's lexical side through a `Store`: the first recall asks FTS5, later ones the in-memory
index (`store/lexical.py`), with the same answers, and the index follows remember and forget."""

from __future__ import annotations

from pathlib import Path

from mnemo_cli.crypto import secrets
from mnemo_cli.memories import NewMemory
from mnemo_cli.store.store import Store

KEY = secrets.keyfile(bytes(range(32)), "test")
TEXTS = [
    "Dana moved to Lisbon in May and loves the tram",
    "Tom's tomato seedlings are in the greenhouse",
    "the quarterly tax filing is due before August",
    "running along the river with Dana every Friday",
    "the book club reads a novel about Lisbon",
    "Tom forgot the passport renewal again",
]
QUERIES = ["Lisbon", "what did Dana say about running?", "tax filing", "tomatoes in the greenhouse", "book Lisbon"]


def answers(store: Store, query: str, mode: str, *, warm: bool) -> list[tuple[str, float | None]]:
    store.state().recalls = 1 if warm else 0
    return [(hit.memory.id, hit.score) for hit in store.recall(query, k=4, mode=mode, min_score=0)]


def test_later_recalls_answer_as_the_first_did(tmp_path: Path) -> None:
    path = tmp_path / "store"
    Store.create(path, [KEY], recovery=False).close()
    with Store.open(path, KEY) as store:
        store.remember_many([NewMemory(text=text, tags=["t"]) for text in TEXTS])
        for query in QUERIES:
            for mode in ("lexical", "hybrid"):
                cold = answers(store, query, mode, warm=False)
                assert cold and answers(store, query, mode, warm=True) == cold
        assert store.state().recalls and store.state()._lexicon is not None


def test_the_in_memory_index_follows_remember_and_forget(tmp_path: Path) -> None:
    path = tmp_path / "store"
    Store.create(path, [KEY], recovery=False).close()
    with Store.open(path, KEY) as store:
        store.remember_many([NewMemory(text=text) for text in TEXTS])
        assert answers(store, "quokka", "lexical", warm=True) == []
        quokka = store.remember("a quokka smiled at us on Rottnest Island")
        assert [id_ for id_, _ in answers(store, "quokka", "lexical", warm=True)] == [quokka.id]
        newer = store.remember("two quokkas, in fact", supersedes=quokka.id)
        assert [id_ for id_, _ in answers(store, "quokka", "lexical", warm=True)] == [newer.id]
        store.forget([newer.id])
        assert answers(store, "quokka", "lexical", warm=True) == []
        assert answers(store, "quokka", "lexical", warm=False) == []
