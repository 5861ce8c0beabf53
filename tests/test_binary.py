"""The frozen one-file binary, run from a folder outside the repository, offline (`make smoke`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mnemo_cli import __version__
from mnemo_cli.embed import model_files
from tests.conftest import BINARY, SWITCHBOARD

pytestmark = [
    pytest.mark.binary,
    pytest.mark.skipif(not BINARY, reason="set MNEMO_BINARY (make smoke)"),
]


def run_binary(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "MNEMO_HOME": str(tmp_path / "store"),
        "HF_HUB_OFFLINE": "1",
        "TMPDIR": str(tmp_path),
    }
    return subprocess.run(
        [str(BINARY), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**base, **(env or {})},
        timeout=300,
    )


def test_version(tmp_path: Path) -> None:
    done = run_binary(tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"mnemo {__version__}\n"


def test_doctor_embeds_with_the_bundled_model(tmp_path: Path) -> None:
    done = run_binary(tmp_path, "doctor", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["frozen"] is True
    assert report["model"]["dimension"] == 384
    assert report["model"]["sha256"] == model_files.EXPECTED["model.onnx"][0]
    assert report["versions"]["fastembed"] == "not installed"  # left out: build.spec
    # The model came from the binary's own runtime, unpacked in the user's cache, not from the repository.
    runtime = report["runtime"]
    assert runtime["source"] == "unpacked"
    assert runtime["path"] == str(tmp_path / "home" / ".cache" / "mnemo" / "runtime" / runtime["sha256"])
    assert report["model"]["path"] == runtime["path"] + "/mnemo_cli/embed/model"


def test_usage_error(tmp_path: Path) -> None:
    done = run_binary(tmp_path, "frobnicate")
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "mnemo: error: no such command 'frobnicate'"


def test_init_and_verify_with_a_keyfile(tmp_path: Path) -> None:
    # libsodium (PyNaCl) and argon2 must be inside the binary, not borrowed from a venv.
    keyfile = tmp_path / "agent.key"
    done = run_binary(tmp_path, "init", "--keyfile", str(keyfile), "--json")
    assert done.returncode == 0, done.stderr
    assert [s["kind"] for s in json.loads(done.stdout)["slots"]] == ["keyfile", "recovery"]
    env_done = subprocess.run(
        [str(BINARY), "verify"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "MNEMO_HOME": str(tmp_path / "store"),
            "MNEMO_KEYFILE": str(keyfile),
        },
        timeout=120,
    )
    assert env_done.returncode == 0, env_done.stderr
    assert "is intact" in env_done.stdout


def test_remember_and_recall(tmp_path: Path) -> None:
    # usearch, sqlite FTS5 and the model all work frozen, in the order that does not crash.
    env = {"MNEMO_PASSPHRASE": "frozen"}
    assert run_binary(tmp_path, "init", env=env).returncode == 0
    for text in ("Dana prefers email over phone calls", "The physician said my blood pressure is fine"):
        done = run_binary(tmp_path, "remember", text, env=env)
        assert done.returncode == 0, done.stderr
    done = run_binary(tmp_path, "recall", "what did the doctor say?", "-k", "1", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert [hit["text"] for hit in json.loads(done.stdout)] == ["The physician said my blood pressure is fine"]


def test_the_test_switches_are_ignored(tmp_path: Path) -> None:
    # Even with the test tree's switchboard on its path, the binary honours no MNEMO_TESTONLY_*
    # variable: FAULT_AT=1 would end `init` at its first write, WEAKEN_KDF a 64 KiB slot.
    switches = {
        "MNEMO_PASSPHRASE": "frozen switches",
        "MNEMO_TESTONLY_WEAKEN_KDF": "1",
        "MNEMO_TESTONLY_FAULT_AT": "1",
        "PYTHONPATH": str(SWITCHBOARD),
    }
    done = run_binary(tmp_path, "init", "--json", env=switches)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"mnemo: warning: {name} is ignored: test switches work only inside mnemo's test suite"
        for name in ("MNEMO_TESTONLY_FAULT_AT", "MNEMO_TESTONLY_WEAKEN_KDF")
    ]
    [slot] = [slot for slot in json.loads(done.stdout)["slots"] if slot["kind"] == "passphrase"]
    assert slot["weak"] is False and slot["kdf"]["memory_kib"] == 64 * 1024
    listed = run_binary(tmp_path, "key", "list")
    assert listed.returncode == 0 and listed.stderr == ""


def test_other_models_are_refused_in_one_line(tmp_path: Path) -> None:
    # fastembed is left out of the binary: a model folder or a fastembed name gets one line, no traceback.
    from tests.embed.tiny_model import build_tiny_model

    env = {"MNEMO_PASSPHRASE": "frozen"}
    assert run_binary(tmp_path, "init", env=env).returncode == 0
    for model in (str(build_tiny_model(tmp_path / "tiny")), "BAAI/bge-small-en-v1.5"):
        done = run_binary(tmp_path, "reindex", "--model", model, env=env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines()[0] == "mnemo: error: this mnemo binary runs only its embedded model"
        assert "Traceback" not in done.stderr


def runtime_of(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["runtime"]


def test_the_runtime_is_unpacked_once_then_used_from_the_cache(tmp_path: Path) -> None:
    first = runtime_of(run_binary(tmp_path, "doctor", "--json"))
    folder = Path(first["path"])
    assert first["source"] == "unpacked" and folder.parent == tmp_path / "home" / ".cache" / "mnemo" / "runtime"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert run_binary(tmp_path, "--version").returncode == 0  # needs no runtime
    again = run_binary(tmp_path, "doctor", "--json")
    assert runtime_of(again) == {**first, "source": "cache"} and again.stderr == ""
    # XDG_CACHE_HOME is the user's cache folder when set.
    xdg = runtime_of(run_binary(tmp_path, "doctor", "--json", env={"XDG_CACHE_HOME": str(tmp_path / "xdg")}))
    assert xdg["path"] == str(tmp_path / "xdg" / "mnemo" / "runtime" / first["sha256"])


def test_concurrent_first_runs_share_one_runtime(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "MNEMO_HOME": str(tmp_path / "store")}
    runs = [
        subprocess.Popen(
            [str(BINARY), "doctor", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(3)
    ]
    answers = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], answers
    paths = {json.loads(stdout)["runtime"]["path"] for stdout, _ in answers}
    assert len(paths) == 1
    root = Path(paths.pop()).parent
    assert [p.name for p in root.iterdir()] == [p.name for p in root.iterdir() if len(p.name) == 64]  # no leftovers


def test_an_unwritable_cache_unpacks_for_this_run_only(tmp_path: Path) -> None:
    # A cache path under a plain file cannot be created, even by root (whom chmod would not stop).
    (tmp_path / "not-a-folder").write_text("")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {"XDG_CACHE_HOME": str(tmp_path / "not-a-folder"), "TMPDIR": str(scratch)}
    runtime = runtime_of(run_binary(tmp_path, "doctor", "--json", env=env))
    assert runtime["source"] == "temporary" and Path(runtime["path"]).parent == scratch
    assert not Path(runtime["path"]).exists()  # removed at exit


def test_a_changed_runtime_folder_is_unpacked_again(tmp_path: Path) -> None:
    folder = Path(runtime_of(run_binary(tmp_path, "doctor", "--json"))["path"])
    config = folder / "mnemo_cli" / "embed" / "model" / "config.json"
    config.write_bytes(config.read_bytes().replace(b"384", b"385"))  # same size, new content
    done = run_binary(tmp_path, "doctor", "--json")
    assert runtime_of(done)["source"] == "unpacked"
    assert done.stderr == f"mnemo: warning: the runtime in {folder} was changed; unpacking it again\n"
    assert b"385" not in config.read_bytes()


def test_a_damaged_payload_is_refused_in_one_line(tmp_path: Path) -> None:
    damaged = tmp_path / "mnemo"
    data = bytearray(Path(str(BINARY)).read_bytes())
    data[-5000] ^= 0xFF  # inside the appended runtime
    damaged.write_bytes(bytes(data))
    damaged.chmod(0o755)
    done = subprocess.run(
        [str(damaged), "doctor"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "MNEMO_HOME": str(tmp_path / "store")},
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"mnemo: error: the runtime inside {damaged} ") and "Traceback" not in done.stderr
    assert not any((tmp_path / "home" / ".cache" / "mnemo" / "runtime").glob("[0-9a-f]*"))
