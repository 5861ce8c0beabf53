"""bench/startup.py's baseline for the binary's size: the model's files and onnxruntime's libraries."""

from __future__ import annotations

from bench.startup import carried_bytes
from mnemo_cli.embed import model_files


def test_what_any_binary_carries_is_the_model_and_the_runtime_libraries() -> None:
    model = sum(size for _digest, size in model_files.EXPECTED.values())
    carried = carried_bytes()
    assert model + 10_000_000 < carried < model + 500_000_000  # onnxruntime's libraries: tens of MB
