"""Every test runs isolated from the user's environment: no MNEMO_* settings leak in, the store and
cache folders are temporary, the KDF is weakened and the network is off."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.crypto import kdf
from mnemo_cli.crypto.kdf import KdfParams

REPO = Path(__file__).resolve().parent.parent
#: When set (`make smoke`), CLI tests run the frozen one-file binary instead of `python -m mnemo_cli`.
#: Read at import: `clean_env` clears every MNEMO_* variable before each test.
BINARY = os.environ.get("MNEMO_BINARY")
#: Its module arms the MNEMO_TESTONLY_* switches (mnemo_cli/testonly.py) in this process and in
#: every `python -m mnemo_cli` the tests start; an installed mnemo never sees it.
SWITCHBOARD = REPO / "tests" / "switchboard"


def with_switchboard(pythonpath: str | None) -> str:
    """`pythonpath` with the switchboard's folder added: a child `python -m mnemo_cli` honours
    the test switches."""
    parts = [p for p in (pythonpath or "").split(os.pathsep) if p]
    return os.pathsep.join(parts if str(SWITCHBOARD) in parts else [*parts, str(SWITCHBOARD)])


# For the whole session (module-scoped fixtures start processes before `clean_env` runs).
if str(SWITCHBOARD) not in sys.path:
    sys.path.append(str(SWITCHBOARD))
os.environ["PYTHONPATH"] = with_switchboard(os.environ.get("PYTHONPATH"))


def cli_kdf() -> KdfParams:
    """The KDF cost of a passphrase slot the CLI under test makes: the suite's weakened one, but the
    real one in the one-file binary, which never honours the test switches."""
    return kdf.DEFAULT if BINARY else kdf.TESTONLY


#: Skips a test that needs the test switches in the CLI process (an injected fault, a gate).
needs_switches = pytest.mark.skipif(
    BINARY is not None, reason="the one-file binary never honours the test switches (tests/test_binary.py)"
)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache per test session, so the model folder is assembled (and hashed) once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_cache: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MNEMO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MNEMO_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("MNEMO_CACHE_DIR", str(model_cache))
    monkeypatch.setenv("MNEMO_STATE_DIR", str(tmp_path / "state"))  # rollback records (store/seen.py)
    monkeypatch.setenv("MNEMO_TESTONLY_WEAKEN_KDF", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TZ", "UTC")  # the time zone human output shows times in (tests that need another set it)


@pytest.fixture(autouse=True)
def no_injected_faults() -> Iterator[None]:
    """A fault or observer a test arms in the file-ops layer never outlives that test."""
    from mnemo_cli.log import fileops

    fileops.inject(None)
    fileops.observe(None)
    yield
    fileops.inject(None)
    fileops.observe(None)


def run_mnemo(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a real process, the way a user or a script does (`python -m mnemo_cli`, or the
    binary named by MNEMO_BINARY)."""
    command = [BINARY] if BINARY else [sys.executable, "-m", "mnemo_cli"]
    inherited = dict(os.environ)
    if BINARY:  # it never honours the test switches (it would only warn): its KDF is the real one
        inherited = {name: value for name, value in inherited.items() if not name.startswith("MNEMO_TESTONLY_")}
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        input=input,
        env={**inherited, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def mnemo(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI for a test of its options, documents and messages: inside this process
    (tests/in_process.py), which answers exactly as `run_mnemo` does, in a fraction of the time.
    Under `make smoke` it is the one-file binary, as a real process; so is a call that sets a switch
    read only at import. End-to-end tests (pipes, signals, terminals, descriptors) use `run_mnemo`."""
    from tests.in_process import needs_a_process, run_in_process

    if BINARY or needs_a_process(env):
        return run_mnemo(*args, env=env, input=input, cwd=cwd, timeout=timeout)
    return run_in_process(*args, env=env, input=input, cwd=cwd)
