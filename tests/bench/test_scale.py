"""bench/scale.py: a tiny run yields every figure the renderer reads; the unencrypted engine it
compares against really writes plaintext (in its own process) while the real one does not; and
nothing in mnemo_cli can reach that switch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import corpus, render, scale, unencrypted

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_tiny_run_measures_everything_and_only_the_switched_process_writes_plaintext(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE", tmp_path / "cache")
    plan = scale.Plan(sizes=(300,), tails=(0, 50), queries=10, open_runs=2, replay_runs=1, crypto_rounds=1)
    work = tmp_path / "work"
    result = scale.run(plan, work)

    (size,) = result["sizes"]
    assert size["memories"] == 300 and size["recall"]["vector_search"] == "exact"
    for path in ("hybrid_with_embedding", "hybrid_without_embedding", "vector_with_embedding", "query_embedding"):
        assert size["recall"][path]["n"] == 10 and len(size["recall"][path]["samples"]) == 10
    assert size["disk"]["per_memory"] > size["disk"]["raw_per_memory"] > 1536
    (opened,) = result["open"]
    assert [t["tail"] for t in opened["tails"]] == [0, 50] and opened["replay_all"]["n"] == 1
    assert all(t["state"]["n"] == 2 for t in opened["tails"])
    assert result["open_summary"]["state_seconds_per_tail_record"] is not None
    crypto = result["crypto"]
    assert crypto["memories"] == 300 and set(crypto["ratio"]) == {"import", "open", "recall_without_embedding"}
    assert crypto["on"]["disk_bytes"] == crypto["off"]["disk_bytes"]  # same layout, only the cipher gone
    assert len(crypto["on"]["recall_without_embedding"]["samples"]) == 10
    rendered = render.scale_tables(result)
    assert "| 300 | 50 |" in rendered and "encrypted / unencrypted" in rendered

    text = corpus.synthetic(300)[123]["text"].encode()

    def log_bytes(setting: str) -> bytes:
        logs = sorted((work / f"crypto-{setting}-0" / "store" / "log").glob("*.mlog"))
        assert logs
        return b"".join(p.read_bytes() for p in logs)

    assert text in log_bytes("off")
    assert text not in log_bytes("on")
    assert not unencrypted.installed()  # the switch stayed in its subprocess


def test_the_switch_is_out_of_mnemo_clis_reach(tmp_path):
    for source in (REPO / "mnemo_cli").rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+bench\b", source.read_text(encoding="utf-8"), re.M), source
    # A process outside the repository, as an installed mnemo runs: the CLI and Store load, with the
    # real cipher, and no `bench` package can be found at all (only mnemo_cli is packaged).
    probe = (
        "import importlib.util, sys; import mnemo_cli.cli.app, mnemo_cli.store.store; "
        "from mnemo_cli.crypto import aead; "
        "assert aead.seal.__module__ == 'mnemo_cli.crypto.aead', aead.seal; "
        "assert importlib.util.find_spec('bench') is None; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'bench']"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_switch_refuses_a_module_holding_the_real_cipher_by_name(monkeypatch):
    from mnemo_cli.crypto import aead
    from mnemo_cli.log import frames

    monkeypatch.setattr(frames, "seal", aead.seal, raising=False)
    with pytest.raises(RuntimeError, match=r"mnemo_cli\.log\.frames binds seal"):
        unencrypted.install()
    assert not unencrypted.installed()
