"""The quality benchmark's measures: ranks of the evidence, hit@k and MRR@10 per kind, latency, and the
relevance floor (does nothing score above it for an unanswerable question, does the evidence stay above
it for an answerable one), plus the comparison with a baseline run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from bench.quality.dataset import ANSWERABLE, Question

K = 10
#: Thresholds of the floor sweep: 0.0, 0.05, ... 0.9.
SWEEP = tuple(round(0.05 * i, 2) for i in range(19))

#: A figure counts as below the baseline only when it drops by more than this: two runs of the same code
#: differ by a few rank flips (vector scores vary in the last bits between processes), measured at up to
#: 0.003 in a kind's MRR@10 and one question in a kind's hit@10.
NOISE = 0.015

Ranking = list[tuple[str, float]]  # (turn id, score), best first


def evidence_ranks(ranked: Sequence[str], evidence: Sequence[str], depth: int = K) -> list[int | None]:
    """1-based rank of each evidence turn within the first `depth` ids, None where absent."""
    position = {turn: i for i, turn in enumerate(ranked[:depth], start=1)}
    return [position.get(turn) for turn in evidence]


def first_rank(ranks: Sequence[int | None]) -> int | None:
    found = [r for r in ranks if r is not None]
    return min(found) if found else None


def summarise(rows: Sequence[dict]) -> dict:
    """hit@1/5/10 and MRR@10 over rows carrying "first" (rank or None), plus the extras of some kinds."""
    n = len(rows)
    if n == 0:
        return {"n": 0}
    firsts = [row["first"] for row in rows]
    rr = [1.0 / r if r is not None else 0.0 for r in firsts]
    out = {
        "n": n,
        "hit@1": sum(r is not None and r <= 1 for r in firsts) / n,
        "hit@5": sum(r is not None and r <= 5 for r in firsts) / n,
        "hit@10": sum(r is not None and r <= 10 for r in firsts) / n,
        "mrr": sum(rr) / n,
        "mrr_se": statistics.stdev(rr) / math.sqrt(n) if n > 1 else 0.0,
    }
    if any("all" in row for row in rows):
        multi = [row["all"] for row in rows if "all" in row]
        out["all@10"] = sum(multi) / len(multi)
    if any("stale" in row for row in rows):
        stale = [row["stale"] for row in rows if "stale" in row]
        out["stale_above_latest"] = sum(stale) / len(stale)
    return out


def score_rows(questions: Sequence[Question], ranked: dict[str, Ranking]) -> list[dict]:
    """Per question: the evidence ranks in `ranked[qid]` (top K), the scores the floor needs, and what
    summarise needs."""
    rows = []
    for q in questions:
        hits = ranked[q.qid][:K]
        ids = [turn for turn, _ in hits]
        ranks = evidence_ranks(ids, q.evidence)
        first = first_rank(ranks)
        row: dict = {
            "qid": q.qid,
            "kind": q.kind,
            "ranks": ranks,
            "first": first,
            "top_score": hits[0][1] if hits else None,
            "evidence_score": hits[first - 1][1] if first is not None else None,
        }
        if q.kind == "multi_hop":
            row["all"] = all(r is not None for r in ranks)
        if q.kind == "change_of_mind":
            latest = first or K + 1
            stale = first_rank(evidence_ranks(ids, q.superseded))
            row["stale"] = stale is not None and stale < latest
        rows.append(row)
    return rows


def report(rows: Sequence[dict]) -> dict:
    """ "answerable": every question with evidence; "by_kind": each answerable kind."""
    answerable = [r for r in rows if r["kind"] in ANSWERABLE]
    return {
        "answerable": summarise(answerable),
        "by_kind": {kind: summarise([r for r in rows if r["kind"] == kind]) for kind in ANSWERABLE},
    }


def latency(samples: Sequence[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "n": len(ordered),
    }


def floor_shares(rows: Sequence[dict], threshold: float) -> dict:
    """At a relevance floor `threshold` (a hit counts when its score >= threshold):

    - unanswerable_clear: share of unanswerable questions where no hit reaches the floor (nothing printed);
    - answerable_kept: share of answerable questions with their evidence in the top K whose first evidence
      hit reaches the floor (the evidence is still printed);
    - answerable_kept_all: the same over every answerable question (evidence missing from the top K counts
      as lost).
    """
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    answerable = [r for r in rows if r["kind"] in ANSWERABLE]
    found = [r for r in answerable if r["evidence_score"] is not None]
    clear = [r["top_score"] is None or r["top_score"] < threshold for r in unanswerable]
    kept = [r["evidence_score"] >= threshold for r in found]
    return {
        "threshold": threshold,
        "unanswerable_clear": sum(clear) / len(clear) if clear else None,
        "answerable_kept": sum(kept) / len(kept) if kept else None,
        "answerable_kept_all": sum(kept) / len(answerable) if answerable else None,
    }


def floor_report(rows: Sequence[dict], floor: float | None) -> dict:
    """The product's floor (None: the code has no `RELEVANCE_FLOOR` yet) and the sweep, on hybrid rows."""
    return {
        "floor": floor,
        "at_floor": floor_shares(rows, floor) if floor is not None else None,
        "sweep": [floor_shares(rows, t) for t in SWEEP],
        "n_unanswerable": sum(r["kind"] == "unanswerable" for r in rows),
        "n_answerable_found": sum(r["kind"] in ANSWERABLE and r["evidence_score"] is not None for r in rows),
    }


def baseline_figures(result: dict) -> dict:
    """What a baseline keeps of a run: per seed, per mode, per kind (and all answerable) MRR@10 and hit@10."""
    seeds = {}
    for seed, run in result["runs"].items():
        modes = {}
        for mode, m in run["modes"].items():
            kinds = {"answerable": m["answerable"], **m["by_kind"]}
            modes[mode] = {k: {"n": s["n"], "mrr": s["mrr"], "hit@10": s["hit@10"]} for k, s in kinds.items() if s["n"]}
        seeds[seed] = {"modes": modes}
    return seeds


def compare(current: dict, baseline: dict, tolerance: float = NOISE) -> dict:
    """Per seed and mode, each kind's change against the baseline; `below` lists every figure that dropped by
    more than `tolerance`."""
    out: dict = {"tolerance": tolerance, "seeds": {}, "below": []}
    for seed, now in current.items():
        if seed not in baseline:
            continue
        out["seeds"][seed] = {}
        for mode, kinds in now["modes"].items():
            rows = {}
            for kind, s in kinds.items():
                base = baseline[seed]["modes"].get(mode, {}).get(kind)
                if base is None:
                    continue
                row = {
                    "mrr": s["mrr"],
                    "mrr_base": base["mrr"],
                    "hit@10": s["hit@10"],
                    "hit@10_base": base["hit@10"],
                }
                rows[kind] = row
                for metric in ("mrr", "hit@10"):
                    if s[metric] < base[metric] - tolerance:
                        out["below"].append(
                            {"seed": seed, "mode": mode, "kind": kind, "metric": metric,
                             "value": s[metric], "baseline": base[metric]}
                        )  # fmt: skip
            out["seeds"][seed][mode] = rows
    return out
