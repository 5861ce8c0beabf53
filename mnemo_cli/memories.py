"""What a memory is: the plain data types every layer shares (a leaf module, like `errors`).

A memory is immutable once remembered: a random 128-bit id (32 hex digits, typed as any unique
prefix), its text, when it happened (`created_at`, RFC 3339 UTC), tags, a JSON metadata object and
an optional source, and optionally the session (conversation, thread) it belongs to: memories of
a session keep the order they were remembered in (`created_at`, then key). Links are directed and
typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Memory:
    id: str
    text: str
    created_at: str
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None
    #: When the memory stops appearing in recall and list (`remember --ttl`); None: never.
    expires_at: str | None = None
    #: The id of the memory this one replaces (`remember --supersedes`, `update`).
    supersedes: str | None = None
    #: The conversation or thread this memory was remembered in (`remember --session`); None: none.
    session: str | None = None

    def to_json(self) -> dict[str, Any]:
        document = {
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at,
            "tags": list(self.tags),
            "meta": dict(self.meta),
            "source": self.source,
        }
        if self.expires_at is not None:
            document["expires_at"] = self.expires_at
        if self.supersedes is not None:
            document["supersedes"] = self.supersedes
        if self.session is not None:
            document["session"] = self.session
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Memory:
        """The inverse of `to_json`."""
        return cls(
            id=document["id"],
            text=document["text"],
            created_at=document["created_at"],
            tags=tuple(document["tags"]),
            meta=document["meta"],
            source=document["source"],
            expires_at=document.get("expires_at"),
            supersedes=document.get("supersedes"),
            session=document.get("session"),
        )


@dataclass(frozen=True)
class NewMemory:
    """A memory to be stored; `id` only when importing one that already has an id."""

    text: str
    created_at: str | datetime | None = None
    tags: Iterable[str] = ()
    meta: Mapping[str, Any] | None = None
    source: str | None = None
    id: str | None = None
    expires_at: str | datetime | None = None
    supersedes: str | None = None
    session: str | None = None


@dataclass(frozen=True)
class Link:
    src: str
    dst: str
    rel: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst, "rel": self.rel, "created_at": self.created_at}


@dataclass(frozen=True)
class Hit:
    """A recalled memory, its score (higher is better; scale per mode, see docs/cli.md) and, for a
    memory reached by following links (`--expand`), how: `{"from", "rel", "direction", "hops"}`.

    A context entry (`recall --context`) is a neighbour of a hit in its session, shown for the
    conversation around it: no score, and `via` = `{"context_of": hit id, "offset": ±n}`."""

    memory: Memory
    score: float | None
    via: Mapping[str, Any] | None = None

    @property
    def is_context(self) -> bool:
        return self.score is None and self.via is not None and "context_of" in self.via

    def to_json(self) -> dict[str, Any]:
        result = self.memory.to_json()
        result["score"] = None if self.score is None else round(self.score, 6)
        if self.via is not None:
            result["via"] = dict(self.via)
        return result
