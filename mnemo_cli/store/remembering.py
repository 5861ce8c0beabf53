"""Remembering: what goes into the log as new memories and edits to them.

`remember_many` (checks, duplicates, batched embedding and commits, near-duplicate warnings),
`update`, `link`, `unlink` and `forget`, as functions of an open `Store` (whose methods delegate
here). `new_memory` turns a user's values into a `NewMemory`. Reading, lifecycle and snapshots stay
in `store.py`; rewriting the log in `generations.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mnemo_cli import documents
from mnemo_cli.errors import MemoryNotFound, UsageError
from mnemo_cli.log.journal import GenerationChanged
from mnemo_cli.memories import Link, Memory, NewMemory
from mnemo_cli.store import values, vector_blobs
from mnemo_cli.store.records import Record

if TYPE_CHECKING:
    from mnemo_cli.embed.embedder import Embedder
    from mnemo_cli.store.store import Store

#: Cosine similarity at and above which `remember` warns that a memory looks like a stored one.
#: bench/near_duplicates.py: on light rewrites vs. the nearest *different* memory of the quality
#: benchmark, 0.98 catches 43% of rewrites with 4.9% false warnings (0.95: 75% / 25%); MiniLM
#: separates the two poorly, so the warning stays rare rather than eager.
NEAR_DUPLICATE = 0.98
#: Memories embedded together, and committed together, by `remember_many`.
EMBED_BATCH = 64
COMMIT_BATCH = 256


@dataclass
class RememberReport:
    added: list[Memory] = field(default_factory=list)
    #: Ids given with items (imports) that the store already had.
    skipped: list[str] = field(default_factory=list)
    #: Live memories whose text equalled an item's: nothing new was stored for those items.
    existing: list[Memory] = field(default_factory=list)
    #: (new memory, stored memory it closely resembles, cosine), when asked to look.
    similar: list[tuple[Memory, Memory, float]] = field(default_factory=list)
    links_added: int = 0

    @property
    def memory(self) -> Memory:
        """What one `remember` names: the memory stored, or the live one that already had its text."""
        return self.existing[0] if self.existing else self.added[0]

    def warnings(self) -> list[str]:
        """What one `remember` tells the user (the command line, the agent's client and MCP alike)."""
        found = [documents.already_remembered(memory) for memory in self.existing[:1]]
        return found + [documents.looks_like(other, score) for _new, other, score in self.similar]

    def to_wire(self) -> dict[str, Any]:
        """The report as plain JSON, as the agent sends it (`from_wire` reads it back, equal)."""
        return {
            "added": [m.to_json() for m in self.added],
            "existing": [m.to_json() for m in self.existing],
            "skipped": list(self.skipped),
            "similar": [[new.to_json(), other.to_json(), score] for new, other, score in self.similar],
            "links_added": self.links_added,
        }

    @classmethod
    def from_wire(cls, document: dict[str, Any]) -> RememberReport:
        read = Memory.from_json
        return cls(
            added=[read(m) for m in document["added"]],
            skipped=list(document["skipped"]),
            existing=[read(m) for m in document["existing"]],
            similar=[(read(new), read(old), score) for new, old, score in document["similar"]],
            links_added=document["links_added"],
        )


def new_memory(
    text: str,
    *,
    tags: Iterable[str] = (),
    meta: dict[str, Any] | None = None,
    created_at: str | datetime | None = None,
    source: str | None = None,
    ttl: str | None = None,
    supersedes: str | None = None,
    session: str | None = None,
    as_options: bool = False,
) -> NewMemory:
    """A `NewMemory` from the values a user gives `remember`, every one checked (`ttl` becomes
    `expires_at`): the one validator of a new memory, for `mnemo remember`, the MCP remember tool and
    `Store.remember`, called before the store or the model is waited for. `as_options`: messages
    name the values as the command line does (`--created-at`)."""
    text = values.check_text(text)
    tags = values.check_tags(tags)
    meta = values.check_meta(meta)
    start = None
    if created_at is not None:
        start = values.parse_time(created_at, what="--created-at" if as_options else "created_at")
    expires = None
    if ttl is not None:
        span = values.parse_duration(ttl, what="--ttl")
        start = values.now_utc() if start is None else start
        try:
            expires = start + span
        except OverflowError:
            raise UsageError("--ttl puts the expiry after the year 9999") from None
        created_at = start
    return NewMemory(
        text=text,
        created_at=created_at,
        tags=tags,
        meta=meta,
        source=values.check_source(source),
        expires_at=expires,
        supersedes=supersedes,
        session=None if session is None else values.check_session(session),
    )


def remember_many(
    store: Store,
    items: Iterable[NewMemory],
    *,
    links: Iterable[Link] = (),
    progress: Callable[[int], None] | None = None,
    allow_duplicate: bool = False,
    find_similar: bool = False,
    report: RememberReport | None = None,
) -> RememberReport:
    """Store many memories: embedded in batches, committed in batches (each all or nothing).

    Every item is checked before anything is written. Items carrying an `id` the store already
    has are skipped (re-importing an export); items without one whose text equals a live
    memory's are not stored either (`report.existing`) unless `allow_duplicate`. `links` are
    committed with the last batch; their ends must exist in the store or among `items`.
    `progress(n)` is told each batch. `find_similar`: also report stored memories whose
    embedding is at least `NEAR_DUPLICATE` similar to a new one's (costs a search per item).
    `report`, when given, is filled in as batches commit: a caller interrupted midway (Ctrl-C)
    knows from it what was stored.
    """
    report = RememberReport() if report is None else report
    prepared = _prepare(store, items, report, allow_duplicate)
    link_records = _prepare_links(store, links, {m.id for m in prepared})
    state = store.state()
    gen, embedder = state.gen, store.embedder_for(state.model)
    for start in range(0, max(len(prepared), 1), COMMIT_BATCH):
        batch = prepared[start : start + COMMIT_BATCH]
        vectors = embed_batches(embedder, batch, progress)
        if find_similar:
            report.similar += _similar(store, batch, vectors)
        extra = link_records if start + COMMIT_BATCH >= len(prepared) else []
        while batch or extra:
            to_commit = [
                _remember_record(m, v, embedder.model_id, state.log_version)
                for m, v in zip(batch, vectors, strict=True)
            ]
            try:
                head = store._append(to_commit + extra, expect_gen=gen)
                break
            except GenerationChanged:  # compacted or reindexed meanwhile: vectors must match its model
                state = store.state()
                gen = state.gen
                if state.model.id != embedder.model_id:
                    embedder = store.embedder_for(state.model)
                    vectors = embed_batches(embedder, batch, None)
        report.added.extend(batch)
    report.links_added = len(link_records)
    if prepared or link_records:
        store._maybe_snapshot(head)  # once at the end, not per batch: a snapshot rewrites the index
    return report


def _prepare(store: Store, items: Iterable[NewMemory], report: RememberReport, allow_duplicate: bool) -> list[Memory]:
    state = store.state()
    catalog = state.catalog
    prepared: list[Memory] = []
    seen: set[str] = set()
    batch_texts: dict[str, Memory] = {}
    replaced: set[str] = set()
    for item in items:
        memory_id = values.check_id(item.id) if item.id is not None else values.new_id()
        if item.id is not None and (memory_id in seen or catalog.has(memory_id)):
            report.skipped.append(memory_id)
            continue
        text = values.check_text(item.text)
        supersedes = None
        if item.supersedes is not None:
            supersedes = item.supersedes if item.supersedes in seen else store.resolve(item.supersedes)
            later = catalog.superseded_by(supersedes)
            if later or supersedes in replaced:
                raise UsageError(f"memory {supersedes} was already superseded; supersede its newest version")
            replaced.add(supersedes)
        if item.id is None and supersedes is None and not allow_duplicate:
            key = state.text_key(text)
            existing = catalog.live_with_text_key(key) or batch_texts.get(key)
            if existing is not None:
                report.existing.append(existing)
                continue
        memory = Memory(
            id=memory_id,
            text=text,
            created_at=values.normalise_time(item.created_at),
            tags=values.check_tags(item.tags),
            meta=values.check_meta(item.meta),
            source=values.check_source(item.source),
            expires_at=values.normalise_time(item.expires_at, what="expires_at") if item.expires_at else None,
            supersedes=supersedes,
            session=None if item.session is None else values.check_session(item.session),
        )
        seen.add(memory_id)
        batch_texts.setdefault(state.text_key(text), memory)
        prepared.append(memory)
    return prepared


def _prepare_links(store: Store, links: Iterable[Link], new_ids: set[str]) -> list[Record]:
    records = []
    for link in links:
        catalog = store.state().catalog
        for end in (link.src, link.dst):
            if end not in new_ids and not catalog.has(end):
                raise MemoryNotFound(f"no memory {end} (a link end)")
        if link.src == link.dst:
            raise UsageError("a memory cannot link to itself")
        if catalog.relation(link.src, link.dst) == link.rel:
            continue  # already there (re-importing an export): nothing to write
        records.append(Record("link", link.to_json()))
    return records


def _similar(store: Store, batch: list[Memory], vectors: list[Any]) -> list[tuple[Memory, Memory, float]]:
    import time

    state = store.state()
    if not state.catalog.count():
        return []
    hidden = state.catalog.hidden_keys(time.time())
    found = []
    for memory, vector in zip(batch, vectors, strict=True):
        for key, score in state.vectors.exact_all(vector, 3):
            if key not in hidden and score >= NEAR_DUPLICATE:
                other = state.catalog.by_keys([key])[key]
                found.append((memory, other, score))
                break
    return found


def _remember_record(memory: Memory, vector: Any, model_id: str, log_version: int) -> Record:
    """The record of a memory for the log (of `log_version`) it is appended to."""
    fields = vector_blobs.fields(memory.to_json(), log_version)
    fields["model"] = model_id
    return Record("remember", fields, vector_blobs.encode(vector, log_version))


def link(store: Store, src: str, dst: str, rel: str = "related") -> Link:
    """Add (or retype) the directed link src → dst."""
    if not rel.strip():
        raise UsageError("the relation is empty")
    a, b = store.resolve(src), store.resolve(dst)
    link = Link(a, b, rel.strip(), values.normalise_time(None))
    records = _prepare_links(store, [link], set())
    if not records:  # the same link exists already: report it as stored
        return next(existing for existing in store.state().catalog.links_from(a) if existing.dst == b)
    store._commit(records)
    return link


def unlink(store: Store, src: str, dst: str) -> None:
    a, b = store.resolve(src), store.resolve(dst)
    pairs = store.state().catalog.stored_links(a, b)
    if not pairs:
        raise MemoryNotFound(f"no link from {a[:12]} to {b[:12]}")
    now = values.normalise_time(None)
    store._commit([Record("unlink", {"src": src_id, "dst": dst_id, "created_at": now}) for src_id, dst_id in pairs])


def forget(store: Store, refs: Iterable[str]) -> list[Memory]:
    """Forget memories, each with all its versions (hidden from everything at once; their text
    leaves the disk at `compact`)."""
    catalog = store.state().catalog
    # Every version: forgetting only the current one would make the one before it current again.
    ids = list(dict.fromkeys(i for ref in refs for i in catalog.family(store.resolve(ref))))
    forgotten = [memory for memory in (catalog.get(memory_id) for memory_id in ids) if memory is not None]
    if ids:
        now = values.normalise_time(None)
        store._commit([Record("forget", {"ids": ids[i : i + 1000], "at": now}) for i in range(0, len(ids), 1000)])
    return forgotten


def update(
    store: Store,
    ref: str,
    *,
    text: str | None = None,
    tags: Iterable[str] | None = None,
    meta: dict[str, Any] | None = None,
) -> Memory:
    """A new version of a memory (new id, now) that supersedes it: changed text, tags (replaced)
    or metadata (merged); the old version stays in `history`, hidden from recall."""
    old = store.get(ref)
    if text is None and tags is None and not meta:
        raise UsageError("nothing to update: give --text, --tag or --meta")
    item = NewMemory(
        text=old.text if text is None else text,
        tags=old.tags if tags is None else tuple(tags),
        meta={**old.meta, **(meta or {})},
        source=old.source,
        expires_at=old.expires_at,
        supersedes=old.id,
        session=old.session,
    )
    return store.remember_many([item], allow_duplicate=True).added[0]


def embed_batches(embedder: Embedder, batch: Sequence[Memory], progress: Callable[[int], None] | None) -> list[Any]:
    """The embeddings of `batch`'s texts, `EMBED_BATCH` at a time; `progress(n)` after each."""
    vectors: list[Any] = []
    for first in range(0, len(batch), EMBED_BATCH):
        chunk = batch[first : first + EMBED_BATCH]
        vectors.extend(embedder.embed_documents([m.text for m in chunk]))
        if progress is not None:
            progress(len(chunk))
    return vectors
