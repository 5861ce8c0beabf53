"""The quality benchmark's fusion study: the same candidates from "vector" and from "lexical" re-fused by
other rules (reciprocal-rank fusion with several k, weighted RRF, a convex combination of min-max-normalised
scores), to choose and check the engine's hybrid rule. MRR differences come with a 95% interval from the
paired per-question differences against the engine's rule."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from bench.quality.dataset import ANSWERABLE, Question
from bench.quality.metrics import K, Ranking, evidence_ranks, report, score_rows

#: RRF constants tried. 1 and 5 were added to 10..100 because on this dataset MRR still rises as k falls
#: at 10, so the optimum would otherwise sit on the edge of the grid.
RRF_KS = (1, 5, 10, 30, 60, 100)

Rule = Callable[[Ranking, Ranking], list[str]]


def _fused(scores: dict[str, float], vector: Ranking, lexical: Ranking) -> list[str]:
    """Ids by fused score; ties broken by the better rank in either list, then by id (deterministic)."""
    best_rank: dict[str, int] = {}
    for ranking in (vector, lexical):
        for rank, (turn, _) in enumerate(ranking, start=1):
            best_rank[turn] = min(best_rank.get(turn, rank), rank)
    return sorted(scores, key=lambda turn: (-scores[turn], best_rank[turn], turn))


def rrf(vector: Ranking, lexical: Ranking, *, k: float, w_vector: float = 0.5) -> list[str]:
    """Weighted reciprocal-rank fusion: Σ w / (k + rank); a list that lacks a turn adds nothing."""
    scores: dict[str, float] = {}
    for ranking, weight in ((vector, w_vector), (lexical, 1.0 - w_vector)):
        for rank, (turn, _) in enumerate(ranking, start=1):
            scores[turn] = scores.get(turn, 0.0) + weight / (k + rank)
    return _fused(scores, vector, lexical)


def _min_max(ranking: Ranking) -> dict[str, float]:
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    lo, hi = min(values), max(values)
    return {turn: (score - lo) / (hi - lo) if hi > lo else 1.0 for turn, score in ranking}


def convex(vector: Ranking, lexical: Ranking, *, alpha: float) -> list[str]:
    """alpha · minmax(vector score) + (1 − alpha) · minmax(lexical score); a missing score counts 0."""
    v, lex = _min_max(vector), _min_max(lexical)
    scores = {turn: alpha * v.get(turn, 0.0) + (1 - alpha) * lex.get(turn, 0.0) for turn in v.keys() | lex.keys()}
    return _fused(scores, vector, lexical)


def fusion_variants() -> dict[str, tuple[dict, Rule]]:
    variants: dict[str, tuple[dict, Rule]] = {
        "vector only": ({"rule": "vector"}, lambda v, lex: [t for t, _ in v]),
        "lexical only": ({"rule": "lexical"}, lambda v, lex: [t for t, _ in lex]),
    }
    for k in RRF_KS:
        variants[f"rrf k={k}"] = ({"rule": "rrf", "k": k, "w_vector": 0.5}, lambda v, lex, k=k: rrf(v, lex, k=k))
    for w in (0.3, 0.5, 0.7):
        variants[f"wrrf w={w} k=60"] = (
            {"rule": "rrf", "k": 60, "w_vector": w},
            lambda v, lex, w=w: rrf(v, lex, k=60, w_vector=w),
        )
    for alpha in (0.3, 0.5, 0.7):
        variants[f"convex a={alpha}"] = (
            {"rule": "convex-minmax", "alpha_vector": alpha},
            lambda v, lex, a=alpha: convex(v, lex, alpha=a),
        )
    return variants


def paired_delta(rows: Sequence[dict], base: Sequence[dict]) -> dict:
    """Mean per-question difference in reciprocal rank against `base`, with a normal 95% interval."""
    diffs = [
        (1.0 / r["first"] if r["first"] else 0.0) - (1.0 / b["first"] if b["first"] else 0.0)
        for r, b in zip(rows, base, strict=True)
    ]
    mean = statistics.fmean(diffs)
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else 0.0
    return {"mrr_delta": mean, "ci95": [mean - 1.96 * se, mean + 1.96 * se]}


def engine_settings() -> dict:
    """What the engine's hybrid rule is today, read from its modules (absent names are skipped)."""
    settings: dict = {}
    try:
        from mnemo_cli.index import fusion

        settings.update({"rrf_k": getattr(fusion, "RRF_K", None), "weights": dict(getattr(fusion, "WEIGHTS", {}))})
    except ImportError:
        pass
    try:
        from mnemo_cli.store import recall

        settings["candidates"] = getattr(recall, "CANDIDATES", None)
    except ImportError:
        pass
    return settings


def engine_default_variant(settings: dict) -> str | None:
    """The fusion variant that should reproduce the engine's hybrid ranking, if one of ours does."""
    weights = settings.get("weights") or {}
    k = settings.get("rrf_k")
    if not weights or k is None:
        return None
    w = round(weights.get("vector", 0.5) / (weights.get("vector", 0.5) + weights.get("lexical", 0.5)), 2)
    if w == 0.5 and k in RRF_KS:
        return f"rrf k={k}"
    if k == 60 and w in (0.3, 0.7):
        return f"wrrf w={w} k=60"
    return None


def study(
    questions: Sequence[Question], pools: dict[str, dict[str, Ranking]], hybrid_top: dict[str, list[str]]
) -> dict:
    """Every variant's figures on the answerable questions, from the candidate `pools` per mode."""
    answerable = [q for q in questions if q.kind in ANSWERABLE]
    settings = engine_settings()
    default = engine_default_variant(settings)
    variants = fusion_variants()
    fused_top: dict[str, dict[str, list[str]]] = {}
    rows = {}
    for name, (_, rule) in variants.items():
        fused_top[name] = {q.qid: rule(pools["vector"][q.qid], pools["lexical"][q.qid])[:K] for q in answerable}
        rows[name] = score_rows(answerable, {qid: [(t, 0.0) for t in ids] for qid, ids in fused_top[name].items()})
    out = {}
    for name, (params, _) in variants.items():
        entry = {"params": params, **report(rows[name])}
        if default is not None:
            entry["vs_engine_default"] = paired_delta(rows[name], rows[default])
        out[name] = entry
    rules = [name for name in variants if name not in ("vector only", "lexical only")]
    best_mrr = max(rules, key=lambda n: (out[n]["answerable"]["mrr"], out[n]["answerable"]["hit@10"]))
    best_hit10 = max(rules, key=lambda n: (out[n]["answerable"]["hit@10"], out[n]["answerable"]["mrr"]))
    agreement = None
    if default is not None:
        agreement = sum(fused_top[default][q.qid] == hybrid_top[q.qid] for q in answerable) / len(answerable)
    per_question = {}
    for i, q in enumerate(answerable):
        per_question[q.qid] = {
            "candidate_ranks": {
                mode: evidence_ranks([t for t, _ in pools[mode][q.qid]], q.evidence, len(pools[mode][q.qid]))
                for mode in pools
            },
            "fusion_first": {name: rows[name][i]["first"] for name in variants},
        }
    return {
        "engine": settings,
        "engine_default": default,
        "engine_hybrid_reproduced": agreement,
        "best_mrr": best_mrr,
        "best_hit@10": best_hit10,
        "variants": out,
        "per_question": per_question,
    }
