"""`operation`: what makes a public `Store` method one operation, which reads the log's HEAD once.

Reading HEAD means a file read and a decryption; an operation such as `remember_many` or `verify`
consults the index state many times. Inside an operation the state is brought up to date with the
log on its first use only, so every read of one operation sees one consistent state. A commit the
operation makes (`Store._append`), or a generation that changed under it, makes the next read catch
up again. Outside any operation (a caller of `Store.state()`), every call refreshes, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store

_P = ParamSpec("_P")
_R = TypeVar("_R")


def operation(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Marks a public `Store` method (its first argument is the store) as one operation."""

    @functools.wraps(method)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        store: Store = args[0]  # type: ignore[assignment]
        if store._in_operation:  # a public method calling another: still the same operation
            return method(*args, **kwargs)
        store._in_operation, store._fresh = True, False
        try:
            return method(*args, **kwargs)
        finally:
            store._in_operation = store._fresh = False

    return run
