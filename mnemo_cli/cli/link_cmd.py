"""`mnemo link` and `mnemo unlink`: directed, typed edges between memories."""

from __future__ import annotations

from typing import Annotated

import typer

from mnemo_cli.cli import output
from mnemo_cli.cli._common import unlocked_store
from mnemo_cli.cli.render import SHORT_ID


def link(
    source: Annotated[str, typer.Argument(metavar="A", help="The memory the link starts from (id or unique prefix).")],
    target: Annotated[str, typer.Argument(metavar="B", help="The memory it points to.")],
    rel: Annotated[str, typer.Option("--rel", help="What B is to A, e.g. 'caused', 'see-also'.")] = "related",
    json_output: Annotated[bool, typer.Option("--json", help="Print the link as JSON.")] = False,
) -> None:
    """Link memory A to memory B (A → B), with a relation. Linking again changes the relation.

    Example: mnemo link 3f2a 9c1b --rel "follow-up"

    Exit codes: 0 linked; 2 ambiguous id prefix (candidates listed) or A = B; 3 wrong or missing
    secret; 4 no store; 5 integrity failure; 6 store busy; 7 no such memory; 8 I/O error.
    """
    with unlocked_store() as store:
        made = store.link(source, target, rel)
    if json_output:
        output.emit_json(made.to_json())
    else:
        output.emit_lines([f"{made.src[:SHORT_ID]} → {made.dst[:SHORT_ID]} ({made.rel})"])


def unlink(
    source: Annotated[str, typer.Argument(metavar="A", help="The memory the link starts from.")],
    target: Annotated[str, typer.Argument(metavar="B", help="The memory it points to.")],
) -> None:
    """Remove the link A → B.

    Example: mnemo unlink 3f2a 9c1b

    Exit codes: 0 removed; 2 ambiguous id prefix; 3 wrong or missing secret; 4 no store; 5 integrity
    failure; 6 store busy; 7 no such memory, or no such link; 8 I/O error.
    """
    with unlocked_store() as store:
        store.unlink(source, target)
