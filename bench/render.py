"""Render the tables of docs/performance.md from bench/results/*.json: no figure in the docs that
no script produces. Rewrites the blocks between `<!-- generated:NAME -->` markers."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


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
            f"One-file binary `dist/mnemo`: {result['binary_bytes'] / 1e6:.0f} MB (archive stored uncompressed).",
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
        "(~200 characters of text, tags, a timestamp and a 384-d float32 embedding).",
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
        f"{result['memories']:,} synthetic memories (bench/engine.py), keyfile unlock.",
        "",
        "| what | figure | baseline (same run) | ratio |",
        "| --- | ---: | --- | ---: |",
        f"| import (`remember_many`: embed, encrypt, commit, snapshot) | {result['import_per_second']:.0f} memories/s "
        f"| raw embedding of the same texts: {result['raw_embedding_per_second']:.0f}/s "
        f"| {result['import_vs_raw']:.2f} |",
        f"| warm recall through `Store`, hybrid, k=5, query embedding included | p50 {ms(result['warm_recall'])}, "
        f"p95 {ms(result['warm_recall'], 'p95')} | vector + BM25 search alone: p50 {ms(result['warm_search_only'])} | "
        f"{result['warm_recall']['median'] / result['warm_search_only']['median']:.1f} |",
    ]
    for kind in ("venv", "binary"):
        recall, version = cold.get(f"{kind}: mnemo recall"), cold.get(f"{kind}: mnemo --version")
        if recall and version:
            rows.append(
                f"| cold `mnemo recall` process ({kind}) | median {ms(recall)}, p95 {ms(recall, 'p95')} "
                f"| `mnemo --version` ({kind}): {ms(version)} | {recall['median'] / version['median']:.1f} |"
            )
    rows.append(
        f"| disk per memory (log + index snapshot) | {result['disk_per_memory']:.0f} B | raw text + metadata + f32 "
        f"vector: {result['raw_bytes_per_memory']:.0f} B "
        f"| {result['disk_per_memory'] / result['raw_bytes_per_memory']:.2f} |"
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


def quality_tables(result: dict) -> str:
    data = result["dataset"]
    rows = [
        f"Seed {result['seed']}: {data['turns']:,} turns over {data['sessions']} sessions, "
        f"{data['questions']} questions ({', '.join(f'{n} {kind}' for kind, n in data['by_kind'].items())}); "
        f"k = {result['k']}. Command: `python -m bench.quality.evaluate` (part of `make bench`).",
        "",
        "| mode | hit@1 | hit@5 | hit@10 | MRR@10 | recall latency p50 / p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode in ("lexical", "vector", "hybrid"):
        o, lat = result["modes"][mode]["overall"], result["modes"][mode]["latency"]
        rows.append(
            f"| {mode} | {o['hit@1']:.3f} | {o['hit@5']:.3f} | {o['hit@10']:.3f} | {o['mrr']:.3f} ± "
            f"{1.96 * o['mrr_se']:.3f} | {lat['median_ms']:.1f} / {lat['p95_ms']:.1f} ms |"
        )
    kinds = list(data["by_kind"])
    rows += ["", "MRR@10 by kind of question:", "", "| mode | " + " | ".join(kinds) + " |"]
    rows.append("| --- |" + " ---: |" * len(kinds))
    for mode in ("lexical", "vector", "hybrid"):
        by_kind = result["modes"][mode]["by_kind"]
        rows.append(f"| {mode} | " + " | ".join(f"{by_kind[k]['mrr']:.3f}" for k in kinds) + " |")
    fusion = result["fusion"]
    rows += [
        "",
        f"Fusion study (the same {result['candidates']} candidates per ranking, fused by each rule; the engine "
        f"uses `{fusion['engine_default']}`):",
        "",
        "| rule | hit@1 | hit@5 | hit@10 | MRR@10 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for variant_name, variant in fusion["variants"].items():
        o = variant["overall"]
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
        "quality": quality_tables,
    }
    blocks = {}
    for name, render_block in renderers.items():
        source = ROOT / "bench" / "results" / f"{name}.json"
        if not source.is_file():
            print(f"no bench/results/{name}.json: run `make bench`", file=sys.stderr)
            return 1
        blocks[name] = render_block(json.loads(source.read_text(encoding="utf-8")))
    text = DOC.read_text(encoding="utf-8")
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    DOC.write_text(text, encoding="utf-8")
    print("rewrote docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
