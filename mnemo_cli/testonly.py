"""The test suite's switches (`MNEMO_TESTONLY_*`): the only place any of them is read.

They weaken the key derivation (`MNEMO_TESTONLY_WEAKEN_KDF`), crash or fail the N-th file write
(`MNEMO_TESTONLY_FAULT_AT`, `_FAULT_ERRNO`, `_FAULT_ONCE`) or hold a model load back
(`MNEMO_TESTONLY_MODEL_GATE`). A real install must never honour them, so they work only when
*armed*: not in the one-file binary (`sys.frozen`), and only while the module
`mnemo_test_switchboard`, which exists in the test tree alone (`tests/switchboard/`), is
importable. `tests/conftest.py` puts that folder on the path of the test run and of the processes
it starts; an installed mnemo has no such module, so setting a variable alone does nothing there
but print one warning.

The module is looked for only when a switch is actually set: with none set, this costs one
environment lookup. This is a leaf module: it imports nothing of mnemo.
"""

from __future__ import annotations

import os
import sys

PREFIX = "MNEMO_TESTONLY_"
#: A module found only in the test tree; importable = the switches are armed.
SWITCHBOARD = "mnemo_test_switchboard"

_armed: bool | None = None
_warned: set[str] = set()


def armed() -> bool:
    """Whether this process honours the switches (decided once, the first time one is set)."""
    global _armed
    if _armed is None:
        _armed = not getattr(sys, "frozen", False) and _switchboard_importable()
    return _armed


def _switchboard_importable() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(SWITCHBOARD) is not None
    except (ImportError, ValueError):
        return False


def get(name: str) -> str | None:
    """The value of the switch `name` (the whole variable name) when it is set and armed; else
    None, and when it is set but not armed, a warning on stderr for every switch set (once each)."""
    if not name.startswith(PREFIX):
        raise ValueError(f"{name} is not a test switch")
    value = os.environ.get(name)
    if not value:
        return None
    if armed():
        return value
    _refuse()
    return None


def active() -> dict[str, str]:
    """Every switch set and honoured, by name (an agent and its clients must agree on them)."""
    found = {name: value for name, value in os.environ.items() if name.startswith(PREFIX) and value}
    if not found or armed():
        return found
    _refuse()
    return {}


def _refuse() -> None:
    """Warn once about each switch set: a user who set one may have set others."""
    for name in sorted(name for name, value in os.environ.items() if name.startswith(PREFIX) and value):
        if name in _warned:
            continue
        _warned.add(name)
        try:
            sys.stderr.write(f"mnemo: warning: {name} is ignored: test switches work only inside mnemo's test suite\n")
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):  # no stderr (a detached agent): nothing to tell
            pass
