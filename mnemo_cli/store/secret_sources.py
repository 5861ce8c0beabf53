"""Where the secret comes from, decided in one place, never from the command line (argv is public).

At most one of these may be set; with none, mnemo asks on the terminal, and without a terminal it
fails rather than hang:

| variable | holds |
| --- | --- |
| `MNEMO_KEYFILE` | path of a keyfile (32 bytes) |
| `MNEMO_PASSPHRASE_FD` | number of an open file descriptor to read the passphrase from |
| `MNEMO_PASSPHRASE_FILE` | path of a file holding the passphrase |
| `MNEMO_PASSCOMMAND` | a command (split like a shell would, not run by one) printing the passphrase |
| `MNEMO_PASSPHRASE` | the passphrase itself (weakest: visible in /proc/PID/environ) |

A passphrase read from a file, fd or command loses one trailing newline. Wherever a passphrase is
accepted, the recovery key is too.

A *new* passphrase (`key add --passphrase`, `passwd`) comes from `MNEMO_NEW_PASSPHRASE_FD`,
`MNEMO_NEW_PASSPHRASE_FILE` or `MNEMO_NEW_PASSPHRASE` (same forms), else is asked twice.
"""

from __future__ import annotations

import getpass
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.secrets import Secret
from mnemo_cli.errors import AuthenticationError, UsageError
from mnemo_cli.store.keyfiles import read_keyfile

SOURCES = (
    "MNEMO_KEYFILE",
    "MNEMO_PASSPHRASE_FD",
    "MNEMO_PASSPHRASE_FILE",
    "MNEMO_PASSCOMMAND",
    "MNEMO_PASSPHRASE",
)
PASSPHRASE_SOURCES = SOURCES[1:]
_HINT = "set one of " + ", ".join(SOURCES) + " (see docs/cli.md)"


def configured(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    found = [name for name in SOURCES if env.get(name)]
    if len(found) > 1:
        raise UsageError(f"more than one secret source is set: {', '.join(found)}; set only one")
    return found


def can_unlock(env: Mapping[str, str] | None = None) -> bool:
    """Whether `unlock_secret` has somewhere to get a secret from: a source set, or a terminal."""
    env = os.environ if env is None else env
    return any(env.get(name) for name in SOURCES) or _terminal()


def unlock_secret(env: Mapping[str, str] | None = None) -> Secret:
    """The secret to open an existing store with."""
    env = os.environ if env is None else env
    found = configured(env)
    if found:
        return _from_source(found[0], env)
    if not _terminal():
        raise AuthenticationError("no secret given and no terminal to ask on", hint=_HINT)
    return secrets.passphrase(_prompt("Passphrase for the mnemo store: "), "terminal")


def new_passphrase(env: Mapping[str, str] | None = None, *, ask: bool = True) -> Secret | None:
    """The passphrase for a new store: from a passphrase source, else asked twice on the terminal.

    None when there is no passphrase source and no terminal (or `ask` is false): the caller
    decides whether a keyfile alone is enough. `MNEMO_KEYFILE` is not a passphrase source.
    """
    env = os.environ if env is None else env
    found = configured(env)
    if found and found[0] in PASSPHRASE_SOURCES:
        secret = _from_source(found[0], env)
        if secret.kind != "passphrase":
            raise UsageError("a new store's passphrase cannot be a recovery key")
        return secret
    if not ask or not _terminal():
        return None
    first = _prompt("New passphrase for the mnemo store: ")
    if not first:
        raise UsageError("the passphrase is empty")
    if _prompt("Repeat the passphrase: ") != first:
        raise UsageError("the two passphrases differ")
    if secrets.looks_like_recovery_key(first):
        raise UsageError("a passphrase cannot start with 'mnemo-rk-' (that marks recovery keys)")
    return secrets.passphrase(first, "terminal")


NEW_PASSPHRASE_SOURCES = {
    "MNEMO_NEW_PASSPHRASE_FD": "MNEMO_PASSPHRASE_FD",
    "MNEMO_NEW_PASSPHRASE_FILE": "MNEMO_PASSPHRASE_FILE",
    "MNEMO_NEW_PASSPHRASE": "MNEMO_PASSPHRASE",
}


#: Every variable that holds a secret or says where one is: a process that outlives its command
#: (the agent) removes them from its environment once it has unlocked.
SECRET_VARIABLES = (*SOURCES, *NEW_PASSPHRASE_SOURCES)


def replacement_passphrase(env: Mapping[str, str] | None = None) -> Secret:
    """A new passphrase for an existing store (never the recovery key's form)."""
    env = os.environ if env is None else env
    found = [name for name in NEW_PASSPHRASE_SOURCES if env.get(name)]
    if len(found) > 1:
        raise UsageError(f"more than one new-passphrase source is set: {', '.join(found)}; set only one")
    if found:
        text = _passphrase_text(NEW_PASSPHRASE_SOURCES[found[0]], env[found[0]], found[0])
        source = found[0]
    elif _terminal():
        text = _prompt("New passphrase: ")
        if text and _prompt("Repeat the new passphrase: ") != text:
            raise UsageError("the two passphrases differ")
        source = "terminal"
    else:
        raise AuthenticationError(
            "no new passphrase given and no terminal to ask on",
            hint="set MNEMO_NEW_PASSPHRASE_FILE (or _FD, or MNEMO_NEW_PASSPHRASE)",
        )
    if not text:
        raise UsageError("the new passphrase is empty")
    if secrets.looks_like_recovery_key(text):
        raise UsageError("a passphrase cannot start with 'mnemo-rk-' (that marks recovery keys)")
    return secrets.passphrase(text, source)


def _from_source(name: str, env: Mapping[str, str]) -> Secret:
    if name == "MNEMO_KEYFILE":
        return read_keyfile(Path(env[name]).expanduser())
    return secrets.passphrase(_passphrase_text(name, env[name], name), name)


def _passphrase_text(kind: str, value: str, label: str) -> str:
    """The text a passphrase source holds; `kind` is one of the MNEMO_PASSPHRASE* names."""
    if kind == "MNEMO_PASSPHRASE":
        return value
    if kind == "MNEMO_PASSPHRASE_FILE":
        try:
            with open(Path(value).expanduser(), encoding="utf-8") as f:
                return _chomp(f.read())
        except OSError as e:
            raise AuthenticationError(f"cannot read {label} {value}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise AuthenticationError(f"{label} {value} is not UTF-8 text") from None
    if kind == "MNEMO_PASSPHRASE_FD":
        return _chomp(_read_fd(value))
    return _chomp(_run_passcommand(value))


def _read_fd(value: str) -> str:
    try:
        fd = int(value)
    except ValueError:
        raise UsageError(f"MNEMO_PASSPHRASE_FD must be a file descriptor number, not {value!r}") from None
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
        os.close(fd)
    except OSError as e:
        raise AuthenticationError(f"cannot read MNEMO_PASSPHRASE_FD {fd}: {e.strerror}") from None
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationError(f"MNEMO_PASSPHRASE_FD {fd} did not give UTF-8 text") from None


def _run_passcommand(command: str) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"MNEMO_PASSCOMMAND cannot be parsed: {e}") from None
    if not argv:
        raise UsageError("MNEMO_PASSCOMMAND is empty")
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120, check=False)
    except FileNotFoundError:
        raise AuthenticationError(f"MNEMO_PASSCOMMAND: command not found: {argv[0]}") from None
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AuthenticationError(f"MNEMO_PASSCOMMAND failed: {e}") from None
    if done.returncode != 0:
        raise AuthenticationError(f"MNEMO_PASSCOMMAND exited with status {done.returncode}")
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationError("MNEMO_PASSCOMMAND did not print UTF-8 text") from None


def _chomp(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _terminal() -> bool:
    return sys.stdin.isatty()


def _prompt(message: str) -> str:
    try:
        return getpass.getpass(message, stream=sys.stderr)
    except EOFError:
        raise AuthenticationError("no passphrase entered") from None
