"""Export and import: mnemo's own lossless formats, and simple JSON lines from anywhere.

Export (plaintext, only where the user asks for it):
- `jsonl`: a header line `{"type": "mnemo-export", "version": 1}`, one `{"type": "memory", ...}` line
  per memory in the order they were remembered, then one `{"type": "link", ...}` line per link;
- `json`: one object `{"type": "mnemo-export", "version": 1, "memories": [...], "links": [...]}`;
- `markdown`: for reading, not for importing.
Keys are sorted and nothing in an export depends on when it was made, so export → import into a
new store → export gives the same bytes. Embeddings are not exported: the model recomputes them.

Import reads both mnemo formats and simple lines `{"text": ..., "meta": {...}, "created_at": ...,
"tags": [...], "source": ..., "session": ...}` (only `text` required). Every line is checked before
anything is stored; a bad one fails the whole import with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mnemo_cli.errors import UsageError
from mnemo_cli.memories import Link, Memory, NewMemory
from mnemo_cli.store import values

EXPORT_TYPE = "mnemo-export"
EXPORT_VERSION = 1
FORMATS = ("jsonl", "json", "markdown")
_SIMPLE_KEYS = {"text", "meta", "created_at", "tags", "source", "session"}
_MEMORY_KEYS = {"type", "id", "text", "created_at", "tags", "meta", "source", "session"}
_LINK_KEYS = {"type", "src", "dst", "rel", "created_at"}


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def export_lines(memories: Iterable[Memory], links: Sequence[Link], fmt: str) -> Iterator[str]:
    """The export, as lines each ending in a newline."""
    if fmt == "jsonl":
        yield _dumps({"type": EXPORT_TYPE, "version": EXPORT_VERSION}) + "\n"
        for memory in memories:
            yield _dumps({"type": "memory", **memory.to_json()}) + "\n"
        for link in links:
            yield _dumps({"type": "link", **link.to_json()}) + "\n"
    elif fmt == "json":
        document = {
            "type": EXPORT_TYPE,
            "version": EXPORT_VERSION,
            "memories": [m.to_json() for m in memories],
            "links": [link.to_json() for link in links],
        }
        yield json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    elif fmt == "markdown":
        yield from _markdown(list(memories), links)
    else:
        raise UsageError(f"unknown export format {fmt!r} (choose from: {', '.join(FORMATS)})")


def _markdown(memories: list[Memory], links: Sequence[Link]) -> Iterator[str]:
    by_src: dict[str, list[Link]] = {}
    for link in links:
        by_src.setdefault(link.src, []).append(link)
    yield f"# mnemo export\n\n{len(memories)} memories, {len(links)} links.\n"
    for memory in memories:
        yield f"\n## {memory.created_at} · {memory.id}\n\n"
        if memory.tags:
            yield "Tags: " + ", ".join(memory.tags) + "\n\n"
        if memory.source:
            yield f"Source: {memory.source}\n\n"
        if memory.session is not None:
            yield f"Session: {memory.session}\n\n"
        if memory.meta:
            yield f"Meta: `{json.dumps(dict(memory.meta), ensure_ascii=False, sort_keys=True)}`\n\n"
        yield memory.text.rstrip("\n") + "\n"
        for link in by_src.get(memory.id, []):
            yield f"\n- {link.rel} → {link.dst}\n"


@dataclass
class ImportPlan:
    memories: list[NewMemory] = field(default_factory=list)
    #: (where, link): `where` names the entry in messages ("FILE:LINE" or "FILE: link N").
    links: list[tuple[str, Link]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


def parse_import(content: str, name: str) -> ImportPlan:
    """Check every entry of an import file; raise `UsageError` naming the first bad line."""
    stripped = content.lstrip()
    if stripped.startswith("{") and '"memories"' in stripped[:100_000]:
        try:
            document = json.loads(content)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, dict) and "memories" in document:
            return _parse_document(document, name)
    plan = ImportPlan()
    # Only "\n" ends a line: splitlines() would also split at U+0085, U+2028 ... which an export
    # writes unescaped inside strings (ensure_ascii=False), so such a memory would not import back.
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as e:
            raise UsageError(f"{where}: not JSON ({e.msg})") from None
        except (ValueError, RecursionError) as e:  # e.g. an integer of over 4,300 digits, deep nesting
            raise UsageError(f"{where}: not JSON ({type(e).__name__})") from None
        _add_entry(plan, entry, where)
    return plan


def _parse_document(document: dict[str, Any], name: str) -> ImportPlan:
    if document.get("type") != EXPORT_TYPE or document.get("version") != EXPORT_VERSION:
        raise UsageError(f"{name}: not a mnemo export of version {EXPORT_VERSION}")
    plan = ImportPlan()
    for key in ("memories", "links"):
        if not isinstance(document.get(key, []), list):
            raise UsageError(f"{name}: '{key}' must be a list")
    for i, entry in enumerate(document.get("memories", []), start=1):
        _add_entry(plan, {"type": "memory", **entry} if isinstance(entry, dict) else entry, f"{name}: memory {i}")
    for i, entry in enumerate(document.get("links", []), start=1):
        _add_entry(plan, {"type": "link", **entry} if isinstance(entry, dict) else entry, f"{name}: link {i}")
    return plan


def _add_entry(plan: ImportPlan, entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: expected a JSON object")
    kind = entry.get("type")
    try:
        if kind == EXPORT_TYPE:
            if entry.get("version") != EXPORT_VERSION:
                raise UsageError(f"export version {entry.get('version')!r} (this mnemo reads {EXPORT_VERSION})")
        elif kind == "memory":
            _only(entry, _MEMORY_KEYS | {"expires_at", "supersedes"})
            memory_id = values.check_id(_text(entry, "id"))
            if memory_id in plan.ids:
                raise UsageError(f"id {memory_id} appears twice in the file")
            plan.ids.add(memory_id)
            plan.memories.append(_memory(entry, memory_id=memory_id))
        elif kind == "link":
            _only(entry, _LINK_KEYS)
            link = Link(
                values.check_id(_text(entry, "src")),
                values.check_id(_text(entry, "dst")),
                _text(entry, "rel").strip(),
                values.normalise_time(_text(entry, "created_at")),
            )
            if not link.rel:
                raise UsageError("the relation is empty")
            if link.src == link.dst:
                raise UsageError("a memory cannot link to itself")
            plan.links.append((where, link))
        elif kind is None:
            _only(entry, _SIMPLE_KEYS)
            plan.memories.append(_memory(entry, memory_id=None))
        else:
            raise UsageError(f"unknown entry type {kind!r}")
    except UsageError as e:
        raise UsageError(f"{where}: {e}") from None


def _memory(entry: dict[str, Any], memory_id: str | None) -> NewMemory:
    if "text" not in entry:
        raise UsageError("'text' is missing")
    text = values.check_text(entry["text"])
    created = entry.get("created_at")
    if created is not None and not isinstance(created, str):
        raise UsageError("'created_at' must be an RFC 3339 string")
    tags = entry.get("tags", [])
    if not isinstance(tags, list):
        raise UsageError("'tags' must be a list of strings")
    source = entry.get("source")
    if source is not None and not isinstance(source, str):
        raise UsageError("'source' must be a string")
    if source is not None and not values.is_utf8(source):
        raise UsageError("'source' is not valid UTF-8 text")
    expires = entry.get("expires_at")
    if expires is not None and not isinstance(expires, str):
        raise UsageError("'expires_at' must be an RFC 3339 string")
    session = entry.get("session")
    if session is not None and not isinstance(session, str):
        raise UsageError("'session' must be a string")
    supersedes = entry.get("supersedes")
    if supersedes is not None:
        supersedes = values.check_id(supersedes) if isinstance(supersedes, str) else values.check_id(repr(supersedes))
    return NewMemory(
        text=text,
        supersedes=supersedes,
        expires_at=values.normalise_time(expires, what="expires_at") if expires is not None else None,
        created_at=values.normalise_time(created) if created is not None else None,
        tags=values.check_tags(tags),
        meta=values.check_meta(entry.get("meta")),
        source=source,
        id=memory_id,
        session=None if session is None else values.check_session(session),
    )


def _only(entry: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise UsageError(f"unknown key{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")


def _text(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise UsageError(f"'{key}' must be a non-empty string")
    if not values.is_utf8(value):
        raise UsageError(f"'{key}' is not valid UTF-8 text")
    return value
