"""What a memory is: the plain data types every layer shares (a leaf module, like `errors`).

A memory is immutable once remembered: a random 128-bit id (32 hex digits, typed as any unique
prefix), its text, when it happened (`created_at`, RFC 3339 UTC), tags, a JSON metadata object and
an optional source. Links are directed and typed.
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
        return document


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
    memory reached by following links (`--expand`), how: `{"from", "rel", "direction", "hops"}`."""

    memory: Memory
    score: float
    via: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        result = self.memory.to_json()
        result["score"] = round(self.score, 6)
        if self.via is not None:
            result["via"] = dict(self.via)
        return result
