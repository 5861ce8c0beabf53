"""Run mnemo on a real pseudo-terminal and answer its prompts, as a person at a shell would."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

PROMPT = re.compile(rb"(?:passphrase for the mnemo store|Repeat the passphrase): ", re.IGNORECASE)


def run_with_terminal(args: list[str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run `mnemo ARGS` with stdin/stdout/stderr on a pty; type one answer per prompt seen.

    The child starts a new session, so it has no controlling terminal and getpass talks to the
    pty on stdin rather than to whatever terminal runs the test suite.
    """
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mnemo_cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    transcript = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
            # Answer each prompt once, only after it appeared: getpass flushes input typed earlier.
            prompts = len(PROMPT.findall(transcript))
            while pending and len(answers) - len(pending) < prompts:
                os.write(master, pending.pop(0).encode() + b"\n")
        elif process.poll() is not None:
            break
    code = process.wait(timeout=10)
    os.close(master)
    return code, transcript.decode(errors="replace")
