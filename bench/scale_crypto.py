"""The encryption part of bench/scale.py: import, open and warm recall (query vector given) on the
engine as it is, and on the same engine with its cipher replaced by `bench/unencrypted.py`'s
pass-through. Each part runs in a fresh process (`python -m bench.scale --crypto on|off`), the two
alternating round by round, so the switched engine never shares a process with the real one and
drift on a shared machine hits both alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

from bench import corpus
from bench.measure import summary
from bench.scale import ROOT, GivenVectors, K, Plan, build, given_vectors, new_key, time_open, timed


def compare(plan: Plan, n: int, vectors_file: Path, work: Path) -> dict:
    """The encryption part in fresh processes, encrypted and not, alternating round by round."""
    parts: dict[str, list[dict]] = {"on": [], "off": []}
    for round_ in range(plan.crypto_rounds):
        for setting in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            folder = work / f"crypto-{setting}-{round_}"
            out = folder / "part.json"
            argv = [sys.executable, "-m", "bench.scale", "--crypto", setting, "--memories", str(n)]
            argv += ["--queries", str(plan.queries), "--open-runs", str(plan.open_runs), "--work", str(folder)]
            argv += ["--cache", str(corpus.CACHE), "--query-vectors", str(vectors_file), "--out", str(out)]
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "MNEMO_STATE_DIR": str(work / "state")}
            subprocess.run(argv, cwd=ROOT, env=env, check=True)
            parts[setting].append(json.loads(out.read_text(encoding="utf-8")))
    merged: dict[str, Any] = {"memories": n, "rounds": plan.crypto_rounds}
    for setting, runs in parts.items():
        merged[setting] = {
            "import": summary([r["import_seconds"] for r in runs]),
            "open": summary([s for r in runs for s in r["open_seconds"]]),
            "recall_without_embedding": summary([s for r in runs for s in r["recall_seconds"]]),
            "disk_bytes": [r["disk_bytes"] for r in runs],
        }
    merged["ratio"] = {
        what: merged["on"][what]["median"] / merged["off"][what]["median"]
        for what in ("import", "open", "recall_without_embedding")
    }
    return merged


def part(setting: str, n: int, n_queries: int, open_runs: int, query_vectors: Path, work: Path) -> dict:
    """In this process: import `n` memories, open the store `open_runs` times, recall each query
    without its embedding, with the cipher (`on`) or the pass-through (`off`)."""
    import numpy as np

    from bench import unencrypted

    if setting == "off":
        unencrypted.install()
    from mnemo_cli.store.store import Store

    assert unencrypted.installed() == (setting == "off")
    matrix = corpus.vectors(n, progress=False)
    texts = corpus.queries(n_queries)
    vectors = np.load(query_vectors)
    given = GivenVectors(given_vectors(texts, vectors), "", vectors.shape[1])
    key = new_key()
    path = work / "store"
    import_seconds = build(path, key, n, matrix)
    opens = [time_open(path, key, expect_tail=0)[0] for _ in range(open_runs)]
    with Store.open(path, key) as store:
        from mnemo_cli.store.recall import Query, recall

        def search(q: str) -> object:
            return recall(store.state(), given, Query(text=q, k=K))  # type: ignore[arg-type]

        for q in texts[:5]:
            search(q)
        recalls = [timed(partial(search, q)) for q in texts]
    return {
        "crypto": setting,
        "import_seconds": import_seconds,
        "open_seconds": opens,
        "recall_seconds": recalls,
        "disk_bytes": sum(p.stat().st_size for p in path.rglob("*") if p.is_file()),
    }
