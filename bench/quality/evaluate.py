"""Retrieval-quality benchmark: does recall find the turns that answer a question, per mode and per question
kind, and does it find nothing for a question about things never said?

Owns the run (bench/quality/generate.py owns the dataset, metrics.py the measures, fusion.py the fusion
study, report.py the printing). For each seed -- the dev seed 7, on which constants are chosen, and the
held-out seed 1729, on which they are reported -- every turn of the generated conversations becomes one
memory, stored through the real library API (`Store.remember_many`) in a fresh store in a temporary
folder: text "Speaker: text", `created_at` the turn's timestamp, tags [speaker, session-N], meta
{"turn": id}, and `session` "sNN" where the installed API has sessions. Then, for each mode (lexical,
vector, hybrid), every question is asked with `Store.recall(question, k=10, mode=..., min_score=0.0)`
(the lowest floor, so that a default relevance floor hides no rank), with `now` = the dataset's fixed
"now" where the installed `recall` accepts it; the run sets TZ=UTC so that figures do not depend on the
machine's zone.

- hit@k and MRR@10 per kind over the answerable questions (multi_hop: any of its turns; "all@10" both);
  change_of_mind also reports "stale": how often a superseded turn ranks above the latest one;
- latency: `time.perf_counter` around `recall` (query embedding included), median and p95;
- floor (hybrid): at the product's `RELEVANCE_FLOOR` (if the code has one) and over a sweep of thresholds,
  the share of unanswerable questions with nothing at or above it and the share of answerable questions
  whose evidence (first evidence hit in the top 10) scores at or above it;
- baseline: `--baseline` also writes bench/results/quality-baseline.json (per seed, mode and kind);
  every run compares itself with it and flags each figure below it.

The fusion study (fusion.py) runs on the dev seed only.

    python -m bench.quality.evaluate [--seeds 7,1729] [--baseline] [--limit-turns N] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.quality.dataset import ANSWERABLE, KINDS, Question, Turn
from bench.quality.fusion import study
from bench.quality.generate import generate
from bench.quality.metrics import K, Ranking, baseline_figures, compare, floor_report, latency, report, score_rows
from bench.quality.report import print_tables, to_json

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "quality.json"
BASELINE = ROOT / "bench" / "results" / "quality-baseline.json"
MODES = ("lexical", "vector", "hybrid")
DEV_SEED, HELD_OUT_SEED = 7, 1729
CANDIDATES = 100
#: The lowest floor: every hit is returned, whatever default floor the product applies.
NO_FLOOR = 0.0


def api_features() -> dict:
    """What the installed library offers that the benchmark uses when present (issue 15 adds them)."""
    from mnemo_cli.memories import NewMemory
    from mnemo_cli.store import recall
    from mnemo_cli.store.store import Store

    return {
        "session": "session" in {f.name for f in dataclasses.fields(NewMemory)},
        "now": "now" in inspect.signature(Store.recall).parameters,
        "relevance_floor": getattr(recall, "RELEVANCE_FLOOR", None),
    }


def build_store(folder: Path, turns: Sequence[Turn], api: dict) -> tuple[object, float]:
    from mnemo_cli.crypto import secrets
    from mnemo_cli.store.store import NewMemory, Store

    store = Store.create(folder / "store", [secrets.keyfile(os.urandom(32), "bench")])
    items = []
    for t in turns:
        extra = {"session": f"s{t.session:02d}"} if api["session"] else {}
        items.append(
            NewMemory(  # type: ignore[call-arg]
                text=f"{t.speaker}: {t.text}",
                created_at=t.timestamp,
                tags=[t.speaker.lower(), f"session-{t.session}"],
                meta={"turn": t.id},
                **extra,
            )
        )
    started = time.perf_counter()
    # Conversations repeat themselves ("Maya: ok"): every turn is its own memory, as in a chat log.
    added = store.remember_many(items, allow_duplicate=True).added
    seconds = time.perf_counter() - started
    if len(added) != len(items):
        raise SystemExit(f"remember_many stored {len(added)} of {len(items)} turns")
    return store, seconds


def ask(store: object, question: str, k: int, mode: str, now: datetime | None) -> tuple[Ranking, float]:
    extra = {"now": now} if now is not None else {}
    started = time.perf_counter()
    hits = store.recall(question, k=k, mode=mode, min_score=NO_FLOOR, **extra)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    return [(hit.memory.meta.get("turn"), float(hit.score)) for hit in hits], elapsed


def progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        print(f"\r{label}: {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)


def run_seed(seed: int, limit_turns: int | None, api: dict, fusion: bool) -> dict:
    """One seed's dataset, stored and asked in every mode (and the fusion study if `fusion`)."""
    wall = time.perf_counter()
    data = generate(seed)
    turns = data.turns[:limit_turns] if limit_turns else data.turns
    kept = {t.id for t in turns}
    questions: list[Question] = [q for q in data.questions if set(q.evidence) <= kept]
    if not any(q.evidence for q in questions):
        raise SystemExit("no question has all its evidence among the kept turns: raise --limit-turns")
    now = datetime.fromisoformat(data.now) if api["now"] else None

    def when(q: Question) -> datetime | None:
        return (q.now or now) if api["now"] else None

    with tempfile.TemporaryDirectory(prefix="mnemo-quality-") as tmp:
        store, ingest_seconds = build_store(Path(tmp), turns, api)
        print(f"seed {seed}: stored {len(turns)} turns in {ingest_seconds:.1f} s", file=sys.stderr)
        try:
            warm = {}
            for mode in MODES:  # the first call loads the model and the index: timed apart
                _, warm[mode] = ask(store, "warm up", K, mode, now)
            top: dict[str, dict[str, Ranking]] = {mode: {} for mode in MODES}
            times: dict[str, list[float]] = {mode: [] for mode in MODES}
            for mode in MODES:
                for i, q in enumerate(questions, start=1):
                    top[mode][q.qid], seconds = ask(store, q.question, K, mode, when(q))
                    times[mode].append(seconds)
                    progress(f"seed {seed} {mode:8} k={K}", i, len(questions))
            pools: dict[str, dict[str, Ranking]] = {"vector": {}, "lexical": {}}
            pool_times: dict[str, list[float]] = {"vector": [], "lexical": []}
            if fusion:
                answerable = [q for q in questions if q.kind in ANSWERABLE]
                for mode in pools:
                    for i, q in enumerate(answerable, start=1):
                        pools[mode][q.qid], seconds = ask(store, q.question, CANDIDATES, mode, when(q))
                        pool_times[mode].append(seconds)
                        progress(f"seed {seed} {mode:8} k={CANDIDATES}", i, len(answerable))
        finally:
            store.close()  # type: ignore[attr-defined]

    modes, rows_by_mode = {}, {}
    for mode in MODES:
        rows_by_mode[mode] = score_rows(questions, top[mode])
        modes[mode] = {**report(rows_by_mode[mode]), "latency": latency(times[mode]), "first_call_ms": warm[mode] * 1e3}
    fusion_result = None
    if fusion:
        hybrid_top = {qid: [t for t, _ in ranking] for qid, ranking in top["hybrid"].items()}
        fusion_result = study(questions, pools, hybrid_top)
    per_fusion = fusion_result.pop("per_question") if fusion_result else {}

    per_question = []
    for i, q in enumerate(questions):
        row = {
            "qid": q.qid,
            "kind": q.kind,
            "question": q.question,
            "evidence": q.evidence,
            "superseded": q.superseded,
            "ranks": {mode: rows_by_mode[mode][i]["ranks"] for mode in MODES},
            "hybrid": [[turn, round(score, 4)] for turn, score in top["hybrid"][q.qid]],
            **per_fusion.get(q.qid, {}),
        }
        per_question.append(row)

    return {
        "seed": seed,
        "role": "dev" if seed == DEV_SEED else "held-out" if seed == HELD_OUT_SEED else "other",
        "dataset": {
            "turns": len(turns),
            "sessions": len({t.session for t in turns}),
            "first_session": data.session_dates[0],
            "last_session": data.session_dates[max(t.session for t in turns) - 1],
            "now": data.now,
            "questions": len(questions),
            "by_kind": {kind: sum(q.kind == kind for q in questions) for kind in KINDS},
            "limit_turns": limit_turns,
        },
        "timing": {
            "ingest_seconds": ingest_seconds,
            "turns_per_second": len(turns) / ingest_seconds,
            "candidate_latency": {mode: latency(pool_times[mode]) for mode in pools if pool_times[mode]},
            "total_seconds": time.perf_counter() - wall,
        },
        "modes": modes,
        "floor": floor_report(rows_by_mode["hybrid"], api["relevance_floor"]),
        "fusion": fusion_result,
        "questions": per_question,
    }


def run(seeds: Sequence[int], limit_turns: int | None) -> dict:
    os.environ["TZ"] = "UTC"  # dates and "last week" are then the same on every machine
    time.tzset()
    api = api_features()
    started = time.perf_counter()
    runs = {str(seed): run_seed(seed, limit_turns, api, fusion=(seed == seeds[0])) for seed in seeds}

    from mnemo_cli import __version__
    from mnemo_cli.embed.model_files import MODEL_ID

    return {
        "benchmark": "retrieval quality",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mnemo_version": __version__,
        "model_id": MODEL_ID,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "k": K,
        "candidates": CANDIDATES,
        "min_score": NO_FLOOR,
        "api": api,
        "seeds": [str(seed) for seed in seeds],
        "total_seconds": time.perf_counter() - started,
        "runs": runs,
    }


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of seeds: {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seed given")
    return seeds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retrieval-quality benchmark over the real Store API.")
    parser.add_argument(
        "--seeds",
        type=_seeds,
        default=[DEV_SEED, HELD_OUT_SEED],
        help="comma-separated seeds; the first is the dev seed (fusion study), default 7,1729",
    )
    parser.add_argument("--baseline", action="store_true", help=f"also write this run's figures to {BASELINE}")
    parser.add_argument("--baseline-file", type=Path, default=BASELINE, help=argparse.SUPPRESS)
    parser.add_argument("--limit-turns", type=int, default=None, help="store only the first N turns (quick check)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.seeds, args.limit_turns)
    figures = baseline_figures(result)
    if args.baseline:
        args.baseline_file.parent.mkdir(parents=True, exist_ok=True)
        baseline = {
            "benchmark": "retrieval quality baseline",
            "created": result["created"],
            "mnemo_version": result["mnemo_version"],
            "api": result["api"],
            "seeds": figures,
        }
        args.baseline_file.write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    if args.baseline_file.is_file():
        baseline = json.loads(args.baseline_file.read_text(encoding="utf-8"))
        result["baseline"] = {
            "created": baseline["created"],
            "mnemo_version": baseline["mnemo_version"],
            **compare(figures, baseline["seeds"]),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_json(result), encoding="utf-8")
    print_tables(result)
    print(f"\nwrote {args.out}" + (f" and {args.baseline_file}" if args.baseline else ""))


if __name__ == "__main__":
    main()
