"""The quality benchmark's console tables and its JSON file layout (one line per question)."""

from __future__ import annotations

import json

SHORT = {
    "answerable": "all",
    "keyword": "kw",
    "paraphrase": "para",
    "temporal": "temp",
    "temporal_relative": "rel",
    "multi_hop": "hop",
    "change_of_mind": "chg",
}


def _row(label: str, s: dict, extra: str = "") -> str:
    if not s.get("n"):
        return f"{label:18} {0:4d}"
    return (
        f"{label:18} {s['n']:4d}  {s['hit@1']:.3f}  {s['hit@5']:.3f}  {s['hit@10']:.3f}  {s['mrr']:.3f}"
        f" ±{1.96 * s['mrr_se']:.3f}{extra}"
    )


def _extras(s: dict) -> str:
    parts = []
    if "all@10" in s:
        parts.append(f"all@10 {s['all@10']:.3f}")
    if "stale_above_latest" in s:
        parts.append(f"stale first {s['stale_above_latest']:.3f}")
    return ("  " + ", ".join(parts)) if parts else ""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:5.1f}%"


def print_seed(run: dict, k: int, candidates: int) -> None:
    d = run["dataset"]
    print(
        f"\n######## seed {run['seed']} ({run['role']}): {d['turns']} turns, {d['sessions']} sessions, "
        f"now {d['now']}, {d['questions']} questions {d['by_kind']}"
    )
    t = run["timing"]
    print(f"ingest {t['ingest_seconds']:.1f} s ({t['turns_per_second']:.0f} turns/s), total {t['total_seconds']:.0f} s")
    header = f"{'':18} {'n':>4}  {'hit@1':5}  {'hit@5':5}  {'hit@10':6} {'MRR@10 ±95%':13}"
    for mode, m in run["modes"].items():
        lat = m["latency"]
        print(f"\n== {mode}: recall k={k} median {lat['median_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms")
        print(header)
        print(_row("answerable", m["answerable"]))
        for kind, s in m["by_kind"].items():
            print(_row(kind, s, _extras(s)))
    floor = run["floor"]
    print(
        f"\n== floor (hybrid): product floor {floor['floor'] if floor['floor'] is not None else 'none yet'}; "
        f"{floor['n_unanswerable']} unanswerable, {floor['n_answerable_found']} answerable with evidence in the top {k}"
    )
    if floor["at_floor"]:
        a = floor["at_floor"]
        clear, kept = _pct(a["unanswerable_clear"]), _pct(a["answerable_kept"])
        print(f"at the floor: unanswerable clear {clear}, evidence kept {kept}")
    print(f"{'score >=':>9} {'unanswerable clear':>19} {'evidence kept':>14} {'of all answerable':>18}")
    for s in floor["sweep"]:
        print(
            f"{s['threshold']:9.2f} {_pct(s['unanswerable_clear']):>19} {_pct(s['answerable_kept']):>14} "
            f"{_pct(s['answerable_kept_all']):>18}"
        )
    if run.get("fusion"):
        print_fusion(run["fusion"], candidates)


def print_fusion(f: dict, candidates: int) -> None:
    kinds = list(next(iter(f["variants"].values()))["by_kind"])
    print(f"\n== fusion study: {candidates} candidates per list, MRR@10 per kind in the last columns")
    base = f["engine_default"]
    delta_head = f"  Δ MRR vs {base} (95%)" if base else ""
    print(
        f"{'variant':16} {'hit@1':5}  {'hit@5':5}  {'hit@10':6} {'MRR':5} "
        + " ".join(f"{SHORT.get(k, k):>5}" for k in kinds)
        + delta_head
    )
    for name, v in f["variants"].items():
        s = v["answerable"]
        line = f"{name:16} {s['hit@1']:.3f}  {s['hit@5']:.3f}  {s['hit@10']:.3f}  {s['mrr']:.3f} "
        line += " ".join(f"{v['by_kind'][k]['mrr']:5.3f}" if v["by_kind"][k].get("n") else "    -" for k in kinds)
        if "vs_engine_default" in v and name != base:
            dd = v["vs_engine_default"]
            line += f"  {dd['mrr_delta']:+.3f} [{dd['ci95'][0]:+.3f}, {dd['ci95'][1]:+.3f}]"
        print(line)
    best, best10 = f["variants"][f["best_mrr"]]["answerable"], f["variants"][f["best_hit@10"]]["answerable"]
    print(f"\nbest MRR:    {f['best_mrr']} ({best['mrr']:.3f}, hit@10 {best['hit@10']:.3f})")
    print(f"best hit@10: {f['best_hit@10']} ({best10['hit@10']:.3f}, MRR {best10['mrr']:.3f})")
    if base and f["engine_hybrid_reproduced"] is not None:
        print(
            f"engine hybrid today: {base} (k={f['engine'].get('rrf_k')}, weights {f['engine'].get('weights')}); "
            f"its top 10 reproduced here for {f['engine_hybrid_reproduced'] * 100:.1f}% of questions"
        )


def print_baseline(b: dict) -> None:
    print(f"\n== against the baseline ({b['mnemo_version']}, {b['created']}), hybrid MRR@10 (Δ)")
    for seed, modes in b["seeds"].items():
        hybrid = modes.get("hybrid", {})
        cells = [f"{SHORT.get(k, k)} {r['mrr']:.3f} ({r['mrr'] - r['mrr_base']:+.3f})" for k, r in hybrid.items()]
        print(f"seed {seed}: " + ", ".join(cells))
    if b["below"]:
        print(f"BELOW THE BASELINE by more than {b['tolerance']:g} ({len(b['below'])}):")
        for row in b["below"]:
            print(
                f"  seed {row['seed']} {row['mode']} {row['kind']} {row['metric']}: "
                f"{row['value']:.3f} < {row['baseline']:.3f}"
            )
    else:
        print(f"no kind below the baseline by more than {b['tolerance']:g}")


def print_tables(result: dict) -> None:
    print(f"mnemo {result['mnemo_version']}, model {result['model_id']}, API {result['api']}")
    for seed in result["seeds"]:
        print_seed(result["runs"][seed], result["k"], result["candidates"])
    if "baseline" in result:
        print_baseline(result["baseline"])
    print(f"\ntotal {result['total_seconds']:.0f} s")


def to_json(result: dict) -> str:
    """Indented JSON, except one line per question (so the file stays small and diffs stay readable)."""
    questions = {}
    for seed, run in result["runs"].items():
        questions[seed], run["questions"] = run["questions"], f"@questions-{seed}@"
    try:
        text = json.dumps(result, indent=1)
    finally:
        for seed, rows in questions.items():
            result["runs"][seed]["questions"] = rows
    for seed, rows in questions.items():
        marker = f'"@questions-{seed}@"'
        result_rows = ",\n".join("    " + json.dumps(q, ensure_ascii=False) for q in rows)
        text = text.replace(marker, f"[\n{result_rows}\n   ]")
    return text + "\n"
