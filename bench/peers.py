"""mnemo beside two unencrypted peers, sqlite-vec and chromadb, on the same memories and vectors.

For each size, every engine stores the same texts, dates, tags and vectors (`bench.corpus`) through
its documented batch path, then answers the same queries, embedded once beforehand so no figure
but mnemo's full `recall` row includes embedding. Measured per engine: insert throughput, warm
top-10 latency, recall@10 against exact search (numpy, same vectors, f32), bytes on disk per
memory beside the raw bytes, and a cold open: a fresh process that opens the store and answers one
query, timed round-robin with a bare `python -c pass`. Writes bench/results/peers.json (raw
samples included); `peer_tables` renders it for docs/performance.md.

    python -m bench.peers --sizes 10000,100000 --queries 200 --cold-runs 5

`python -m bench.peers --cold ENGINE PATH VECTOR` is the cold process itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.measure import summary, time_process

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "peers.json"
K = 10
WARMUP = 5
COLLECTION = "memories"


def raw_bytes(texts: Sequence[str], dimension: int = 384) -> int:
    """What the memories are worth on disk at least: text, ~64 B of id/date/tags, an f32 vector
    (the formula of bench/engine.py)."""
    return sum(len(t.encode()) + 64 + dimension * 4 for t in texts)


def recall_at(found: Sequence[Sequence[int]], truth: Sequence[Sequence[int]], k: int = K) -> float:
    """Mean share of each query's exact top k that the engine's top k holds."""
    return sum(len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)) / len(truth)


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the engines: build (timed batch insert), open, search (corpus rows), answer (texts, cold) -----


class Exact:
    """The reference: brute-force cosine over the unit f32 matrix, in memory."""

    name = "exact"

    def __init__(self, matrix: np.ndarray) -> None:
        import numpy as np

        self.rows = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    def search(self, vector: np.ndarray) -> list[int]:
        import numpy as np

        scores = self.rows @ vector
        top = np.argpartition(-scores, K - 1)[:K]
        return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]


class Mnemo:
    """Store.remember_many with the cached vectors; the usearch index alone, and full `recall`."""

    name = "mnemo"

    @staticmethod
    def _key(path: Path) -> Any:
        from mnemo_cli.crypto import secrets

        return secrets.keyfile(path.with_suffix(".key").read_bytes(), "bench")

    def build(self, path: Path, items: list[dict], matrix: np.ndarray) -> float:
        from bench.corpus import CachedEmbedder
        from mnemo_cli.memories import NewMemory
        from mnemo_cli.store.store import Store

        keyfile = path.with_suffix(".key")  # beside the store: not part of its disk figure
        keyfile.write_bytes(os.urandom(32))
        keyfile.chmod(0o600)
        Store.create(path, [self._key(path)]).close()
        store = Store.open(path, self._key(path), embedder=CachedEmbedder([i["text"] for i in items], matrix))
        new = [NewMemory(**item) for item in items]
        started = time.perf_counter()
        store.remember_many(new)
        seconds = time.perf_counter() - started
        store.close()
        return seconds

    def open(self, path: Path, texts: Sequence[str] = ()) -> None:
        from mnemo_cli.store.store import Store

        self.store = Store.open(path, self._key(path))
        state = self.store.state()
        self.vectors = state.vectors
        self.row_of_text = {text: i for i, text in enumerate(texts)}
        if texts:  # warm runs map answers back to corpus rows; the cold process only answers
            self.row_of_key = {state.catalog.key_of(m.id): self.row_of_text[m.text] for m in state.catalog.in_order()}

    def search(self, vector: np.ndarray) -> list[int]:
        return [self.row_of_key[key] for key, _ in self.vectors.search(vector, K)]

    def recall(self, query: str) -> list[int]:
        return [self.row_of_text[hit.memory.text] for hit in self.store.recall(query, k=K, mode="vector")]

    def answer(self, vector: bytes) -> list[str]:
        import numpy as np

        state = self.store.state()
        found = state.vectors.search(np.frombuffer(vector, dtype="<f4"), K)
        memories = state.catalog.by_keys([key for key, _ in found])
        return [memories[key].text for key, _ in found]

    def close(self) -> None:
        self.store.close()


class SqliteVec:
    """A vec0 table (float[384], cosine) beside an ordinary table of text, date and tags, joined by
    rowid; one transaction of `executemany` per table."""

    name = "sqlite-vec"

    @staticmethod
    def _connect(path: Path) -> Any:
        import pysqlite3 as sqlite3  # the stdlib sqlite3 of this Python cannot load extensions
        import sqlite_vec

        conn = sqlite3.connect(str(path / "memories.db"))
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.enable_load_extension(False)
        return conn

    def build(self, path: Path, items: list[dict], matrix: np.ndarray) -> float:
        path.mkdir()
        conn = self._connect(path)
        conn.execute("CREATE TABLE memories (id INTEGER PRIMARY KEY, text TEXT, created_at TEXT, tags TEXT)")
        conn.execute(
            f"CREATE VIRTUAL TABLE vectors USING vec0(embedding float[{matrix.shape[1]}] distance_metric=cosine)"
        )
        started = time.perf_counter()
        with conn:
            conn.executemany(
                "INSERT INTO memories VALUES (?, ?, ?, ?)",
                ((i + 1, it["text"], it["created_at"], json.dumps(it["tags"])) for i, it in enumerate(items)),
            )
            conn.executemany(
                "INSERT INTO vectors (rowid, embedding) VALUES (?, ?)",
                ((i + 1, matrix[i].tobytes()) for i in range(len(items))),
            )
        seconds = time.perf_counter() - started
        conn.close()
        return seconds

    def open(self, path: Path, texts: Sequence[str] = ()) -> None:
        self.conn = self._connect(path)

    def search(self, vector: np.ndarray) -> list[int]:
        found = self.conn.execute(
            "SELECT rowid, distance FROM vectors WHERE embedding MATCH ? AND k = ? ORDER BY distance",
            (vector.tobytes(), K),
        ).fetchall()
        return [rowid - 1 for rowid, _ in found]

    def answer(self, vector: bytes) -> list[str]:
        found = self.conn.execute(
            "WITH knn AS (SELECT rowid, distance FROM vectors WHERE embedding MATCH ? AND k = ?) "
            "SELECT m.text FROM knn JOIN memories m ON m.id = knn.rowid ORDER BY knn.distance",
            (vector, K),
        ).fetchall()
        return [text for (text,) in found]

    def close(self) -> None:
        self.conn.close()


class Chroma:
    """A persistent client, one cosine HNSW collection, embeddings given explicitly (no embedding
    function, so nothing is downloaded); `add` in batches of the client's maximum."""

    name = "chromadb"

    @staticmethod
    def _client(path: Path) -> Any:
        import chromadb
        from chromadb.config import Settings

        return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))

    def build(self, path: Path, items: list[dict], matrix: np.ndarray) -> float:
        client = self._client(path)
        collection = client.create_collection(
            COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        ids = [str(i) for i in range(len(items))]
        documents = [it["text"] for it in items]
        metadatas: list[Any] = [{"created_at": it["created_at"], "tags": ",".join(it["tags"])} for it in items]
        batch = client.get_max_batch_size()
        started = time.perf_counter()
        for first in range(0, len(items), batch):
            end = first + batch
            collection.add(
                ids=ids[first:end],
                embeddings=matrix[first:end],
                documents=documents[first:end],
                metadatas=metadatas[first:end],
            )
        seconds = time.perf_counter() - started
        client.close()
        return seconds

    def open(self, path: Path, texts: Sequence[str] = ()) -> None:
        self.client = self._client(path)
        self.collection = self.client.get_collection(COLLECTION, embedding_function=None)

    def search(self, vector: np.ndarray) -> list[int]:
        found = self.collection.query(query_embeddings=vector[None, :], n_results=K, include=["distances"])
        return [int(i) for i in found["ids"][0]]

    def answer(self, vector: bytes) -> list[str]:
        import numpy as np

        query = np.frombuffer(vector, dtype="<f4")[None, :]
        found = self.collection.query(query_embeddings=query, n_results=K, include=["documents", "distances"])
        return list(found["documents"][0])

    def close(self) -> None:
        self.client.close()


PEERS: dict[str, type[Mnemo] | type[SqliteVec] | type[Chroma]] = {
    "mnemo": Mnemo,
    "sqlite-vec": SqliteVec,
    "chromadb": Chroma,
}
ENGINES = tuple(PEERS)


# -- one run ------------------------------------------------------------------------------------


def _timed(search: Any, inputs: Sequence[Any]) -> tuple[list[float], list[list[int]]]:
    for item in inputs[:WARMUP]:
        search(item)
    samples, found = [], []
    for item in inputs:
        started = time.perf_counter()
        rows = search(item)
        samples.append(time.perf_counter() - started)
        found.append(rows)
    return samples, found


def measure_size(n: int, questions: list[str], qvectors: np.ndarray, cold_runs: int, work: Path) -> dict:
    import numpy as np

    from bench.corpus import synthetic, vectors

    items = synthetic(n)
    texts = [item["text"] for item in items]
    matrix = np.array(vectors(n), dtype=np.float32)
    exact = Exact(matrix)
    exact_samples, truth = _timed(exact.search, list(qvectors))
    vector_file = work / "query.f32"
    vector_file.write_bytes(np.asarray(qvectors[0], dtype="<f4").tobytes())
    engines: dict[str, dict] = {}
    for name, peer_class in PEERS.items():
        path = work / name
        seconds = peer_class().build(path, items, matrix)
        gc.collect()
        peer = peer_class()
        peer.open(path, texts)
        samples, found = _timed(peer.search, list(qvectors))
        row: dict[str, Any] = {
            "insert_seconds": seconds,
            "insert_per_second": n / seconds,
            "query": summary(samples),
            "recall_at_10": recall_at(found, truth),
            "ids_per_query": [len(f) for f in found],
        }
        if isinstance(peer, Mnemo):
            samples, found = _timed(peer.recall, questions)
            row["full_recall"] = {"query": summary(samples), "recall_at_10": recall_at(found, truth)}
        peer.close()
        del peer
        gc.collect()
        engines[name] = row

    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    for name in PEERS:
        commands[name] = [sys.executable, "-m", "bench.peers", "--cold", name, str(work / name), str(vector_file)]
    for argv in commands.values():
        time_process(argv, env)  # once untimed: page cache and bytecode as a user's second run finds them
    cold: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(cold_runs):  # round-robin, so drift on a shared machine hits every engine alike
        for name, argv in commands.items():
            cold[name].append(time_process(argv, env))
    for name, row in engines.items():
        row["cold"] = summary(cold[name])
        row["disk_bytes"] = folder_bytes(work / name)
        row["disk_per_memory"] = row["disk_bytes"] / n
    return {
        "memories": n,
        "raw_bytes_per_memory": raw_bytes(texts, matrix.shape[1]) / n,
        "exact": {"query": summary(exact_samples), "recall_at_10": recall_at(truth, truth)},
        "engines": engines,
        "cold_baseline": summary(cold["python -c pass"]),
    }


def versions() -> dict[str, str]:
    import chromadb
    import numpy
    import pysqlite3
    import sqlite_vec
    import usearch

    import mnemo_cli

    return {
        "mnemo": mnemo_cli.__version__,
        "usearch": usearch.__version__,
        "sqlite-vec": sqlite_vec.__version__,
        "sqlite": pysqlite3.sqlite_version,
        "chromadb": chromadb.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def run(sizes: Sequence[int], queries: int, cold_runs: int, work_dir: Path | None = None) -> dict:
    """Measure every size; each size's stores live in a temporary folder removed afterwards."""
    import numpy as np

    from bench.corpus import queries as make_queries
    from bench.corpus import vectors
    from mnemo_cli.embed.embedder import shared

    vectors(max(sizes))  # one embedding pass (cached) serves every smaller size: the corpus is prefix-stable
    questions = make_queries(queries)
    embedder = shared()
    qvectors = np.stack([np.asarray(embedder.embed_query(q), dtype=np.float32) for q in questions])
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": versions(),
        "k": K,
        "queries": queries,
        "cold_runs": cold_runs,
        "sizes": {},
    }
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"mnemo-peers-{n}-", dir=work_dir))
        try:
            result["sizes"][str(n)] = measure_size(n, questions, qvectors, cold_runs, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return result


# -- rendering ----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    places = 2 if seconds < 0.001 else 1 if seconds < 0.1 else 0
    return f"{seconds * 1000:.{places}f} ms"


def peer_tables(result: dict) -> str:
    """The markdown for docs/performance.md: one table per size, and what compares and what not."""
    v = result["versions"]
    rows = [
        f"Measured on {result['machine']['platform']}, {result['machine']['cpus']} CPUs: mnemo {v['mnemo']} "
        f"(usearch {v['usearch']}), sqlite-vec {v['sqlite-vec']} (SQLite {v['sqlite']}), chromadb {v['chromadb']}; "
        f"{result['queries']} queries, top {result['k']}, cold open over {result['cold_runs']} runs per engine, "
        "round-robin. Command: `python -m bench.peers`.",
    ]
    for size, block in result["sizes"].items():
        raw = block["raw_bytes_per_memory"]
        rows += [
            "",
            f"**{int(size):,} memories** (raw: text + metadata + f32 vector = {raw:,.0f} B per memory; a bare "
            f"`python -c pass` takes {_ms(block['cold_baseline']['median'])} in the same round-robin)",
            "",
            "| engine | insert/s | query p50 | p95 | recall@10 | disk B/memory (× raw) | cold open median |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, row in block["engines"].items():
            label = "mnemo (vector index alone)" if name == "mnemo" else name
            rows.append(
                f"| {label} | {row['insert_per_second']:,.0f} | {_ms(row['query']['median'])} | "
                f"{_ms(row['query']['p95'])} | {row['recall_at_10']:.3f} | "
                f"{row['disk_per_memory']:,.0f} ({row['disk_per_memory'] / raw:.2f}×) | {_ms(row['cold']['median'])} |"
            )
            if "full_recall" in row:
                full = row["full_recall"]
                rows.append(
                    f"| mnemo `recall` (vector mode, query embedding included) | | {_ms(full['query']['median'])} | "
                    f"{_ms(full['query']['p95'])} | {full['recall_at_10']:.3f} | | |"
                )
        exact = block["exact"]
        rows.append(
            f"| exact search (numpy, in memory; the reference) | | {_ms(exact['query']['median'])} | "
            f"{_ms(exact['query']['p95'])} | {exact['recall_at_10']:.3f} | | |"
        )
    rows += [
        "",
        "What compares and what does not: every engine stores the same texts, dates, tags and vectors and "
        "answers the same pre-embedded queries (only mnemo's `recall` row embeds the query). mnemo encrypts "
        "and authenticates everything it writes (log and index snapshot) and also keeps a BM25 index, links "
        "and history; sqlite-vec and chromadb store plaintext and only what they are given here. Each runs "
        "at its defaults: sqlite-vec's vec0 scans every vector (exact, f32), chromadb and mnemo search an "
        "HNSW graph (chromadb in f32, mnemo in f16; mnemo's `recall` searches exactly up to 20,000 memories). "
        "Cold open is a fresh process that opens the store and returns the texts of the top 10.",
    ]
    return "\n".join(rows)


# -- command line -------------------------------------------------------------------------------


def cold(engine: str, path: str, vector_file: str) -> None:
    """The cold process: open the store at `path`, answer one query, fail unless it found K."""
    peer = PEERS[engine]()
    peer.open(Path(path))
    texts = peer.answer(Path(vector_file).read_bytes())
    peer.close()
    if len(texts) != K:
        raise SystemExit(f"{engine}: {len(texts)} results, expected {K}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of memories")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--cold", nargs=3, metavar=("ENGINE", "PATH", "VECTOR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        cold(*args.cold)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="mnemo-peers-"))
    os.environ["MNEMO_STATE_DIR"] = str(work / "state")  # mnemo's rollback records go with the run's stores
    try:
        result = run(sizes, args.queries, args.cold_runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(peer_tables(result))


if __name__ == "__main__":
    main()
