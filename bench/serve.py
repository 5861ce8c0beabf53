"""Warm recall through `mnemo serve` (MCP over stdio), against warm recall in-process, in one run.

Builds a store of N synthetic memories (10k by default; `bench.corpus` vectors through
`CachedEmbedder`, so the build does not wait for the model) unlocked by a keyfile. Then:

- starts `mnemo serve` (the venv's; the one-file binary's too when present) `--starts` times with
  the MCP SDK's client, timing from the spawn to the `initialize` answer (the handshake) and to
  the answer of a first hybrid recall (the model loaded and one query embedded: "model ready");
- through the first server of each program, `--calls` recall tool calls (hybrid, k = 5, the query
  embedding included; `bench.corpus.queries`), each timed from the client's `call_tool` to its
  answer, the JSON parsed;
- the baseline, in the same run: the same queries through a warm in-process `Store.recall` on the
  same store (the real embedded model), one server call and one in-process call per query in turn,
  so drift on this shared machine hits both alike.

Writes bench/results/serve.json (raw samples too); `serve_tables(result)` renders it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.corpus import CachedEmbedder, queries, synthetic, vectors
from bench.measure import summary

ROOT = Path(__file__).resolve().parent.parent
VENV_MNEMO = ROOT / ".venv" / "bin" / "mnemo"
BINARY = ROOT / "dist" / "mnemo"
RESULTS = ROOT / "bench" / "results" / "serve.json"
K = 5
#: Warm-up queries per path before timing (the vector index loads on first use).
WARMUP = 5
#: The architecture's budget: warm recall at 10k, p95, query embedding included.
BUDGET_P95 = 0.010


def build_store(work: Path, memories: int) -> tuple[Path, Path]:
    """A store of `memories` synthetic memories opened by a keyfile: (store, keyfile)."""
    from mnemo_cli.crypto import secrets
    from mnemo_cli.memories import NewMemory
    from mnemo_cli.store.store import Store

    keyfile = work / "bench.key"
    keyfile.write_bytes(os.urandom(32))
    keyfile.chmod(0o600)
    key = secrets.keyfile(keyfile.read_bytes(), "bench")
    path = work / "store"
    Store.create(path, [key], recovery=False).close()
    items = synthetic(memories)
    embedder = CachedEmbedder([item["text"] for item in items], vectors(memories))
    with Store.open(path, key, embedder=embedder) as store:
        store.remember_many([NewMemory(**item) for item in items])
    return path, keyfile


async def start(program: Path, env: dict[str, str], stack: Any) -> tuple[Any, float, float]:
    """A connected session to `program serve`: (session, seconds to the handshake, seconds to the
    first embedding answer), both from the spawn."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=str(program), args=["serve", "--read-only"], env=env)
    started = time.perf_counter()
    read, write = await stack.enter_async_context(stdio_client(params))
    session = await stack.enter_async_context(ClientSession(read, write, read_timeout_seconds=300))
    await session.initialize()
    handshake = time.perf_counter() - started
    await recall(session, "what is on my mind?")
    return session, handshake, time.perf_counter() - started


async def recall(session: Any, query: str) -> list[dict]:
    result = await session.call_tool("recall", {"query": query, "k": K})
    if result.is_error:
        raise SystemExit(f"recall through mnemo serve failed: {result.content[0].text}")
    hits: list[dict] = json.loads(result.content[0].text)
    return hits


async def measure(programs: dict[str, Path], env: dict[str, str], store: Any, args: argparse.Namespace) -> dict:
    from contextlib import AsyncExitStack

    asked = queries(args.calls + WARMUP)
    servers: dict[str, dict] = {}
    in_process: list[float] = []
    for kind, program in programs.items():
        handshakes, ready = [], []
        for attempt in range(args.starts):
            async with AsyncExitStack() as stack:
                session, handshake, model = await start(program, env, stack)
                handshakes.append(handshake)
                ready.append(model)
                if attempt:
                    continue
                for query in asked[:WARMUP]:
                    await recall(session, query)
                    store.recall(query, k=K)  # loads the model in this process on the first query
                calls = []
                for query in asked[WARMUP:]:
                    began = time.perf_counter()
                    await recall(session, query)
                    calls.append(time.perf_counter() - began)
                    if kind == "venv":  # the baseline, in turn with the venv server's calls
                        began = time.perf_counter()
                        store.recall(query, k=K)
                        in_process.append(time.perf_counter() - began)
        servers[kind] = {
            "handshake": summary(handshakes),
            "model_ready": summary(ready),
            "recall": summary(calls),
        }
    return {"servers": servers, "in_process": summary(in_process)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3, help="server starts timed per program")
    parser.add_argument("--binary", type=Path, default=BINARY, help="the one-file binary (default: dist/mnemo)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    for name in [n for n in os.environ if n.startswith("MNEMO_") and n != "MNEMO_CACHE_DIR"]:
        del os.environ[name]  # no secret, store or agent of the caller's
    work = Path(tempfile.mkdtemp(prefix="mnemo-serve-"))
    os.environ["MNEMO_STATE_DIR"] = str(work / "state")  # the bench's rollback records, not the user's
    programs = {"venv": VENV_MNEMO}
    if args.binary.is_file():
        programs["binary"] = args.binary
    else:
        print(f"{args.binary} not found: run `make binary` to include the binary", file=sys.stderr)

    started = time.perf_counter()
    path, keyfile = build_store(work, args.memories)
    print(f"built a store of {args.memories:,} memories in {time.perf_counter() - started:.0f} s")
    env = {name: value for name, value in os.environ.items() if name.startswith(("MNEMO_", "HF_"))}
    env.update({"MNEMO_HOME": str(path), "MNEMO_KEYFILE": str(keyfile), "MNEMO_NO_AGENT": "1"})

    import anyio

    from mnemo_cli.crypto import secrets
    from mnemo_cli.store.store import Store

    with Store.open(path, secrets.keyfile(keyfile.read_bytes(), "bench")) as store:
        measured = anyio.run(measure, programs, env, store, args)
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "memories": args.memories,
        "calls": args.calls,
        "starts": args.starts,
        "k": K,
        **measured,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(serve_tables(result))


def serve_tables(result: dict) -> str:
    """Markdown for docs/performance.md (block `<!-- generated:serve -->`)."""

    def ms(row: dict, key: str = "median") -> str:
        value = row[key] * 1000
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"

    base = result["in_process"]
    rows = [
        f"{result['memories']:,} synthetic memories (bench/serve.py), keyfile unlock, {result['calls']} recall tool "
        f"calls per server (hybrid, k = {result['k']}, query embedding included), one server call and one "
        f"in-process call per query in turn, on {result['machine']['platform']}, {result['machine']['cpus']} CPUs.",
        "",
        "| warm recall | p50 | p95 | p50 × in-process |",
        "| --- | ---: | ---: | ---: |",
        f"| baseline: `Store.recall` in-process, warm | {ms(base)} | {ms(base, 'p95')} | 1.00 |",
    ]
    for kind, server in result["servers"].items():
        row = server["recall"]
        rows.append(
            f"| `mnemo serve` ({kind}), MCP `recall` tool call | {ms(row)} | {ms(row, 'p95')} "
            f"| {row['median'] / base['median']:.2f} |"
        )
    rows += [
        "",
        f"| server start ({result['starts']} starts, medians) | handshake answered | first recall answered "
        "(model ready) |",
        "| --- | ---: | ---: |",
    ]
    for kind, server in result["servers"].items():
        rows.append(f"| `mnemo serve` ({kind}) | {ms(server['handshake'])} | {ms(server['model_ready'])} |")
    if result["memories"] == 10_000:
        p95 = result["servers"]["venv"]["recall"]["p95"]
        met = "met" if p95 <= BUDGET_P95 else "not met"
        rows += ["", f"Budget: warm recall through the server at 10k, p95 ≤ 10 ms: {p95 * 1000:.1f} ms, {met}."]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
