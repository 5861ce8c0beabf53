"""Cold `mnemo recall`, split into phases: start-up, argument parsing, unlock, open, model, query.

Builds a store of N synthetic memories (10k by default; `bench.corpus` vectors through
`CachedEmbedder`, so the build does not wait for the model) with two key slots: a keyfile and a
passphrase at the default Argon2id parameters. Then runs, round-robin (drift on this shared
machine hits every case alike), `mnemo recall QUERY -k 5` as a process from the venv and, when
present, from the one-file binary, unlocked by `MNEMO_KEYFILE` and by `MNEMO_PASSPHRASE_FILE`,
with `MNEMO_TIMINGS=1`, beside the baseline `mnemo --version`. Each run's wall time is measured
from outside and its timings line (docs/cli.md, `MNEMO_TIMINGS`) parsed:

- start-up = `process - main`: interpreter (or bootloader) start plus `import`, loading the CLI;
- parsing = `main` minus the phases timed in the main thread: Typer parsing and dispatch;
- then the phases (`imports`, `unlock`, `open`, `model`, `embed`, `vectors`, `search`, `render`); with
  the model loading in a background thread, `model` is the main thread's wait for it and the
  thread's own phases show as `bg:runtime` (its libraries) and `bg:model`;
- exit = wall - `process`: interpreter shutdown after the report (and the spawn, which is small).

One more venv case loads the model without the background thread (`NO_PRELOAD`), as a baseline
for what the overlap buys where a core is free. And the opt-in warm path: `mnemo agent` started
once for the store (keyfile), then `mnemo recall` from the venv and the binary with no secret at
all, so a call the agent did not answer fails instead of quietly running cold. Every other case
runs with `MNEMO_NO_AGENT=1`.

The floor (issue 17), in the same round-robin: a fresh `python` from the venv that imports
onnxruntime, loads the embedded model with mnemo's own `OnnxText` (mnemo_cli/embed/onnx_text.py,
loaded from its file so that no other mnemo module comes with it) from the folder
`resolve_model_dir()` gives mnemo, and embeds the run's query: what any cold recall must pay at
least. Every process is spawned through `bench.measure.run_measured`, which also reads its peak
resident memory (`ru_maxrss`).

Writes bench/results/cold.json (every run's raw figures); `cold_tables(result)` renders it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.corpus import CachedEmbedder, queries, synthetic, vectors
from bench.measure import run_measured, summary

ROOT = Path(__file__).resolve().parent.parent
VENV_MNEMO = ROOT / ".venv" / "bin" / "mnemo"
BINARY = ROOT / "dist" / "mnemo"
RESULTS = ROOT / "bench" / "results" / "cold.json"
PREFIX = "mnemo: timings: "
PASSPHRASE = "a cold benchmark passphrase"
#: Rows of the table, in the order a process goes through them.
PHASES = ("imports", "unlock", "runtime", "open", "model", "embed", "vectors", "search", "render")
#: The timings line's keys that are not phases of the main thread.
TOTALS = ("import", "main", "process")
TARGET_SECONDS = 0.6
#: The venv's mnemo with the model loaded in the caller's thread (no `Preload`): the baseline that
#: shows what the background load buys on this machine (compare wall and main, not the phases).
NO_PRELOAD = (
    "import sys; from mnemo_cli.cli.app import main; from mnemo_cli.store import store; "
    "opener = store.Store.open.__func__; "
    "store.Store.open = classmethod(lambda cls, *a, **k: opener(cls, *a, **{**k, 'preload_model': False})); "
    "sys.argv[0] = 'mnemo'; main()"
)
FLOOR_CASE = "floor: python, onnxruntime, model, one query"
#: argv[1]: onnx_text.py, argv[2]: the model folder, argv[3]: the query.
FLOOR = (
    "import importlib.util, pathlib, sys; import onnxruntime; "
    "spec = importlib.util.spec_from_file_location('onnx_text', sys.argv[1]); "
    "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
    "next(module.OnnxText(pathlib.Path(sys.argv[2])).query_embed(sys.argv[3]))"
)


def build_store(work: Path, memories: int) -> dict[str, Path]:
    """A store of `memories` synthetic memories with a keyfile slot and a default-Argon2id passphrase slot."""
    from mnemo_cli.crypto import secrets
    from mnemo_cli.memories import NewMemory
    from mnemo_cli.store.store import Store

    keyfile = work / "bench.key"
    keyfile.write_bytes(os.urandom(32))
    keyfile.chmod(0o600)
    passfile = work / "bench.pass"
    passfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
    passfile.chmod(0o600)
    key = secrets.keyfile(keyfile.read_bytes(), "bench")
    path = work / "store"
    Store.create(path, [key, secrets.passphrase(PASSPHRASE, "bench")], kdf="default", recovery=False).close()
    items = synthetic(memories)
    embedder = CachedEmbedder([item["text"] for item in items], vectors(memories))
    with Store.open(path, key, embedder=embedder) as store:
        store.remember_many([NewMemory(**item) for item in items])
    return {"store": path, "keyfile": keyfile, "passfile": passfile}


def cases(files: dict[str, Path], binary: Path | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Name → (argv without the query, extra environment)."""
    keyfile = {"MNEMO_KEYFILE": str(files["keyfile"])}
    passphrase = {"MNEMO_PASSPHRASE_FILE": str(files["passfile"])}
    programs = {"venv": str(VENV_MNEMO)}
    if binary is not None:
        programs["binary"] = str(binary)
    from mnemo_cli.embed import model_files, onnx_text

    floor = [str(VENV_MNEMO.with_name("python")), "-c", FLOOR, onnx_text.__file__, str(model_files.resolve_model_dir())]
    found: dict[str, tuple[list[str], dict[str, str]]] = {FLOOR_CASE: (floor, {"ORT_DISABLE_TELEMETRY": "1"})}
    cold = {"MNEMO_NO_AGENT": "1"}
    for kind, program in programs.items():
        found[f"{kind}: mnemo --version"] = ([program, "--version"], cold)
        found[f"{kind}: recall, keyfile"] = ([program, "recall"], {**keyfile, **cold})
        found[f"{kind}: recall, passphrase"] = ([program, "recall"], {**passphrase, **cold})
    found["venv: recall, keyfile, no preload"] = (
        [str(VENV_MNEMO.with_name("python")), "-c", NO_PRELOAD, "recall"],
        {**keyfile, **cold},
    )
    for kind, program in programs.items():
        found[f"{kind}: recall, agent"] = ([program, "recall"], {})
    return found


def agent(command: str, env: dict[str, str], keyfile: Path | None = None) -> None:
    """`mnemo agent start|stop` for the bench's store (the venv's mnemo; the binary's clients use it too)."""
    extra = {"MNEMO_KEYFILE": str(keyfile)} if keyfile else {}
    argv = [str(VENV_MNEMO), "agent", command] + (["--idle-timeout", "1h"] if command == "start" else [])
    done = subprocess.run(argv, env={**env, **extra}, capture_output=True, text=True)
    if command == "start" and done.returncode != 0:
        raise SystemExit(f"mnemo agent start failed: {done.stderr.strip()}")


def run_once(argv: list[str], env: dict[str, str], query: str) -> dict:
    """One process: its wall time (s), peak RSS (KiB) and timings line (ms; none for the floor), or a
    failure that stops the benchmark."""
    floor = FLOOR in argv
    if argv[-1] == "recall":
        argv = [*argv, query, "-k", "5"]
    elif floor:
        argv = [*argv, query]
    wall, maxrss, code, stderr = run_measured(argv, env)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {stderr.strip()}")
    if floor:
        return {"wall": wall, "maxrss_kib": maxrss, "timings": {}}
    lines = [line for line in stderr.splitlines() if line.startswith(PREFIX)]
    if not lines:
        raise SystemExit(f"{argv[0]} wrote no timings line: is it older than MNEMO_TIMINGS? (make binary)")
    return {"wall": wall, "maxrss_kib": maxrss, "timings": json.loads(lines[-1].removeprefix(PREFIX))}


def timed(program: Path) -> bool:
    """Whether `program` writes a timings line (a binary built before MNEMO_TIMINGS does not)."""
    env = {**os.environ, "MNEMO_TIMINGS": "1"}
    done = subprocess.run([str(program), "--version"], env=env, capture_output=True, text=True)
    return done.returncode == 0 and PREFIX in done.stderr


def derived(run: dict) -> dict[str, float]:
    """One run's figures in ms: wall, start-up, import, parsing and every phase; its peak RSS in MiB."""
    t = run["timings"]
    memory = {"peak_rss": run["maxrss_kib"] / 1024} if "maxrss_kib" in run else {}
    if not t:  # the floor: no timings line
        return {"wall": run["wall"] * 1000, **memory}
    main_phases = {name: value for name, value in t.items() if name not in TOTALS and not name.startswith("bg:")}
    figures = {
        "wall": run["wall"] * 1000,
        "startup": t["process"] - t["main"],
        "import": t["import"],
        "parsing": t["main"] - sum(main_phases.values()),
        "main": t["main"],
        "process": t["process"],
        "exit": run["wall"] * 1000 - t["process"],
    }
    figures.update({name: value for name, value in t.items() if name not in TOTALS})
    return {**figures, **memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--binary", type=Path, default=BINARY, help="the one-file binary (default: dist/mnemo)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    for name in [n for n in os.environ if n.startswith("MNEMO_") and n != "MNEMO_CACHE_DIR"]:
        del os.environ[name]  # no weakened KDF, no secret or store of the caller's
    work = Path(tempfile.mkdtemp(prefix="mnemo-cold-"))
    os.environ["MNEMO_STATE_DIR"] = str(work / "state")  # the bench's rollback records, not the user's
    binary = args.binary if args.binary.is_file() else None
    if binary is None:
        print(f"{args.binary} not found: run `make binary` to include the binary", file=sys.stderr)
    elif not timed(binary):
        print(f"{args.binary} predates MNEMO_TIMINGS: run `make binary` to include it", file=sys.stderr)
        binary = None

    started = time.perf_counter()
    files = build_store(work, args.memories)
    print(f"built a store of {args.memories:,} memories in {time.perf_counter() - started:.0f} s")
    env = {**os.environ, "MNEMO_HOME": str(files["store"]), "MNEMO_TIMINGS": "1"}
    todo = cases(files, binary)
    asked = queries(args.runs + 1)
    env["XDG_RUNTIME_DIR"] = str(work / "run")  # the bench's agent socket, never the user's agent
    (work / "run").mkdir(mode=0o700)
    agent("start", env, files["keyfile"])
    try:
        for argv, extra in todo.values():  # page cache, model folder, first-run files, the agent's model
            run_once(argv, {**env, **extra}, asked[-1])
        runs: dict[str, list[dict]] = {name: [] for name in todo}
        for i in range(args.runs):
            for name, (argv, extra) in todo.items():
                runs[name].append(run_once(argv, {**env, **extra}, asked[i]))
    finally:
        agent("stop", env)

    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "memories": args.memories,
        "runs": args.runs,
        "target_seconds": TARGET_SECONDS,
        "cases": {name: {"runs": samples, "ms": stats(samples)} for name, samples in runs.items()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(cold_tables(result))


def stats(samples: list[dict]) -> dict[str, dict]:
    """Median and p95 (ms) of each figure over the runs (a phase a run skipped counts as 0 there)."""
    figures = [derived(run) for run in samples]
    names = list(dict.fromkeys(name for f in figures for name in f))
    return {
        name: {key: value for key, value in summary([f.get(name, 0.0) for f in figures]).items() if key != "samples"}
        for name in names
    }


def cold_tables(result: dict) -> str:
    """Markdown for docs/performance.md (suggested block: `<!-- generated:cold -->`)."""
    cases = result["cases"]
    recalls = [name for name in cases if "recall" in name]
    rows = [
        f"{result['memories']:,} synthetic memories (bench/cold.py), {result['runs']} runs per case, round-robin, "
        f"on {result['machine']['platform']}, {result['machine']['cpus']} CPUs. Median / p95 in ms (peak RSS in MiB).",
        "",
        "| phase | " + " | ".join(f"`{name}`" for name in recalls) + " |",
        "| --- |" + " ---: |" * len(recalls),
    ]

    def cell(name: str, figure: str) -> str:
        row = cases[name]["ms"].get(figure)
        if not row:
            return "–"
        digits = 1 if row["p95"] < 10 else 0
        return f"{row['median']:.{digits}f} / {row['p95']:.{digits}f}"

    labels = {
        "startup": "start-up (process − main)",
        "import": "… of which loading the CLI",
        "parsing": "argument parsing (main − phases)",
        **{phase: phase for phase in PHASES},
    }
    background = sorted({f for name in recalls for f in cases[name]["ms"] if f.startswith("bg:")})
    labels.update({name: f"{name.removeprefix('bg:')} (background thread)" for name in background})
    labels["process"] = "whole process (timings line)"
    labels["exit"] = "exit (wall − process)"
    labels["wall"] = "whole process (wall, from outside)"
    labels["peak_rss"] = "peak RSS (MiB)"
    if not any("peak_rss" in cases[name]["ms"] for name in recalls):
        del labels["peak_rss"]  # results from before the memory was measured
    for figure, label in labels.items():
        rows.append(f"| {label} | " + " | ".join(cell(name, figure) for name in recalls) + " |")
    baselines = [f"{name.split(':')[0]}: mnemo --version" for name in recalls]
    rows.append("| baseline: `mnemo --version` (wall) | " + " | ".join(cell(b, "wall") for b in baselines) + " |")
    if FLOOR_CASE in cases:
        rows += _floor_rows(cases, recalls, cell)
    rows += ["", "| budget | figure | met |", "| --- | ---: | :---: |"]
    binary = cases.get("binary: recall, keyfile")
    if binary is not None:
        seconds = binary["ms"]["wall"]["median"] / 1000
        rows.append(
            f"| cold `mnemo recall` from the binary, keyfile, ≤ {result['target_seconds']} s | {seconds:.2f} s | "
            f"{'yes' if seconds <= result['target_seconds'] else 'no'} |"
        )
    for name in recalls:
        if name.endswith("keyfile"):
            ms = cases[name]["ms"]
            storage = ms["open"]["median"] + ms.get("vectors", {"median": 0.0})["median"]
            loading = ("bg:runtime", "bg:model") if "bg:model" in ms else ("model",)  # in a thread, or not
            model = sum(ms[name]["median"] for name in loading if name in ms)
            share = storage / model if model else float("inf")
            rows.append(
                f"| `{name}`: storage work (open + vectors) ≤ 20% of the model load | {share * 100:.0f}% | "
                f"{'yes' if share <= 0.2 else 'no'} |"
            )
    for kind in ("venv", "binary"):
        warm = cases.get(f"{kind}: recall, agent")
        if warm is not None:
            seconds = warm["ms"]["wall"]["median"] / 1000
            ok = "yes" if seconds <= result["target_seconds"] else "no"
            rows.append(
                f"| `mnemo recall` from the {kind} with `mnemo agent` running ≤ 0.6 s | {seconds:.2f} s | {ok} |"
            )
    with_thread, without = cases.get("venv: recall, keyfile"), cases.get("venv: recall, keyfile, no preload")
    if with_thread and without:
        saved = without["ms"]["wall"]["median"] - with_thread["ms"]["wall"]["median"]
        rows.append(f"| the model loading in a background thread saves (venv, keyfile, wall) | {saved:.0f} ms | – |")
    return "\n".join(rows)


def _floor_rows(cases: dict, recalls: list[str], cell: Callable[[str, str], str]) -> list[str]:
    """The floor's wall time and peak RSS under every recall column, and each recall's ratio (medians) to them."""
    floor = cases[FLOOR_CASE]["ms"]
    rows = []
    for figure, label in (("wall", "wall"), ("peak_rss", "peak RSS")):
        ratios = []
        for name in recalls:
            row = cases[name]["ms"].get(figure)
            ratios.append(f"{row['median'] / floor[figure]['median']:.2f}" if row and figure in floor else "–")
        same = cell(FLOOR_CASE, figure)
        rows.append(f"| baseline: the floor ({label}) | " + " | ".join(same for _ in recalls) + " |")
        rows.append(f"| {label} × the floor (medians) | " + " | ".join(ratios) + " |")
    return rows


if __name__ == "__main__":
    main()
