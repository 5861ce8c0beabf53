"""Item 9 · secrets: no secret on the command line, no plaintext on disk, no core dumps, tight modes.

- No option of any command takes a secret as its value (`key add --passphrase` is a flag), and a
  running `mnemo` that read its passphrase from MNEMO_PASSPHRASE_FD or _FILE shows it neither in
  /proc/PID/cmdline nor in /proc/PID/environ, and has closed the descriptor.
- Plaintext never on disk: 50 random canaries (5 remembered, 45 imported from stdin), the
  passphrases, recovery keys, keyfile bytes, data keys (old and after `rekey --full`) and one
  canary's embedding (float32 and float16) appear in no file under the store, the backup, TMPDIR
  or the cache dir, raw, UTF-16-LE, hex or base64, after each of remember, recall, export to
  stdout, import, forget, compact, backup, rekey --full, reindex and verify --deep (real CLI).
- Core dumps are off in a running mnemo (RLIMIT_CORE 0 in /proc/PID/limits).
- Under umask 000, every folder is 0700 and every file (keyfiles and exports too) 0600.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import resource
import secrets as pysecrets
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import typer

from mnemo_cli.crypto import secrets
from mnemo_cli.crypto.kdf import SUBKEY_PURPOSES, subkey
from mnemo_cli.store.records import Record
from mnemo_cli.store.store import Store
from tests.conftest import REPO, run_mnemo
from tests.embed.tiny_model import build_tiny_model

ROW = "9 · secrets: not in argv, not on disk, no core dumps, modes 0700/0600"
_RECOVERY = re.compile(r"mnemo-rk-[A-Z2-7-]+")


# --- no secret in argv ---------------------------------------------------------------------------


def _all_options() -> Iterator[tuple[str, str, bool]]:
    """(command, option, is_flag) for every option of every command."""
    from mnemo_cli.cli.app import app

    def walk(command: object, path: str) -> Iterator[tuple[str, str, bool]]:
        if hasattr(command, "list_commands"):  # a group (the root builds its commands on demand)
            for name in command.list_commands(None):  # type: ignore[attr-defined]
                yield from walk(command.get_command(None, name), f"{path} {name}".strip())  # type: ignore[attr-defined]
            return
        for param in getattr(command, "params", []):
            for opt in param.opts:
                if opt.startswith("-"):
                    yield path, opt, bool(getattr(param, "is_flag", False))

    yield from walk(typer.main.get_command(app), "")


@pytest.mark.reliability(ROW)
def test_no_option_takes_a_secret_as_its_value(tally: Callable[[int], None]) -> None:
    options = list(_all_options())
    assert len(options) > 40
    secretish = re.compile(r"pass|secret|password|recovery|token|(^--key$)", re.IGNORECASE)
    for command, option, is_flag in options:
        if secretish.search(option):
            assert is_flag, f"mnemo {command} {option} takes a value: a secret in argv is public"
    # --keyfile takes a PATH where a new keyfile is written, never the key itself.
    keyfile_options = {(c, o) for c, o, flag in options if o == "--keyfile" and not flag}
    assert keyfile_options == {("init", "--keyfile"), ("rekey", "--keyfile"), ("key add", "--keyfile")}
    tally(len(options))


def _proc(pid: int, name: str) -> bytes:
    return Path(f"/proc/{pid}/{name}").read_bytes()


@contextmanager
def _exclusive_lock(store: Path) -> Iterator[None]:
    fd = os.open(store / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _raise_core_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


@contextmanager
def _blocked_mnemo(
    store: Path, env: dict[str, str], pass_fds: tuple[int, ...] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    """A `mnemo remember` that has read its secret and waits for the store lock the test holds;
    started with RLIMIT_CORE raised to its hard limit, so lowering it is mnemo's doing."""
    with _exclusive_lock(store):
        process = subprocess.Popen(
            [sys.executable, "-m", "mnemo_cli", "remember", "blocked memory"],
            env={**os.environ, **env, "MNEMO_LOCK_WAIT": "60"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=pass_fds,
            preexec_fn=_raise_core_limit,
        )
        deadline = time.monotonic() + 60
        # It waits for the lock once it has opened the lock file (after reading the secret).
        while time.monotonic() < deadline and process.poll() is None:
            fds = Path(f"/proc/{process.pid}/fd")
            with contextlib.suppress(OSError):
                if any(os.readlink(p).endswith("/lock") for p in fds.iterdir()):
                    break
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()
        yield process
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = Path(os.environ["MNEMO_HOME"])
    Store.create(path, [secrets.passphrase(PASSPHRASE_TEXT, "test")]).close()
    return path


PASSPHRASE_TEXT = "pp-" + pysecrets.token_hex(12)


@pytest.mark.reliability(ROW)
@pytest.mark.slow
@pytest.mark.parametrize("source", ["MNEMO_PASSPHRASE_FD", "MNEMO_PASSPHRASE_FILE"])
def test_a_running_mnemo_shows_no_passphrase(
    tally: Callable[[int], None], store: Path, tmp_path: Path, source: str
) -> None:
    needle = PASSPHRASE_TEXT.encode()
    fds: tuple[int, ...] = ()
    if source == "MNEMO_PASSPHRASE_FD":
        read_end, write_end = os.pipe()
        os.write(write_end, needle + b"\n")
        os.close(write_end)
        env, fds = {source: str(read_end)}, (read_end,)
    else:
        secret_file = tmp_path / "pass"
        secret_file.write_bytes(needle + b"\n")
        env = {source: str(secret_file)}
    try:
        with _blocked_mnemo(store, env, fds) as process:
            assert needle not in _proc(process.pid, "cmdline")
            assert needle not in _proc(process.pid, "environ")
            if fds:  # the descriptor was read to the end and closed
                assert not Path(f"/proc/{process.pid}/fd/{fds[0]}").exists()
    finally:
        for fd in fds:
            os.close(fd)
    tally(1)


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_core_dumps_are_disabled_in_a_running_mnemo(tally: Callable[[int], None], store: Path, tmp_path: Path) -> None:
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        pytest.skip("the hard core limit is already 0 here: nothing to prove")
    secret_file = tmp_path / "pass"
    secret_file.write_text(PASSPHRASE_TEXT)
    tally(1)
    with _blocked_mnemo(store, {"MNEMO_PASSPHRASE_FILE": str(secret_file)}) as process:
        limits = _proc(process.pid, "limits").decode()
    line = next(row for row in limits.splitlines() if row.startswith("Max core file size"))
    assert line.split()[4:6] == ["0", "0"], line  # soft and hard: a crash writes no core file


# --- no plaintext on disk ------------------------------------------------------------------------


def _forms(secret: bytes) -> set[bytes]:
    """The byte strings that would betray `secret`: raw, UTF-16-LE, hex and base64 (any alignment)."""
    forms = {secret, secret.hex().encode(), secret.hex().upper().encode()}
    with contextlib.suppress(UnicodeDecodeError):
        forms.add(secret.decode("utf-8").encode("utf-16-le"))
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + secret)
            start, end = 4 * -(-shift // 3), 4 * ((shift + len(secret)) // 3)
            forms.add(encoded[start:end])
    return {form for form in forms if len(form) >= 8}


class Needles:
    """Every secret and plaintext the scenario must never leave on disk, by name."""

    def __init__(self) -> None:
        self.named: dict[str, bytes] = {}

    def add(self, name: str, value: bytes) -> None:
        self.named[name] = value

    def scan(self, roots: list[Path], step: str) -> int:
        forms = [(name, form) for name, value in self.named.items() for form in _forms(value)]
        found = []
        files = 0
        for root in roots:
            for path in root.rglob("*"):
                if path.is_symlink() or not path.is_file():
                    continue  # the cache links to the model files in the package
                files += 1
                data = path.read_bytes()
                found += [f"{name} in {path}" for name, form in forms if form in data]
        assert not found, f"after {step}: {sorted(set(found))[:10]}"
        return files


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_no_plaintext_on_disk_through_a_whole_session(
    tally: Callable[[int], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, backup, tmpdir, cache, private = (tmp_path / n for n in ("store", "backup", "tmp", "cache", "private"))
    for folder in (tmpdir, cache, private):
        folder.mkdir()
    roots = [home, backup, tmpdir, cache]
    needles = Needles()
    passphrase = "pass-" + pysecrets.token_hex(16)
    (private / "pass").write_text(passphrase + "\n")
    needles.add("passphrase", passphrase.encode())
    env = {
        "MNEMO_HOME": str(home),
        "MNEMO_CACHE_DIR": str(cache),
        "TMPDIR": str(tmpdir),
        "MNEMO_PASSPHRASE_FILE": str(private / "pass"),
    }
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(cache))
    canaries = [f"canary{i:02d}x{pysecrets.token_hex(10)}" for i in range(50)]
    for i, canary in enumerate(canaries):
        needles.add(f"canary {i}", canary.encode())
    steps = 0

    def mnemo(*args: str, stdin: str | None = None, extra: dict[str, str] | None = None) -> str:
        nonlocal steps
        done = run_mnemo(*args, env={**env, **(extra or {})}, input=stdin)
        assert done.returncode == 0, (args, done.stderr)
        steps += 1
        return done.stdout

    def store_keys(secret: secrets.Secret, label: str) -> None:
        with Store.open(home, secret) as opened:
            data_key = opened._data_key
        needles.add(f"data key {label}", data_key)
        for purpose in SUBKEY_PURPOSES:
            needles.add(f"{purpose} subkey {label}", subkey(data_key, purpose))

    # init, with a keyfile kept outside every scanned folder
    created = mnemo("init", "--keyfile", str(private / "key"))
    recovery = _RECOVERY.search(created)
    assert recovery is not None
    needles.add("recovery key", recovery.group(0).encode())
    needles.add("recovery key bytes", secrets.parse_recovery_key(recovery.group(0)))
    keyfile_bytes = (private / "key").read_bytes()
    needles.add("keyfile", keyfile_bytes)
    store_keys(secrets.keyfile(keyfile_bytes, "test"), "1")
    needles.scan(roots, "init")

    for canary in canaries[:5]:
        mnemo("remember", canary, "--tag", "t" + canary[-6:])
    needles.scan(roots, "remember")
    # the embedding actually stored for canary 0, from the decrypted log
    with Store.open(home, secrets.keyfile(keyfile_bytes, "test")) as opened:
        blob = next(r.blob for r in opened._records() if isinstance(r, Record) and r.fields.get("text") == canaries[0])
    assert len(blob) == 2 * 384  # float16 in a log of version 2
    needles.add("embedding f16", blob)
    needles.add("embedding f32", np.frombuffer(blob, "<f2").astype("<f4").tobytes())

    found = mnemo("recall", canaries[0], "--json")
    assert canaries[0] in found
    needles.scan(roots, "recall")
    lines = "".join(json.dumps({"text": c, "meta": {"k": c[-8:]}}) + "\n" for c in canaries[5:])
    mnemo("import", "-", stdin=lines)
    needles.scan(roots, "import")
    exported = mnemo("export")
    assert all(c in exported for c in canaries)
    needles.scan(roots, "export to stdout")
    forgotten = json.loads(mnemo("recall", canaries[1], "-k", "1", "--json"))
    memory_id = (forgotten[0] if isinstance(forgotten, list) else forgotten["hits"][0])["id"]
    mnemo("forget", memory_id)
    needles.scan(roots, "forget")
    mnemo("compact")
    needles.scan(roots, "compact")
    mnemo("backup", str(backup))
    needles.scan(roots, "backup")

    new_passphrase = "newpass-" + pysecrets.token_hex(16)
    (private / "newpass").write_text(new_passphrase)
    needles.add("new passphrase", new_passphrase.encode())
    rekeyed = mnemo(
        "rekey",
        "--full",
        "--keyfile",
        str(private / "key2"),
        extra={"MNEMO_NEW_PASSPHRASE_FILE": str(private / "newpass")},
    )
    new_recovery = _RECOVERY.search(rekeyed)
    assert new_recovery is not None
    needles.add("new recovery key", new_recovery.group(0).encode())
    needles.add("new keyfile", (private / "key2").read_bytes())
    (private / "pass").write_text(new_passphrase)
    store_keys(secrets.keyfile((private / "key2").read_bytes(), "test"), "2")
    needles.scan(roots, "rekey --full")

    tiny = build_tiny_model(private / "tiny")
    mnemo("reindex", "--model", str(tiny))
    needles.scan(roots, "reindex")
    mnemo("verify", "--deep")
    files = needles.scan(roots, "verify --deep")
    assert files >= 8
    tally(steps * len(needles.named))


# --- file modes ----------------------------------------------------------------------------------


def _loose(roots: list[Path]) -> list[str]:
    bad = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.stat().st_mode)
            want = 0o700 if path.is_dir() else 0o600
            if mode != want:
                bad.append(f"{path} {oct(mode)}")
    return bad


@pytest.mark.reliability(ROW)
@pytest.mark.slow
def test_modes_under_umask_000_through_the_cli(tally: Callable[[int], None], tmp_path: Path) -> None:
    home, backup, private = tmp_path / "store", tmp_path / "backup", tmp_path / "private"
    private.mkdir()
    (private / "pass").write_text(PASSPHRASE_TEXT)
    env = {**os.environ, "MNEMO_HOME": str(home), "MNEMO_PASSPHRASE_FILE": str(private / "pass")}

    def mnemo(*args: str, stdin: str | None = None) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "mnemo_cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.umask(0),
            cwd=REPO,
        )
        assert done.returncode == 0, (args, done.stderr)

    commands: list[tuple[str, ...]] = [
        ("init", "--keyfile", str(private / "agent.key")),
        ("remember", "first memory"),
        ("import", "-"),
        ("export", "-o", str(private / "export.jsonl")),
        ("compact",),
        ("backup", str(backup)),
        ("key", "add", "--keyfile", str(private / "second.key")),
    ]
    for command in commands:
        mnemo(*command, stdin='{"text": "imported memory"}\n' if command == ("import", "-") else None)
        assert _loose([home]) == [], command
    assert _loose([backup]) == []
    for name in ("agent.key", "second.key", "export.jsonl"):
        assert stat.S_IMODE((private / name).stat().st_mode) == 0o600, name
    tally(len(commands))


@pytest.mark.reliability(ROW)
def test_modes_under_umask_000_in_process(tally: Callable[[int], None], tmp_path: Path) -> None:
    """The library alone (no `main()` setting the umask) still creates 0700 folders and 0600 files."""
    path = tmp_path / "store"
    old = os.umask(0)
    try:
        store = Store.create(path, [secrets.passphrase(PASSPHRASE_TEXT, "test")])
        store._append([Record("note", {"text": "x"})])
        store.close()
    finally:
        os.umask(old)
    assert _loose([path]) == []
    tally(1)


@pytest.mark.reliability(ROW)
@pytest.mark.parametrize("form", ["raw", "utf-16-le", "hex", "HEX", "base64", "base64+1", "base64+2", "urlsafe"])
def test_the_scan_finds_every_form(tally: Callable[[int], None], tmp_path: Path, form: str) -> None:
    """Negative control: a secret written in any of the scanned forms, mid-file, is found."""
    secret = b"canary-\xff\xfe?>" + pysecrets.token_bytes(20)
    text = "canary-" + pysecrets.token_hex(10)
    encoded = {
        "raw": secret,
        "utf-16-le": text.encode("utf-16-le"),
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
        "base64": base64.b64encode(secret),
        "base64+1": base64.b64encode(b"x" + secret),
        "base64+2": base64.b64encode(b"xy" + secret),
        "urlsafe": base64.urlsafe_b64encode(b"x" + secret),
    }[form]
    (tmp_path / "f").write_bytes(pysecrets.token_bytes(33) + encoded + pysecrets.token_bytes(7))
    needles = Needles()
    needles.add("secret", secret)
    needles.add("text", text.encode())
    with pytest.raises(AssertionError, match="in "):
        needles.scan([tmp_path], "control")
    tally(1)
