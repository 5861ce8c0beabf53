"""Start-up benchmark: the cost of a `mnemo` process before it does any work, venv against binary.

Every command is run N times, round-robin (so drift on this shared machine hits all of them alike),
against a baseline measured in the same run: a bare interpreter start (`python -c pass`). The binary's
first model-using run, which unpacks its runtime into the cache, is timed with an empty cache
folder each time. Also measures, in-process, what hashing `model.onnx` on every call would add to
loading the model, and what any binary carries at least (the model's files and onnxruntime's
libraries, uncompressed).
Writes bench/results/startup.json with the raw samples; bench/render.py turns it into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import summary, time_process

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BINARY = ROOT / "dist" / "mnemo"
RESULTS = ROOT / "bench" / "results" / "startup.json"
FIRST_RUN = "binary: mnemo doctor, first run (unpacks the runtime)"


def process_bench(runs: int, with_binary: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="mnemo-bench-"))
    env = {**os.environ, "MNEMO_HOME": str(workdir / "store"), "HF_HUB_OFFLINE": "1"}
    cases = {
        "python -c pass (baseline)": [str(VENV_BIN / "python"), "-c", "pass"],
        "venv: mnemo --version": [str(VENV_BIN / "mnemo"), "--version"],
        "venv: mnemo --help": [str(VENV_BIN / "mnemo"), "--help"],
        "venv: mnemo doctor": [str(VENV_BIN / "mnemo"), "doctor"],
    }
    if with_binary:
        cases["binary: mnemo --version"] = [str(BINARY), "--version"]
        cases["binary: mnemo --help"] = [str(BINARY), "--help"]
        cases["binary: mnemo doctor"] = [str(BINARY), "doctor"]
        # The binary's first model-using command unpacks its runtime into the cache (once per
        # user and build); each sample of this case gets an empty cache folder.
        cases[FIRST_RUN] = [str(BINARY), "doctor"]
    for argv in cases.values():  # warm the page cache and the model folder once
        time_process(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            fresh = {"MNEMO_CACHE_DIR": tempfile.mkdtemp(prefix="cache-", dir=workdir)} if name == FIRST_RUN else {}
            samples[name].append(time_process(argv, {**env, **fresh}))
    baseline = statistics.median(samples["python -c pass (baseline)"])
    return {
        name: {
            **summary(values),
            "ratio_to_baseline": statistics.median(values) / baseline,
            "samples": values,
        }
        for name, values in samples.items()
    }


def hash_vs_load(runs: int) -> dict:
    """Per-call sha256 of model.onnx against the model load it would precede (same process)."""
    from mnemo_cli.embed import model_files
    from mnemo_cli.embed.embedder import Embedder

    folder = model_files.resolve_model_dir()
    hashes, stats, loads = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        model_files.sha256_of(folder / "model.onnx")
        hashes.append(time.perf_counter() - started)
        started = time.perf_counter()
        model_files.resolve_model_dir()
        stats.append(time.perf_counter() - started)
        started = time.perf_counter()
        Embedder().load()
        loads.append(time.perf_counter() - started)
    load = statistics.median(loads)
    return {
        "sha256 of model.onnx": {**summary(hashes), "ratio_to_load": statistics.median(hashes) / load},
        "stamp check (resolve_model_dir)": {
            **summary(stats),
            "ratio_to_load": statistics.median(stats) / load,
        },
        "model load (Embedder().load())": {**summary(loads), "ratio_to_load": 1.0},
        "samples": {"hash": hashes, "stamp": stats, "load": loads},
    }


def carried_bytes() -> int:
    """What any build of the one-file binary carries at least, uncompressed: the embedded model's
    files and onnxruntime's shared libraries (the same-run baseline of its size, bench/goals.py)."""
    import onnxruntime

    from mnemo_cli.embed import model_files

    folder = model_files.resolve_model_dir()
    capi = Path(onnxruntime.__file__).parent / "capi"
    libraries = [p for p in capi.iterdir() if p.suffix == ".dylib" or ".so" in p.suffixes]  # libonnxruntime.so.1.x
    model = sum((folder / name).stat().st_size for name in model_files.EXPECTED)
    return model + sum(p.stat().st_size for p in libraries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with_binary = BINARY.is_file()
    if not with_binary:
        print("dist/mnemo not found: run `make binary` to include the binary", file=sys.stderr)
    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "runs": args.runs,
        "processes": process_bench(args.runs, with_binary),
        "model_check": hash_vs_load(max(5, args.runs // 3)),
        "binary_bytes": BINARY.stat().st_size if with_binary else None,
        "carried_bytes": carried_bytes(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, row in result["processes"].items():
        print(
            f"{name:32} median {row['median'] * 1000:7.1f} ms  p95 {row['p95'] * 1000:7.1f} ms  "
            f"×{row['ratio_to_baseline']:.2f} of baseline"
        )
    for name, row in result["model_check"].items():
        if name != "samples":
            share = row["ratio_to_load"] * 100
            print(f"{name:32} median {row['median'] * 1000:7.2f} ms  = {share:.1f}% of a load")


if __name__ == "__main__":
    main()
