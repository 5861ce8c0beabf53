"""`mnemo reindex --model` through real processes: switch to a folder model and back, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import from_template
from tests.conftest import BINARY, mnemo, run_mnemo
from tests.embed.tiny_model import TINY_DIMENSION, build_tiny_model

# The one-file binary leaves fastembed out and runs only its embedded model (tests/test_binary.py).
needs_fastembed = pytest.mark.skipif(bool(BINARY), reason="the one-file binary runs only the embedded model")
ONLY_EMBEDDED = "mnemo: error: this mnemo binary runs only its embedded model"
PASSPHRASE = "reindex tests"
TEXTS = ["the cat sleeps on the sofa", "buy milk and eggs on the way home", "the dentist is on friday"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def store(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def build(env: dict[str, str]) -> None:
        for text in TEXTS:
            assert mnemo("remember", text, env=env).returncode == 0

    return from_template(template, PASSPHRASE, monkeypatch, build)


def ok(*args: str) -> str:
    done = mnemo(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_fastembed
def test_reindex_to_a_folder_and_back(store: Path, model_dir: Path) -> None:
    result = json.loads(ok("reindex", "--model", str(model_dir), "--json"))
    assert result["changed"] and result["memories"] == 3
    assert result["previous_model"] == "all-MiniLM-L6-v2-onnx-int8"
    spec = result["model"]
    assert (spec["kind"], spec["location"], spec["dimension"]) == ("folder", str(model_dir), TINY_DIMENSION)
    stats = json.loads(ok("stats", "--json"))
    assert stats["model"] == spec["id"] and stats["model_spec"] == spec
    # Queries and new memories use the folder model now.
    ok("remember", "water the garden on sunday")
    hits = json.loads(ok("recall", "buy milk and eggs on the way home", "--mode", "vector", "--json"))
    assert hits[0]["text"] == "buy milk and eggs on the way home" and hits[0]["score"] > 0.99
    assert ok("verify", "--deep").startswith("store ")
    assert ok("reindex", "--model", str(model_dir)) == (
        f"already indexed with {spec['id']} (folder, {model_dir}, {TINY_DIMENSION} dimensions): nothing to do\n"
    )
    line = ok("reindex", "--model", "embedded")
    assert line.startswith("reindexed 4 memories with all-MiniLM-L6-v2-onnx-int8 (embedded, 384 dimensions)")
    assert json.loads(ok("stats", "--json"))["model"] == "all-MiniLM-L6-v2-onnx-int8"
    hits = json.loads(ok("recall", "where does the cat sleep?", "--mode", "vector", "--json"))
    assert hits[0]["text"] == "the cat sleeps on the sofa"


@needs_fastembed
def test_a_changed_model_folder_is_refused(store: Path, tmp_path: Path) -> None:
    folder = build_tiny_model(tmp_path / "model")
    ok("reindex", "--model", str(folder))
    build_tiny_model(folder, seed=7)  # other weights under the same path
    done = run_mnemo("recall", "milk")  # a new process: this one keeps the model it loaded
    assert done.returncode == 5  # an integrity failure: the files no longer hash as recorded
    assert done.stderr.startswith("mnemo: error: ") and "Traceback" not in done.stderr
    assert "reindex" in done.stderr
    assert ok("list").count("\n") == 3  # what needs no embedding still works
    ok("reindex", "--model", str(folder))
    assert mnemo("recall", "milk").returncode == 0


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("no-such-model-anywhere", ONLY_EMBEDDED if BINARY else "mnemo: error: unknown model 'no-such-model-anywhere'"),
        ("./missing-folder", "mnemo: error: model folder not found: ./missing-folder"),
    ],
)
def test_bad_models_exit_2_and_change_nothing(store: Path, model: str, message: str) -> None:
    before = ok("stats", "--json")
    done = mnemo("reindex", "--model", model)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert json.loads(ok("stats", "--json"))["model"] == json.loads(before)["model"]


def test_model_is_required(store: Path) -> None:
    done = mnemo("reindex")
    assert done.returncode == 2 and "--model" in done.stderr
