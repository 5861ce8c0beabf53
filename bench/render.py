"""Render the tables of docs/performance.md from bench/results/*.json: no figure in the docs that
no script produces. Rewrites the blocks between `<!-- generated:NAME -->` markers; the `goals`
block (issue 17) draws on several results files at once (bench/goals.py)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.cold import cold_tables
from bench.goals import goals_block
from bench.peers import peer_tables
from bench.serve import serve_tables

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
#: Results a fresh checkout may lack until its first full `make bench` (scale embeds 100k texts
#: once): their blocks keep what they say until then.
OPTIONAL = {"scale", "cold", "peers", "serve"}


def startup_tables(result: dict) -> str:
    rows = [
        f"Measured on {result['machine']['platform']}, {result['machine']['cpus']} CPUs, "
        f"{result['runs']} runs per command, round-robin.",
        "",
        "| command | median | p95 | × baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, row in result["processes"].items():
        rows.append(
            f"| `{name}` | {row['median'] * 1000:.0f} ms | {row['p95'] * 1000:.0f} ms | "
            f"{row['ratio_to_baseline']:.2f} |"
        )
    procs = result["processes"]
    if "binary: mnemo --version" in procs:
        rows += [
            "",
            "| binary against venv (medians) | ratio |",
            "| --- | ---: |",
        ]
        for what in ("--version", "--help", "doctor"):
            ratio = procs[f"binary: mnemo {what}"]["median"] / procs[f"venv: mnemo {what}"]["median"]
            rows.append(f"| `mnemo {what}` | {ratio:.2f} |")
    if result.get("binary_bytes"):
        rows += [
            "",
            f"One-file binary `dist/mnemo`: {result['binary_bytes'] / 1e6:.0f} MB (archive stored uncompressed, "
            "runtime appended xz-compressed).",
        ]
    rows += ["", "| model check, in-process | median | share of one model load |", "| --- | ---: | ---: |"]
    for name, row in result["model_check"].items():
        if name != "samples":
            rows.append(f"| {name} | {row['median'] * 1000:.2f} ms | {row['ratio_to_load'] * 100:.1f}% |")
    return "\n".join(rows)


def storage_tables(result: dict) -> str:
    def ms(row: dict, key: str = "median") -> str:
        return f"{row[key] * 1000:.2f} ms"

    pw, kf = result["unlock_passphrase"], result["unlock_keyfile"]
    append, raw = result["append_one_record"], result["raw_write_fdatasync"]
    rows = [
        "| operation | median | p95 | baseline (same run) | × baseline |",
        "| --- | ---: | ---: | --- | ---: |",
        f"| unlock with a passphrase ({result['kdf']}) | {ms(pw)} | {ms(pw, 'p95')} | unlock with a keyfile: "
        f"{ms(kf)} | {pw['median'] / kf['median']:.1f} |",
        f"| append one record (fdatasync + HEAD replace) | {ms(append)} | {ms(append, 'p95')} | raw write + "
        f"fdatasync of the same bytes: {ms(raw)} | {append['median'] / raw['median']:.1f} |",
        "",
        f"A typical memory record body is {result['typical_record_body_bytes']} bytes "
        "(~200 characters of text, tags, a timestamp and a 384-d float16 embedding).",
        "",
        "| record body | frame on disk | overhead | frame / body |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for size, row in result["frame_overhead_by_body_size"].items():
        rows.append(f"| {size} B | {row['frame_bytes']} B | {row['overhead_bytes']} B | {row['ratio']:.2f} |")
    return "\n".join(rows)


def engine_tables(result: dict) -> str:
    def ms(row: dict, key: str = "median") -> str:
        return f"{row[key] * 1000:.1f} ms"

    cold = result["cold"]
    rows = [
        f"{result['memories']:,} synthetic memories (bench/engine.py), keyfile unlock. Warm recall and disk per "
        "memory: see the scale section below.",
        "",
        "| what | figure | baseline (same run) | ratio |",
        "| --- | ---: | --- | ---: |",
        f"| import (`remember_many`: embed, encrypt, commit, snapshot) | {result['import_per_second']:.0f} memories/s "
        f"| raw embedding of the same texts: {result['raw_embedding_per_second']:.0f}/s "
        f"| {result['import_vs_raw']:.2f} |",
    ]
    for kind in ("venv", "binary"):
        recall, version = cold.get(f"{kind}: mnemo recall"), cold.get(f"{kind}: mnemo --version")
        if recall and version:
            rows.append(
                f"| cold `mnemo recall` process ({kind}) | median {ms(recall)}, p95 {ms(recall, 'p95')} "
                f"| `mnemo --version` ({kind}): {ms(version)} | {recall['median'] / version['median']:.1f} |"
            )
    if "compaction" in result:
        c = result["compaction"]
        rows.append(
            f"| `compact` after forgetting {c['forgotten']:,} of them | {c['seconds']:.2f} s; "
            f"{c['frames_before']:,} → {c['frames_after']:,} frames | disk before: {c['bytes_before'] / 1e6:.1f} MB "
            f"| after: {c['bytes_after'] / 1e6:.1f} MB ({c['bytes_after'] / c['bytes_before']:.2f}) |"
        )
    if "rekey" in result:
        r, x = result["rekey"], result["reindex"]
        rows.append(
            f"| `rekey --full` ({r['records']:,} records re-encrypted, index rebuilt) | {r['seconds']:.2f} s "
            f"| the `compact` above: {r['compact_seconds']:.2f} s | {r['seconds'] / r['compact_seconds']:.2f} |"
        )
        rows.append(
            f"| `reindex` ({x['memories']:,} memories re-embedded; same weights as a model folder) "
            f"| {x['seconds']:.1f} s | raw embedding of the same texts: {x['raw_seconds']:.1f} s "
            f"| {x['seconds'] / x['raw_seconds']:.2f} |"
        )
    return "\n".join(rows)


def scale_tables(result: dict) -> str:
    def ms(row: dict, key: str = "median") -> str:
        value = row[key] * 1000
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"

    sizes, k = result["sizes"], result["k"]
    plan = result["plan"]
    rows = [
        f"Measured on {result['machine']['platform']}, {result['machine']['cpus']} CPUs; {plan['queries']} queries "
        f"per path, k = {k}, the paths taken in turn per query. Command: `python -m bench.scale`.",
        "",
        "| warm recall through `Store` | " + " | ".join(f"{r['memories']:,}: p50 | p95" for r in sizes) + " |",
        "| --- |" + " ---: | ---: |" * len(sizes),
    ]
    paths = {
        "hybrid_with_embedding": "hybrid, query embedding included (`store.recall`)",
        "hybrid_without_embedding": "hybrid, query vector given",
        "vector_with_embedding": "vector only, query embedding included",
        "vector_without_embedding": "vector only, query vector given",
        "query_embedding": "baseline: the query embedding alone",
    }
    for name, label in paths.items():
        cells = " | ".join(f"{ms(r['recall'][name])} | {ms(r['recall'][name], 'p95')}" for r in sizes)
        rows.append(f"| {label} | {cells} |")
    rows += [
        "",
        "Vector search: " + ", ".join(f"{r['recall']['vector_search']} at {r['memories']:,}" for r in sizes) + ". "
        f"Budget: hybrid p95 ≤ 10 ms at 10k with the embedding; {_hybrid_p95_at(sizes, 10_000)}.",
        "",
        "| memories | on disk | per memory | raw per memory (text + 64 B + 384 × f32) | × raw (budget ≤ 1.3) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sizes:
        d = r["disk"]
        rows.append(
            f"| {r['memories']:,} | {d['bytes'] / 1e6:.1f} MB | {d['per_memory']:.0f} B | {d['raw_per_memory']:.0f} B "
            f"| {d['ratio']:.2f} |"
        )
    rows += [
        "",
        f"Open = `Store.open` + `state()` in a fresh `Store`, {plan['open_runs']} runs each (medians); then the vector "
        "index's first use (what the first recall adds). Tails longer than 255 records cannot be built through the "
        "API (a writer snapshots once 256 frames lie beyond the last snapshot): the benchmark turns snapshot writing "
        "off in its own process while it appends them.",
        "",
        "| memories | log tail (records) | open | + vector index ready | open replaying the whole log |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in result["open"]:
        for t in o["tails"]:
            replay = ms(o["replay_all"]) if t["tail"] == 0 else ""
            rows.append(
                f"| {o['memories']:,} | {t['tail']:,} | {ms(t['state'])} | {ms(t['vectors_ready'])} | {replay} |"
            )
    summary = result["open_summary"]
    small, big = result["open"][0]["memories"], result["open"][-1]["memories"]
    notes = []
    if big != small:
        notes.append(
            f"open({big:,}, tail 0) / open({small:,}, tail 0): {summary['state_big_over_small']:.2f} "
            f"({summary['vectors_ready_big_over_small']:.2f} for the vector index) for "
            f"{summary['memories_big_over_small']:g}× the memories."
        )
    if "state_seconds_per_tail_record" in summary:
        notes.append(
            f"Each tail record adds {summary['state_seconds_per_tail_record'] * 1e6:.0f} µs to the open and "
            f"{summary['vectors_ready_seconds_per_tail_record'] * 1e6:.0f} µs to the vector index's first use "
            f"(least squares over the tails at {small:,})."
        )
    if notes:
        rows += ["", " ".join(notes)]
    c = result["crypto"]
    names = {
        "import": f"import {c['memories']:,} (cached vectors)",
        "open": "open (`Store.open` + `state()`)",
        "recall_without_embedding": "warm hybrid recall, query vector given",
    }
    rows += [
        "",
        f"Encryption: the same operations on the same engine with XChaCha20-Poly1305 replaced by a pass-through of "
        f"identical layout (bench/unencrypted.py; key derivation, keyed ids and padding stay), each engine in its own "
        f"processes, {c['rounds']} rounds alternating (bytes on disk: {c['on']['disk_bytes'][0]:,} encrypted, "
        f"{c['off']['disk_bytes'][0]:,} not).",
        "",
        "| operation | encrypted p50 | unencrypted p50 | encrypted / unencrypted (claim ≤ 1.10) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in names.items():
        on, off = c["on"][name], c["off"][name]
        rows.append(f"| {label} | {ms(on)} | {ms(off)} | {c['ratio'][name]:.2f} |")
    return "\n".join(rows)


def _hybrid_p95_at(sizes: list[dict], memories: int) -> str:
    for r in sizes:
        if r["memories"] == memories:
            return f"measured {r['recall']['hybrid_with_embedding']['p95'] * 1000:.1f} ms"
    return f"no {memories:,}-memory store in this run"


def _quality_kinds(run: dict) -> list[tuple[str, str]]:
    kinds = [("answerable", "all answerable")]
    return kinds + [(kind, kind) for kind, s in run["modes"]["hybrid"]["by_kind"].items() if s.get("n")]


def _quality_seed(run: dict, result: dict) -> list[str]:
    modes = ("lexical", "vector", "hybrid")
    rows = [
        "| kind | n | " + " | ".join(f"{m} MRR@10 | {m} hit@10" for m in modes) + " |",
        "| --- | ---: |" + " ---: | ---: |" * len(modes),
    ]
    for kind, label in _quality_kinds(run):
        cells = []
        for mode in modes:
            m = run["modes"][mode]
            s = m["answerable"] if kind == "answerable" else m["by_kind"][kind]
            cells.append(f"{s['mrr']:.3f} | {s['hit@10']:.3f}")
        hybrid = run["modes"]["hybrid"]
        count = (hybrid["answerable"] if kind == "answerable" else hybrid["by_kind"][kind])["n"]
        rows.append(f"| {label} | {count} | " + " | ".join(cells) + " |")
    latency = []
    for mode in modes:
        lat = run["modes"][mode]["latency"]
        latency.append(f"{lat['median_ms']:.1f} / {lat['p95_ms']:.1f} ms | ")
    rows.append("| recall latency p50 / p95 | | " + " | ".join(latency) + " |")
    floor = run["floor"]
    product = floor["floor"]
    rows += [
        "",
        f"Relevance floor, hybrid scores ({floor['n_unanswerable']} unanswerable questions; "
        f"{floor['n_answerable_found']} answerable ones with their evidence in the top {result['k']}). "
        + (
            f"The product's floor `RELEVANCE_FLOOR` = {product:g} is in bold."
            if product is not None
            else "The product has no relevance floor yet (`RELEVANCE_FLOOR` absent)."
        ),
        "",
        "| hybrid score ≥ | unanswerable: nothing at or above | answerable: evidence at or above | "
        "the same, of all answerable |",
        "| ---: | ---: | ---: | ---: |",
    ]

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.1f}%"

    sweep = list(floor["sweep"])
    if floor["at_floor"] and all(abs(s["threshold"] - product) > 1e-9 for s in sweep):
        sweep = sorted([*sweep, floor["at_floor"]], key=lambda s: s["threshold"])
    for s in sweep:
        cells = [f"{s['threshold']:.2f}", pct(s["unanswerable_clear"]), pct(s["answerable_kept"]),
                 pct(s["answerable_kept_all"])]  # fmt: skip
        if product is not None and abs(s["threshold"] - product) < 1e-9:
            cells = [f"**{c}**" for c in cells]
        rows.append("| " + " | ".join(cells) + " |")
    baseline = result.get("baseline")
    seed = str(run["seed"])
    if baseline and seed in baseline["seeds"]:
        hybrid = baseline["seeds"][seed].get("hybrid", {})
        below = [b for b in baseline["below"] if b["seed"] == seed]
        rows += [
            "",
            f"Against the baseline (today's code before issue 15, mnemo {baseline['mnemo_version']}, "
            f"{baseline['created'][:10]}), hybrid:",
            "",
            "| kind | MRR@10 baseline | MRR@10 now | Δ | hit@10 baseline | hit@10 now | Δ |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind, label in _quality_kinds(run):
            r = hybrid.get(kind)
            if r:
                rows.append(
                    f"| {label} | {r['mrr_base']:.3f} | {r['mrr']:.3f} | {r['mrr'] - r['mrr_base']:+.3f} | "
                    f"{r['hit@10_base']:.3f} | {r['hit@10']:.3f} | {r['hit@10'] - r['hit@10_base']:+.3f} |"
                )
        rows += ["", f"Below the baseline by more than {baseline['tolerance']:g}, the run-to-run noise (any mode, "
                 "MRR@10 or hit@10): " + (
            ", ".join(f"{b['mode']} {b['kind']} {b['metric']} {b['value']:.3f} < {b['baseline']:.3f}" for b in below)
            or "none."
        )]  # fmt: skip
    return rows


def quality_tables(result: dict) -> str:
    api = result["api"]
    rows = [
        f"k = {result['k']}; every recall asks with `min_score={result['min_score']:g}` (no floor hides a rank); "
        f"sessions stored: {'yes' if api['session'] else 'no (API without sessions)'}; "
        f"`now` passed: {'yes' if api['now'] else 'no (API without now)'}. "
        "Command: `python -m bench.quality.evaluate` (part of `make bench`; `--baseline` rewrites the baseline).",
    ]
    for seed in result["seeds"]:
        run = result["runs"][seed]
        data = run["dataset"]
        role = {"dev": "dev seed: constants are chosen on it", "held-out": "held-out seed: the reported figures"}
        rows += [
            "",
            f"**Seed {seed}** ({role.get(run['role'], run['role'])}): {data['turns']:,} turns over "
            f"{data['sessions']} sessions, asked at {data['now']}; {data['questions']} questions "
            f"({', '.join(f'{n} {kind}' for kind, n in data['by_kind'].items())}).",
            "",
            *_quality_seed(run, result),
        ]
        fusion = run.get("fusion")
        if fusion:
            rows += [
                "",
                f"Fusion study on seed {seed} (the same {result['candidates']} candidates per ranking, fused by each "
                f"rule, answerable questions; "
                + (
                    f"the engine uses `{fusion['engine_default']}`):"
                    if fusion.get("engine_default")
                    else "rank-based rules for reference: the engine fuses absolute scores, `index/fusion.py`):"
                ),
                "",
                "| rule | hit@1 | hit@5 | hit@10 | MRR@10 |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for variant_name, variant in fusion["variants"].items():
                o = variant["answerable"]
                name = variant_name + (" (engine)" if variant_name == fusion["engine_default"] else "")
                rows.append(f"| {name} | {o['hit@1']:.3f} | {o['hit@5']:.3f} | {o['hit@10']:.3f} | {o['mrr']:.3f} |")
    return "\n".join(rows)


def near_duplicate_table(result: dict) -> str:
    rows = [
        "Threshold this run chooses (the code's `NEAR_DUPLICATE` must match it): "
        f"**{result['threshold']:.2f}** ({result['positives']} rewrites, "
        f"{result['negatives']} nearest different memories; command: `python -m bench.near_duplicates`).",
        "",
        "| cosine ≥ | rewrites caught | false warnings |",
        "| ---: | ---: | ---: |",
    ]
    for cut, row in result["table"].items():
        rows.append(f"| {cut} | {row['caught'] * 100:.0f}% | {row['false_warnings'] * 100:.1f}% |")
    return "\n".join(rows)


def main() -> int:
    renderers = {
        "near_duplicates": near_duplicate_table,
        "startup": startup_tables,
        "storage": storage_tables,
        "engine": engine_tables,
        "scale": scale_tables,
        "cold": cold_tables,
        "serve": serve_tables,
        "peers": peer_tables,
        "quality": quality_tables,
    }
    blocks = {}
    for name, render_block in renderers.items():
        source = ROOT / "bench" / "results" / f"{name}.json"
        if not source.is_file():
            print(f"no bench/results/{name}.json: run `make bench`", file=sys.stderr)
            if name in OPTIONAL:
                continue
            return 1
        blocks[name] = render_block(json.loads(source.read_text(encoding="utf-8")))
    blocks["goals"] = goals_block()
    text = DOC.read_text(encoding="utf-8")
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    DOC.write_text(text, encoding="utf-8")
    print("rewrote docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
