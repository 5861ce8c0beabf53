"""`mnemo reindex --model DIR|NAME`: re-embed every memory with another model, switched atomically."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store


def reindex(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="A model folder (offline), a fastembed model name (downloaded once; needs the network), "
            "or 'embedded' for the model mnemo ships.",
            metavar="DIR|NAME",
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Re-embed every memory with another embedding model and switch the store to it.

    Recall then embeds queries with that model too; vectors of two models are never mixed. The
    store records the model, so later commands load it again (a folder must stay where it is and
    unchanged; a fastembed model stays in mnemo's cache). The memories are embedded while other
    writers go on; the switch is one atomic step that also compacts the log, like `mnemo compact`.
    Interrupted, the store keeps its old model. Nothing is done if the store already uses the model.

    A folder is a sentence-transformers ONNX export: model.onnx (or onnx/model.onnx) beside
    tokenizer.json and tokenizer_config.json (docs/model.md says what else it may hold).

    Example: mnemo reindex --model ~/models/bge-small-en-v1.5 ; mnemo reindex --model embedded

    Exit codes: 0 reindexed (or nothing to do); 1 the model fails to load or run; 2 no such model
    folder or name; 3 wrong or missing secret; 4 no store; 5 integrity failure; 6 store busy; 8 I/O
    error. Commands that embed exit 5 if the store's model folder no longer holds the files it had.
    """
    from mnemo_cli.embed.model_spec import resolve
    from mnemo_cli.errors import ModelError, UsageError

    with unlocked_store() as store:
        try:
            spec = resolve(model)
        except ModelError as e:
            raise UsageError(str(e), hint=e.hint) from None
        with output.progress_bar(store.state().catalog.count(), "embedding") as advance:
            report = store.reindex(spec, progress=advance)
    spec_json = report.model.to_json()
    if json_output:
        output.emit_json(
            {
                "changed": report.changed,
                "memories": report.memories,
                "model": spec_json,
                "previous_model": report.previous.id,
                "seconds": round(report.seconds, 3),
            }
        )
        return
    where = f", {spec.location}" if spec.location else ""
    described = f"{spec.id} ({spec.kind}{where}, {spec.dimension} dimensions)"
    if not report.changed:
        output.emit_lines([f"already indexed with {described}: nothing to do"])
        return
    output.emit_lines(
        [f"reindexed {report.memories} memories with {described} in {report.seconds:.1f} s (was {report.previous.id})"]
    )
