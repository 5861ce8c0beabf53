"""Scale benchmark: warm recall and disk at 10k and 100k memories, open time against the log tail,
and what encryption costs (the same engine with its cipher taken out, `bench/unencrypted.py`).

Stores are built from `bench.corpus` (texts and their cached vectors, so no model wait) through
`Store.remember_many`, unlocked with a keyfile. Baselines come from the same run: the query
embedding alone (recall is timed with it and without it: the seam is `store.recall.recall` handed an
embedder whose `embed_query` returns the vector computed beforehand), raw bytes per memory, opening
by replaying the whole log, and the unencrypted engine (bench/scale_crypto.py: each engine in its own
processes, alternating). Writes bench/results/scale.json (raw samples included); bench/render.py
renders it.

    python -m bench.scale                        # sizes 10000,100000: the first run embeds 100k texts
    python -m bench.scale --sizes 2000 --tails 0,100,1000
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench import corpus
from bench.measure import summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale.json"
K = 10
#: Bytes of a memory with nothing added: its text, ~64 B of id, date and tags, a float32 vector.
RAW_EXTRA = 64 + 384 * 4


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (10_000, 100_000)
    #: Tails measured on the smallest store; `big_tails` on every larger one.
    tails: tuple[int, ...] = (0, 100, 1_000, 5_000)
    big_tails: tuple[int, ...] = (0, 1_000)
    queries: int = 200
    open_runs: int = 10
    replay_runs: int = 3
    crypto_rounds: int = 3
    #: Memories of the encryption comparison (default: the smallest size).
    crypto_memories: int | None = None


class GivenVectors:
    """An embedder answering `embed_query` with vectors computed beforehand: recall without the
    query embedding, everything else as `Store.recall` does it."""

    def __init__(self, vectors: dict[str, Any], model_id: str, dimension: int) -> None:
        self._vectors = vectors
        self.model_id = model_id
        self.dimension = dimension

    def embed_query(self, text: str) -> Any:
        return self._vectors[text]

    def embed_documents(self, texts: Sequence[str]) -> Any:
        raise RuntimeError("GivenVectors answers queries only")


def run(plan: Plan, work: Path) -> dict:
    """Measure everything the plan asks for, with every store under `work`."""
    from bench import scale_crypto
    from mnemo_cli.embed.embedder import shared

    work.mkdir(parents=True, exist_ok=True)
    sizes = sorted(plan.sizes)
    stages: dict[str, float] = {}
    stage = _stages(stages)
    texts = corpus.queries(plan.queries)
    with stage("corpus vectors and query embeddings"):
        matrix = corpus.vectors(sizes[-1])
        real = shared()
        real.load()
        # Recall embeds a question without its time words ("... in May"): both texts are given.
        asked = {text for q in texts for text in (q, _embedded_text(q))}
        given = GivenVectors({text: real.embed_query(text) for text in asked}, real.model_id, real.dimension)
    key = new_key()
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "plan": asdict(plan),
        "k": K,
        "sizes": [],
        "open": [],
        "stage_seconds": stages,
    }
    for n in sizes:
        path = work / f"store-{n}"
        with stage(f"{n} build"):
            row = {"memories": n, "build_seconds": build(path, key, n, matrix[:n]), "disk": _disk(path, n)}
        with stage(f"{n} recall"), _open(path, key, matrix[:n]) as store:
            row["recall"] = _recall(store, texts, given, real)
        result["sizes"].append(row)
        with stage(f"{n} open against the tail"):
            tails = plan.tails if n == sizes[0] else plan.big_tails
            result["open"].append(_open_against_tail(path, key, matrix[:n], plan, tails))
        shutil.rmtree(path)
    result["open_summary"] = _open_summary(result["open"])
    import numpy as np

    vectors_file = work / "query-vectors.npy"
    # The questions' vectors, then those of the texts recall embeds for them (`given_vectors`).
    np.save(vectors_file, np.stack([given.embed_query(t) for t in texts + [_embedded_text(q) for q in texts]]))
    with stage("encryption, both engines"):
        result["crypto"] = scale_crypto.compare(plan, plan.crypto_memories or sizes[0], vectors_file, work)
    return result


def given_vectors(texts: list[str], vectors: Any) -> dict[str, Any]:
    """What `run` saved for the encryption parts: each question's vector, then its embedded text's."""
    pairs = list(zip(texts + [_embedded_text(q) for q in texts], vectors, strict=True))
    return dict(pairs)


def _embedded_text(query: str) -> str:
    """The text recall embeds for `query`: without the time expression it may hold."""
    from mnemo_cli.store.recall import Query, time_window

    window = time_window(Query(text=query))
    return window.remainder if window else query


def _stages(into: dict[str, float]) -> Callable[[str], contextlib.AbstractContextManager[None]]:
    """A context manager per stage: says what starts, and keeps its wall seconds in `into`."""

    @contextlib.contextmanager
    def stage(name: str) -> Iterator[None]:
        print(f"scale: {name}", flush=True)
        started = time.perf_counter()
        yield
        into[name] = time.perf_counter() - started

    return stage


# -- stores ----------------------------------------------------------------------------------------


def new_key() -> Any:
    from mnemo_cli.crypto import secrets

    return secrets.keyfile(os.urandom(32), "bench")


def _open(path: Path, key: Any, matrix: Any, texts: Sequence[str] | None = None) -> Any:
    from mnemo_cli.store.store import Store

    n = len(matrix)
    texts = texts if texts is not None else [item["text"] for item in corpus.synthetic(n)]
    return Store.open(path, key, embedder=corpus.CachedEmbedder(texts, matrix))  # type: ignore[arg-type]


def build(path: Path, key: Any, n: int, matrix: Any) -> float:
    """Create a store of the corpus's first `n` memories in one import; its seconds."""
    from mnemo_cli.memories import NewMemory
    from mnemo_cli.store.store import SNAPSHOT_EVERY, Store

    if n < SNAPSHOT_EVERY:
        raise SystemExit(f"sizes below {SNAPSHOT_EVERY} leave no index snapshot to open from")
    Store.create(path, [key], recovery=False).close()
    with _open(path, key, matrix) as store:
        started = time.perf_counter()
        store.remember_many([NewMemory(**item) for item in corpus.synthetic(n)])
        return time.perf_counter() - started


def _disk(path: Path, n: int) -> dict:
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    raw = sum(len(item["text"].encode()) + RAW_EXTRA for item in corpus.synthetic(n))
    return {"bytes": size, "per_memory": size / n, "raw_per_memory": raw / n, "ratio": size / raw}


# -- warm recall -----------------------------------------------------------------------------------


def _recall(store: Any, texts: list[str], given: GivenVectors, real: Any) -> dict:
    """Each query through five paths, their order rotated per query so drift hits all alike."""
    from mnemo_cli.store.recall import EXACT_LIMIT, Query, recall

    def without(mode: str) -> Callable[[str], Any]:
        return lambda q: recall(store.state(), given, Query(text=q, k=K, mode=mode))  # type: ignore[arg-type]

    paths: dict[str, Callable[[str], Any]] = {
        "hybrid_with_embedding": lambda q: store.recall(q, k=K),
        "hybrid_without_embedding": without("hybrid"),
        "vector_with_embedding": lambda q: store.recall(q, k=K, mode="vector"),
        "vector_without_embedding": without("vector"),
        "query_embedding": real.embed_query,
    }
    import numpy as np

    for q in texts[:5]:  # warm-up (the vector index loads on first use), and the seam is the same search
        fresh = real.embed_query(q)
        assert np.allclose(fresh, given.embed_query(q), atol=1e-5)
        if np.array_equal(fresh, given.embed_query(q)):  # else near-ties may swap places
            for mode in ("hybrid", "vector"):
                ids = [h.memory.id for h in store.recall(q, k=K, mode=mode)]
                assert ids == [h.memory.id for h in without(mode)(q)], mode
        for path in paths.values():
            path(q)
    names = list(paths)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i, q in enumerate(texts):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            samples[name].append(timed(partial(paths[name], q)))
    out: dict[str, Any] = {name: summary(values) for name, values in samples.items()}
    out["vector_search"] = "exact" if len(store.state().vectors) <= EXACT_LIMIT else "hnsw"
    return out


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- open against the tail -------------------------------------------------------------------------


def _open_against_tail(path: Path, key: Any, matrix: Any, plan: Plan, tails: Sequence[int]) -> dict:
    """Open time with tails of growing length beyond the snapshot (0 always among them), and
    opening with no snapshot at all."""
    out: dict[str, Any] = {"memories": len(matrix), "tails": [], "replay_all": _replay_all(path, key, plan.replay_runs)}
    appended = 0
    for tail in sorted({0, *tails}):
        if tail > appended:
            _append_tail(path, key, appended, tail - appended, matrix)
            appended = tail
        state, ready = [], []
        for _ in range(plan.open_runs):
            state_s, ready_s = time_open(path, key, expect_tail=tail)
            state.append(state_s)
            ready.append(ready_s)
        out["tails"].append({"tail": tail, "state": summary(state), "vectors_ready": summary(ready)})
    return out


def time_open(path: Path, key: Any, *, expect_tail: int) -> tuple[float, float]:
    """Seconds of `Store.open` + `state()` (from the snapshot and `expect_tail` records after it),
    and then of the vector index's first use."""
    from mnemo_cli.store.store import Store

    gc.collect()
    started = time.perf_counter()
    store = Store.open(path, key)
    state = store.state()
    opened = time.perf_counter()
    state.vectors  # noqa: B018  (loads the index and adds the tail's vectors: what a first recall pays)
    ready = time.perf_counter()
    assert state.loaded_from == "snapshot" and state.tail_frames() == expect_tail, (state.loaded_from, expect_tail)
    store.close()
    return opened - started, ready - opened


def _replay_all(path: Path, key: Any, runs: int) -> dict:
    """Open with the snapshots moved away: the whole log replayed (catalog only, `state()`)."""
    from mnemo_cli.log import layout
    from mnemo_cli.store.store import Store

    index, away = path / layout.INDEX_DIR, path / f"{layout.INDEX_DIR}.away"
    index.rename(away)
    try:
        samples = []
        for _ in range(runs):
            gc.collect()
            started = time.perf_counter()
            with Store.open(path, key) as store:
                assert store.state().loaded_from == "rebuilt"
                samples.append(time.perf_counter() - started)
    finally:
        away.rename(index)
    return summary(samples)


@contextlib.contextmanager
def _snapshots_off() -> Iterator[None]:
    """The engine writes a snapshot once 256 frames lie beyond the newest one, so a longer tail
    cannot be built through the API: this process stops it from writing any while tails are built."""
    from mnemo_cli.store import store as store_module

    saved = store_module.SNAPSHOT_EVERY
    store_module.SNAPSHOT_EVERY = sys.maxsize
    try:
        yield
    finally:
        store_module.SNAPSHOT_EVERY = saved


def _append_tail(path: Path, key: Any, first: int, count: int, matrix: Any) -> None:
    """`count` new memories beyond the snapshot: corpus texts with a suffix (so none is a duplicate),
    each with its corpus row's vector."""
    import numpy as np

    from mnemo_cli.memories import NewMemory

    items = corpus.synthetic(len(matrix))
    rows = [(first + j) % len(matrix) for j in range(count)]
    texts = [f"{items[row]['text']} (follow-up {first + j})" for j, row in enumerate(rows)]
    with _snapshots_off(), _open(path, key, np.asarray(matrix[rows]), texts) as store:
        store.remember_many([NewMemory(text, created_at="2026-01-01T10:00:00Z", tags=["tail"]) for text in texts])


def _open_summary(opens: list[dict]) -> dict:
    """The per-record cost of the tail (least squares over the smallest store's tails) and the
    ratio of opening the largest store to opening the smallest, both with no tail."""
    small, big = opens[0], opens[-1]
    out: dict[str, Any] = {}
    for what in ("state", "vectors_ready"):
        points = [(row["tail"], row[what]["median"]) for row in small["tails"]]
        if len(points) >= 2:
            fit = statistics.linear_regression([p[0] for p in points], [p[1] for p in points])
            out[f"{what}_seconds_per_tail_record"] = fit.slope
        no_tail = [next(r[what]["median"] for r in o["tails"] if r["tail"] == 0) for o in (small, big)]
        out[f"{what}_big_over_small"] = no_tail[1] / no_tail[0]
    out["memories_big_over_small"] = big["memories"] / small["memories"]
    return out


# -- command line ----------------------------------------------------------------------------------


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_ints, default=Plan.sizes)
    parser.add_argument("--tails", type=_ints, default=Plan.tails, help="log tails on the smallest store")
    parser.add_argument("--big-tails", type=_ints, default=Plan.big_tails, help="log tails on the larger stores")
    parser.add_argument("--queries", type=int, default=Plan.queries)
    parser.add_argument("--open-runs", type=int, default=Plan.open_runs)
    parser.add_argument("--replay-runs", type=int, default=Plan.replay_runs)
    parser.add_argument("--crypto-rounds", type=int, default=Plan.crypto_rounds)
    parser.add_argument("--crypto-memories", type=int)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes (default: %(default)s)")
    internal = parser.add_argument_group("one encryption part in this process (what the full run spawns)")
    internal.add_argument("--crypto", choices=("on", "off"))
    internal.add_argument("--memories", type=int)
    internal.add_argument("--work", type=Path)
    internal.add_argument("--cache", type=Path)
    internal.add_argument("--query-vectors", type=Path)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    if args.crypto:
        if not (args.memories and args.work and args.query_vectors):
            parser.error("--crypto needs --memories, --work and --query-vectors")
        corpus.CACHE = args.cache or corpus.CACHE
        args.work.mkdir(parents=True, exist_ok=True)
        from bench import scale_crypto

        measured = scale_crypto.part(
            args.crypto, args.memories, args.queries, args.open_runs, args.query_vectors, args.work
        )
        args.out.write_text(json.dumps(measured) + "\n", encoding="utf-8")
        return
    plan = Plan(
        args.sizes,
        args.tails,
        args.big_tails,
        args.queries,
        args.open_runs,
        args.replay_runs,
        args.crypto_rounds,
        args.crypto_memories,
    )
    with tempfile.TemporaryDirectory(prefix="mnemo-scale-") as folder:
        os.environ["MNEMO_STATE_DIR"] = str(Path(folder) / "state")  # rollback records stay in here
        result = run(plan, Path(folder))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    _report(result)


def _report(result: dict) -> None:
    for row in result["sizes"]:
        r = row["recall"]
        print(
            f"{row['memories']:,}: hybrid p50/p95 {r['hybrid_with_embedding']['median'] * 1e3:.1f}/"
            f"{r['hybrid_with_embedding']['p95'] * 1e3:.1f} ms with the embedding, "
            f"{r['hybrid_without_embedding']['median'] * 1e3:.1f}/{r['hybrid_without_embedding']['p95'] * 1e3:.1f} "
            f"ms without; embedding alone {r['query_embedding']['median'] * 1e3:.1f} ms; "
            f"disk {row['disk']['ratio']:.2f}x raw"
        )
    for o in result["open"]:
        tails = ", ".join(f"tail {t['tail']}: {t['state']['median'] * 1e3:.1f} ms" for t in o["tails"])
        print(f"open {o['memories']:,}: {tails}; whole log replayed: {o['replay_all']['median'] * 1e3:.0f} ms")
    print(f"open: {json.dumps({k: round(v, 6) for k, v in result['open_summary'].items()})}")
    print(f"encrypted / unencrypted: {json.dumps({k: round(v, 3) for k, v in result['crypto']['ratio'].items()})}")


if __name__ == "__main__":
    main()
