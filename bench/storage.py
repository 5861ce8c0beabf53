"""Storage-engine benchmark: unlock time, append latency with fsync, bytes of overhead per frame.

Each timing comes with a baseline measured in the same run: unlock by keyfile (no Argon2) for the
passphrase unlock, and a raw `write + fdatasync` of the same number of bytes in the same folder for
an append. Writes bench/results/storage.json (raw samples included); bench/render.py renders it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.measure import summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "storage.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--unlocks", type=int, default=15)
    args = parser.parse_args()
    os.environ.pop("MNEMO_TESTONLY_WEAKEN_KDF", None)  # real Argon2id parameters

    from mnemo_cli.crypto import kdf, secrets
    from mnemo_cli.crypto.padding import padded_size
    from mnemo_cli.log import frames
    from mnemo_cli.store import records
    from mnemo_cli.store.records import Record
    from mnemo_cli.store.store import Store

    work = Path(tempfile.mkdtemp(prefix="mnemo-bench-", dir=os.environ.get("MNEMO_BENCH_DIR")))
    passphrase = secrets.passphrase("a benchmark passphrase", "bench")
    keyfile = secrets.keyfile(os.urandom(32), "bench")
    store = Store.create(work / "store", [passphrase, keyfile], kdf="default")

    unlock_pw, unlock_kf = [], []
    for _ in range(args.unlocks):
        started = time.perf_counter()
        Store.open(store.path, passphrase).close()
        unlock_pw.append(time.perf_counter() - started)
        started = time.perf_counter()
        Store.open(store.path, keyfile).close()
        unlock_kf.append(time.perf_counter() - started)

    # A typical memory: ~200 characters of text, tags, metadata and a 384-d float16 embedding (log v2).
    text = "Met Dana at the Lisbon conference; she leads the search team at Quill and prefers email. " * 2
    memory = Record(
        "remember",
        {"id": "0" * 32, "text": text, "tags": ["people", "work"], "created_at": "2026-11-23T11:00:00Z"},
        blob=os.urandom(384 * 2),
    )
    body = records.encode(memory)
    frame_bytes = frames.LENGTH_SIZE + 24 + padded_size(len(body)) + 16

    append, raw = [], []
    raw_path = work / "raw.bin"
    fd = os.open(raw_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for _ in range(args.appends):
        started = time.perf_counter()
        store._append([memory])
        append.append(time.perf_counter() - started)
        started = time.perf_counter()
        os.write(fd, os.urandom(frame_bytes))
        os.fdatasync(fd)
        raw.append(time.perf_counter() - started)
    os.close(fd)

    overhead = {}
    for size in (50, 500, len(body), 4000, 20000):
        framed = frames.LENGTH_SIZE + 24 + padded_size(size) + 16
        overhead[str(size)] = {"frame_bytes": framed, "overhead_bytes": framed - size, "ratio": framed / size}
    result = {
        "kdf": kdf.DEFAULT.describe(),
        "unlock_passphrase": summary(unlock_pw),
        "unlock_keyfile": summary(unlock_kf),
        "append_one_record": summary(append),
        "raw_write_fdatasync": summary(raw),
        "typical_record_body_bytes": len(body),
        "frame_overhead_by_body_size": overhead,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ms = lambda s: f"{s * 1000:.2f} ms"  # noqa: E731
    print(f"unlock, passphrase ({result['kdf']}): median {ms(statistics.median(unlock_pw))}")
    print(f"unlock, keyfile: median {ms(statistics.median(unlock_kf))}")
    print(f"append 1 record: median {ms(statistics.median(append))}, p95 {ms(result['append_one_record']['p95'])}")
    print(f"raw write+fdatasync of {frame_bytes} B: median {ms(statistics.median(raw))}")
    for size, row in overhead.items():
        print(f"body {size} B -> frame {row['frame_bytes']} B (+{row['overhead_bytes']} B)")


if __name__ == "__main__":
    main()
