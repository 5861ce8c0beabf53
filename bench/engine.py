"""Engine benchmark at 10k memories: import throughput, cold `mnemo recall` processes, compaction,
`rekey --full` and `reindex`. Warm recall, disk per memory and open time are bench/scale.py's (at
10k and 100k).

Baselines measured in the same run: raw embedding throughput of the same texts (what import can at
best reach), and a `mnemo --version` process (what any cold command pays before it works). The
memories come from a deterministic generator. Writes bench/results/engine.json (raw samples
included); bench/render.py renders it into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.corpus import queries, synthetic
from bench.measure import summary, time_process

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "engine.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--cold-runs", type=int, default=10)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"

    from mnemo_cli.crypto import secrets
    from mnemo_cli.embed.embedder import shared
    from mnemo_cli.memories import NewMemory
    from mnemo_cli.store.store import Store

    items = synthetic(args.memories)
    embedder = shared()
    embedder.load()
    texts = [item["text"] for item in items]
    embedder.embed_documents(texts[:256])  # warm up onnxruntime's threads, as import finds them
    started = time.perf_counter()
    for first in range(0, len(texts), 64):
        embedder.embed_documents(texts[first : first + 64])
    raw_seconds = time.perf_counter() - started

    work = Path(tempfile.mkdtemp(prefix="mnemo-engine-"))
    os.environ["MNEMO_STATE_DIR"] = str(work / "state")  # rollback records (store/seen.py) stay in here
    keyfile_path = work / "bench.key"
    keyfile_path.write_bytes(os.urandom(32))
    keyfile_path.chmod(0o600)
    key = secrets.keyfile(keyfile_path.read_bytes(), "bench")
    path = work / "store"
    Store.create(path, [key]).close()
    store = Store.open(path, key)
    started = time.perf_counter()
    store.remember_many([NewMemory(**item) for item in items])
    import_seconds = time.perf_counter() - started

    # Compaction after forgetting a tenth of the memories.
    doomed = [m.id for i, m in enumerate(store.memories()) if i % 10 == 0]
    store.forget(doomed)
    forgotten_disk = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    started = time.perf_counter()
    compaction = store.compact()
    compact_seconds = time.perf_counter() - started
    store.close()

    env = {**os.environ, "MNEMO_HOME": str(path), "MNEMO_KEYFILE": str(keyfile_path)}
    commands = {"venv: mnemo --version": [str(ROOT / ".venv" / "bin" / "mnemo"), "--version"]}
    query = queries(2)[1]
    commands["venv: mnemo recall"] = [str(ROOT / ".venv" / "bin" / "mnemo"), "recall", query, "-k", "5"]
    binary = ROOT / "dist" / "mnemo"
    if binary.is_file():
        commands["binary: mnemo --version"] = [str(binary), "--version"]
        commands["binary: mnemo recall"] = [str(binary), "recall", query, "-k", "5"]
    for argv in commands.values():
        time_process(argv, env)
    cold: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.cold_runs):
        for name, argv in commands.items():
            cold[name].append(time_process(argv, env))

    # After the cold runs, which should see the store as users mostly have it.
    store = Store.open(path, key)
    # A full rekey rewrites the same log under a new key: compaction is its baseline.
    new_key = secrets.keyfile(os.urandom(32), "bench rekey")
    started = time.perf_counter()
    rekeyed = store.rekey([new_key], recovery=False)
    rekey_seconds = time.perf_counter() - started
    # Reindex with the same weights loaded as a model folder (another model id): every memory is
    # embedded again, so raw embedding of the same texts is its baseline.
    from mnemo_cli.embed.model_files import resolve_model_dir
    from mnemo_cli.embed.model_spec import folder_spec

    folder = folder_spec(resolve_model_dir())
    started = time.perf_counter()
    reindexed = store.reindex(folder)
    reindex_seconds = time.perf_counter() - started
    with Store.open(path, new_key) as check:
        assert check.model == folder and check.verify(deep=True).deep
    store.close()

    result = {
        "memories": args.memories,
        "raw_embedding_per_second": args.memories / raw_seconds,
        "import_per_second": args.memories / import_seconds,
        "import_vs_raw": raw_seconds / import_seconds,
        "cold": {name: summary(samples) for name, samples in cold.items()},
        "compaction": {
            "forgotten": len(doomed),
            "seconds": compact_seconds,
            "bytes_before": forgotten_disk,
            "bytes_after": compaction.bytes_after,
            "frames_before": compaction.frames_before,
            "frames_after": compaction.frames_after,
        },
        "rekey": {"seconds": rekey_seconds, "records": rekeyed.frames, "compact_seconds": compact_seconds},
        "reindex": {"seconds": reindex_seconds, "memories": reindexed.memories, "raw_seconds": raw_seconds},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"raw embedding {result['raw_embedding_per_second']:.0f}/s, import {result['import_per_second']:.0f}/s "
        f"({result['import_vs_raw']:.2f} of raw)"
    )
    for name, samples in cold.items():
        print(f"{name}: median {statistics.median(samples) * 1000:.0f} ms")
    c = result["compaction"]
    print(
        f"compact after forgetting {c['forgotten']}: {c['seconds']:.2f} s, {c['bytes_before']} -> {c['bytes_after']} B"
    )
    print(f"rekey --full: {rekey_seconds:.2f} s ({rekey_seconds / compact_seconds:.2f}x compaction)")
    print(f"reindex: {reindex_seconds:.1f} s ({reindex_seconds / raw_seconds:.2f}x raw embedding)")


if __name__ == "__main__":
    main()
