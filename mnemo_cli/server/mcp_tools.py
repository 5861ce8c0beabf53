"""The tools and the resource `mnemo serve` offers over MCP, without the protocol itself.

Each tool mirrors the `mnemo` command of the same name: the same options (as JSON arguments:
`tags` for the repeatable `--tag`, `meta` as an object for `--meta`/`--meta-json`), the same
checks and one-line messages, and as its result the very JSON document that command prints with
`--json` (recall also takes `format: "prompt"`). Arguments are checked against the schema each tool
publishes (jsonschema, imported at the first call), then by the command line's own checks, before a
tool waits for the model or the store, so a bad call fails at once. The operations run on a `WarmStore`, one at a
time, each on the index brought up to date with what other processes wrote.

Nothing here imports the MCP SDK: `mcp_server.py` turns `Tools.call` into `tools/call` results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mnemo_cli import documents
from mnemo_cli.documents import json_array_text, json_text
from mnemo_cli.errors import MnemoError, UsageError
from mnemo_cli.safe_text import error_lines, internal_error, warning_line
from mnemo_cli.server.warm import Revoked, WarmStore
from mnemo_cli.store import values

if TYPE_CHECKING:
    from mnemo_cli.memories import Hit
    from mnemo_cli.store.store import Store

#: How many memories the `mnemo://memories/recent` resource holds.
RECENT = 20
RECENT_URI = "mnemo://memories/recent"
RECALL_FORMATS = ("json", "prompt")

Operation = Callable[["Store"], "Reply"]


@dataclass(frozen=True)
class Rendering:
    """What the command line decides about text for people (local times), handed down so both speak alike."""

    prompt_block: Callable[[Sequence[Hit]], str]


@dataclass
class Reply:
    """A tool's answer: `text` (a JSON document, or a one-line error) and warnings for the user."""

    text: str
    is_error: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()
    writes: bool = False

    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


_STR = {"type": "string"}
_TAGS = {"type": "array", "items": _STR}
_WHEN = "RFC 3339, an age like 7d, 12h, 2w, or time words like yesterday, last week, march 2025"

TOOLS = (
    Tool(
        "remember",
        "Store one memory (embedded locally, encrypted). Returns the stored memory as JSON; when a live "
        "memory already has exactly this text, returns that one and stores nothing (unless allow_duplicate).",
        {
            "text": {**_STR, "description": "The memory."},
            "tags": {**_TAGS, "description": "Tags."},
            "meta": {"type": "object", "description": "Metadata (a JSON object)."},
            "created_at": {**_STR, "description": "When it happened, RFC 3339 (default: now, UTC)."},
            "source": {**_STR, "description": "Where it came from (free text)."},
            "ttl": {**_STR, "description": "Expire this long after created_at (30d, 12h, 2w)."},
            "supersedes": {**_STR, "description": "Id of the memory this replaces."},
            "session": {**_STR, "description": "The conversation or thread this belongs to (its turns keep order)."},
            "allow_duplicate": {"type": "boolean", "description": "Store it even if the text exists."},
        },
        ("text",),
        writes=True,
    ),
    Tool(
        "recall",
        "The memories that best answer a query, best first: a JSON array of memories with scores, or with "
        "format 'prompt' a compact block to quote in a prompt.",
        {
            "query": {**_STR, "description": "What to look for, in your own words."},
            "k": {"type": "integer", "description": "How many memories (default 5)."},
            "tags": {**_TAGS, "description": "Only memories with all these tags."},
            "since": {**_STR, "description": f"Only memories from then on: {_WHEN}."},
            "until": {**_STR, "description": "Only memories up to then (same forms as since)."},
            "mode": {"type": "string", "enum": ["hybrid", "vector", "lexical"], "description": "Default hybrid."},
            "expand": {"type": "integer", "description": "Also add memories linked to the hits, up to N links away."},
            "min_score": {"type": "number", "description": "Drop hits scoring below this."},
            "session": {**_STR, "description": "Only memories of this session."},
            "context": {
                "type": "integer",
                "description": "Also give the N memories before and after each hit in its session (0 to 20), "
                "marked as context (score null, via.context_of).",
            },
            "format": {"type": "string", "enum": list(RECALL_FORMATS), "description": "json (default) or prompt."},
            "now": {**_STR, "description": "RFC 3339: read time words in query, since and until as if it were then."},
        },
        ("query",),
    ),
    Tool(
        "link",
        "Link memory source to memory target (source → target) with a relation; linking again changes it.",
        {
            "source": {**_STR, "description": "Id (or unique prefix) of the memory the link starts from."},
            "target": {**_STR, "description": "Id (or unique prefix) of the memory it points to."},
            "rel": {**_STR, "description": "What target is to source, e.g. 'caused' (default 'related')."},
        },
        ("source", "target"),
        writes=True,
    ),
    Tool(
        "forget",
        "Forget memories by ids, or every memory matching query (all the words) and/or tags (needs yes). "
        "They disappear from recall, list and show at once.",
        {
            "ids": {**_TAGS, "description": "Ids or unique prefixes of the memories to forget."},
            "query": {**_STR, "description": "Forget every memory whose text has all these words."},
            "tags": {**_TAGS, "description": "Forget every memory with all these tags."},
            "yes": {"type": "boolean", "description": "Needed with query/tags: forget without asking."},
            "dry_run": {"type": "boolean", "description": "Only list what would be forgotten."},
        },
        writes=True,
    ),
    Tool(
        "show",
        "One memory in full, with its links both ways (or with history, every version of it).",
        {
            "id": {**_STR, "description": "The memory's id or a unique prefix (4+ hex digits)."},
            "history": {"type": "boolean", "description": "List every version of the memory, oldest first."},
        },
        ("id",),
    ),
    Tool(
        "list",
        "Memories, newest first (by when they happened), filtered like recall.",
        {
            "tags": {**_TAGS, "description": "Only memories with all these tags."},
            "since": {**_STR, "description": f"From then on: {_WHEN}."},
            "until": {**_STR, "description": "Up to then (same forms as since)."},
            "limit": {"type": "integer", "description": "At most this many."},
            "session": {**_STR, "description": "Only memories of this session."},
        },
    ),
)


class Tools:
    """The tools one server offers on one warm store (`read_only`: remember, link, forget hidden)."""

    def __init__(self, warm: WarmStore, rendering: Rendering, *, read_only: bool = False) -> None:
        self.warm = warm
        self.rendering = rendering
        self.read_only = read_only
        self._by_name = {tool.name: tool for tool in TOOLS}

    def listed(self) -> list[Tool]:
        return [tool for tool in TOOLS if not (self.read_only and tool.writes)]

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> Reply:
        """Run one tool call to its end; every failure is an error reply, never an exception."""
        try:
            operation, needs_model = self._prepare(name, dict(arguments or {}))
            answer = self.warm.run(operation, needs_model=needs_model)
        except Exception as e:
            return error_reply(e)
        notes = [warning_line(note) for note in answer.notes]
        if answer.error is not None:
            return error_reply(answer.error, notes)
        reply = answer.value
        assert reply is not None
        reply.warnings[:0] = notes
        return reply

    def recent(self) -> str:
        """The `mnemo://memories/recent` resource: `mnemo list --limit 20 --json`."""
        answer = self.warm.run(lambda store: store.list_memories(limit=RECENT), needs_model=False)
        return json_array_text(memory.to_json() for memory in answer.unwrap() or [])

    # -- one tool each ------------------------------------------------------------------------------

    def _prepare(self, name: str, arguments: dict[str, Any]) -> tuple[Operation, bool]:
        tool = self._by_name.get(name)
        if tool is None:
            raise UsageError(f"no such tool {name!r} (choose from: {', '.join(t.name for t in self.listed())})")
        if self.read_only and tool.writes:
            raise UsageError(f"{name} is not available: this server is read-only (mnemo serve --read-only)")
        _check_arguments(tool, arguments)
        prepare: Callable[[dict[str, Any]], tuple[Operation, bool]] = getattr(self, f"_{name}")
        return prepare(arguments)

    def _remember(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        from mnemo_cli.store.store import new_memory

        item = new_memory(
            a["text"],
            tags=a.get("tags", []),
            meta=a.get("meta"),
            created_at=a.get("created_at"),
            source=a.get("source"),
            ttl=a.get("ttl"),
            supersedes=a.get("supersedes"),
            session=a.get("session"),
            as_options=True,
        )

        def run(store: Store) -> Reply:
            report = store.remember_many([item], allow_duplicate=bool(a.get("allow_duplicate")), find_similar=True)
            return Reply(json_text(report.memory.to_json()), warnings=[warning_line(w) for w in report.warnings()])

        return run, True

    def _recall(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        from mnemo_cli.store.context import check_context
        from mnemo_cli.store.recall import Query

        fmt = a.get("format", "json")  # one of RECALL_FORMATS: the schema says so
        options: dict[str, Any] = {
            "k": a.get("k", 5),
            "mode": a.get("mode", "hybrid"),
            "tags": a.get("tags", []),
            "since": a.get("since"),
            "until": a.get("until"),
            "expand": a.get("expand", 0),
            "min_score": a.get("min_score"),
            "session": a.get("session"),
            "context": a.get("context", 0),
            "now": a.get("now"),
        }
        Query(a["query"], k=options["k"], mode=options["mode"], tags=options["tags"], expand=options["expand"]).check()
        now = values.parse_time(options["now"], what="now") if options["now"] is not None else None
        since, until = (
            values.parse_since(options[what], what=f"--{what}", now=now, end=what == "until")
            if options[what] is not None
            else None
            for what in ("since", "until")
        )
        values.check_range(since, until)
        check_context(options["context"])
        if options["session"] is not None:
            values.check_session(options["session"])

        def run(store: Store) -> Reply:
            hits = store.recall(a["query"], **options)
            if fmt == "prompt":
                return Reply(self.rendering.prompt_block(hits).rstrip("\n"))
            return Reply(json_array_text(hit.to_json() for hit in hits))

        return run, options["mode"] != "lexical"

    def _link(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        def run(store: Store) -> Reply:
            return Reply(json_text(store.link(a["source"], a["target"], a.get("rel", "related")).to_json()))

        return run, False

    def _forget(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        from mnemo_cli.store.forgetting import ForgetRequest

        ids, tags = tuple(a.get("ids") or ()), tuple(a.get("tags") or ())
        request = ForgetRequest(ids, a.get("query"), tags, yes=bool(a.get("yes")), dry_run=bool(a.get("dry_run")))

        def run(store: Store) -> Reply:
            chosen = store.forget_request(request)
            return Reply(json_text(documents.forgotten(chosen, dry_run=request.dry_run)))

        return run, False

    def _show(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        def run(store: Store) -> Reply:
            if a.get("history"):
                return Reply(json_text(documents.history(store.history(a["id"]))))
            memory = store.get(a["id"])
            return Reply(json_text(documents.show(memory, *store.links_of(memory.id))))

        return run, False

    def _list(self, a: dict[str, Any]) -> tuple[Operation, bool]:
        def run(store: Store) -> Reply:
            memories = store.list_memories(
                tags=a.get("tags", []),
                since=a.get("since"),
                until=a.get("until"),
                limit=a.get("limit"),
                session=a.get("session"),
            )
            return Reply(json_array_text(m.to_json() for m in memories))

        return run, False


#: How a message names each JSON type of the published schemas.
_EXPECTED = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a JSON object",
    "array": "a list of text",
}
#: Which failure a call hears about first: unknown names, then missing ones, then types, then values.
_FIRST = {"additionalProperties": 0, "required": 1, "type": 2, "enum": 3}
_validators: dict[str, Any] = {}


def _check_arguments(tool: Tool, arguments: dict[str, Any]) -> None:
    """Check `arguments` against the very schema `tools/list` publishes (`Tool.input_schema`), with
    jsonschema; the values are then checked by the same code the command line uses. A null stands
    for an argument left out."""
    for name in [name for name, value in arguments.items() if value is None and name in tool.properties]:
        del arguments[name]
    order = list(arguments)

    def rank(error: Any) -> tuple[int, int, int]:
        name = error.path[0] if error.path else None
        where = order.index(name) if name in order else len(order)
        return _FIRST.get(error.validator, 4), name != "format", where  # format is checked before mode

    errors = sorted(_validator(tool).iter_errors(arguments), key=rank)
    if errors:
        raise UsageError(_message(tool, arguments, errors[0]))


def _validator(tool: Tool) -> Any:
    """The tool's schema validator, made on its first call: jsonschema is imported then, not at start-up."""
    if tool.name not in _validators:
        from jsonschema import Draft202012Validator, validators

        # JSON Schema counts 2.0 as an integer; a count or a depth must be a whole number as typed.
        whole = Draft202012Validator.TYPE_CHECKER.redefine(
            "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
        )
        schema = tool.input_schema()
        Draft202012Validator.check_schema(schema)
        _validators[tool.name] = validators.extend(Draft202012Validator, type_checker=whole)(schema)
    return _validators[tool.name]


def _message(tool: Tool, arguments: dict[str, Any], error: Any) -> str:
    """The one line for a schema failure, naming the argument as the command line names an option."""
    if error.validator == "additionalProperties":
        name = next(name for name in arguments if name not in tool.properties)
        return f"{tool.name} takes no argument {name!r} (it takes: {', '.join(tool.properties)})"
    if error.validator == "required":
        return f"{tool.name} needs the argument {next(n for n in tool.required if n not in arguments)!r}"
    name = error.path[0]
    if error.validator == "type":
        expected = _EXPECTED[tool.properties[name]["type"]]
        return f"{tool.name}: {name} must be {expected}, not {json.dumps(arguments[name])[:40]}"
    if error.validator == "enum":
        return f"unknown {name} {arguments[name]!r} (choose from: {', '.join(error.validator_value)})"
    return f"{tool.name}: {name}: {error.message}"


def error_reply(error: Exception, warnings: list[str] | None = None) -> Reply:
    """The one line (and hint) the command line prints for `error`."""
    if isinstance(error, Revoked):
        lines = error_lines(str(error), "restart `mnemo serve` with a secret that opens the store")
    elif isinstance(error, MnemoError):
        lines = error_lines(str(error), error.hint)
    else:
        lines = error_lines(internal_error(error))
    return Reply("\n".join(lines), is_error=True, warnings=warnings or [])
