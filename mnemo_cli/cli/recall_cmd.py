"""`mnemo recall`: the memories that best answer a query, for people, scripts and LLM prompts."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mnemo_cli.cli import _delegate, output, render
from mnemo_cli.cli._common import unlocked_store

FORMATS = ("text", "json", "jsonl", "prompt")


def recall(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("-k", help="How many memories.")] = 5,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Only memories with this tag (repeatable: all of them).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only memories from then on: RFC 3339, an age like 7d, 12h, 2w, or time words "
            "(yesterday, last week, monday, march 2025: from the start of that time).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only memories up to then (same forms as --since; time words: to their end)."),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="hybrid (meaning and words), vector (meaning) or lexical (words).")
    ] = "hybrid",
    expand: Annotated[
        int, typer.Option("--expand", help="Also add memories linked to the hits, up to N links away.")
    ] = 0,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            help="Drop hits scoring below this (scale per mode: docs/cli.md). Hybrid: default 0.2, 0 shows all.",
        ),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Only memories of this session.", metavar="ID")
    ] = None,
    context: Annotated[
        int,
        typer.Option(
            "--context", "-C", help="Also show the N memories before and after each hit in its session (0 to 20)."
        ),
    ] = 0,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, json (one array), jsonl (a line per hit) or prompt.")
    ] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Short for --format json.")] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Read time words as if it were then (RFC 3339), for scripts and tests."),
    ] = None,
) -> None:
    """Recall the memories that best answer QUERY, best first.

    Hybrid recall scores each memory's relevance from its meaning (vectors) and the query's words it
    holds (words, tags and dates), and shows nothing below a relevance floor: a question about
    something never remembered prints nothing. Time words in QUERY ("last week", "in March", "since
    Monday") prefer memories from then, in your time zone; --since/--until filter. --format prompt
    prints a compact block to paste into an LLM prompt. No hits: empty output (or []) and exit 0.

    --context N adds, around each hit, the N memories before and after it in its session (marked
    as context, like grep -C), so an LLM reads the whole conversation turn.

    Example: mnemo recall "what does Dana prefer?" --format prompt | llm "Draft a reply to Dana"

    Exit codes: 0 done (even with no hits); 2 bad option; 3 wrong or missing secret; 4 no store; 5
    integrity failure; 6 store busy; 8 I/O error.
    """
    from mnemo_cli.errors import UsageError

    fmt = "json" if json_output else fmt
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    from mnemo_cli.store import values
    from mnemo_cli.store.context import check_context

    check_context(context)  # before asking for the secret, like the session
    if session is not None:
        values.check_session(session)
    options: dict[str, Any] = dict(
        k=k,
        mode=mode,
        tags=tag or [],
        since=since,
        until=until,
        expand=expand,
        min_score=min_score,
        session=session,
        context=context,
        now=now,
    )
    hits = _delegate.recall(query, options)  # None: no agent runs for the store
    if hits is None:
        with unlocked_store(preload_model=mode != "lexical") as store:
            hits = store.recall(query, **options)
    if fmt == "json":
        render.json_array([hit.to_json() for hit in hits])
    elif fmt == "jsonl":
        render.json_lines([hit.to_json() for hit in hits])
    elif fmt == "prompt":
        output.emit_lines([render.prompt_block(hits).rstrip("\n")] if hits else [])
    elif output.stdout_is_terminal() and hits:
        render.table(
            [h.memory for h in hits], [h.score for h in hits], [h.via for h in hits], [h.is_context for h in hits]
        )
    elif context:
        output.emit_lines(render.context_lines(hits))
    else:
        output.emit_lines([render.memory_line(h.memory, h.score, h.via) for h in hits])
