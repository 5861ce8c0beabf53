"""Measure the cosine threshold above which a new memory is called a near-duplicate of a stored one.

Positives: light rewrites of a memory that a person would call "the same thing again" (case,
punctuation, a filler word, a synonym, a reordered clause). Negatives: each memory's nearest
*different* memory in the quality benchmark's conversations (same people, places and topics, so
the hard case: many differ only in a name or a number). A near-duplicate only earns a warning, so
the threshold allows at most 5% false warnings on those negatives; the table shows the trade-off at
other thresholds too. Writes bench/results/near_duplicates.json.
"""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "near_duplicates.json"
FILLERS = ["Actually, ", "By the way, ", "Oh and ", "So, ", "Just so you know, "]
SYNONYMS = {
    "car": "vehicle",
    "doctor": "physician",
    "trip": "journey",
    "big": "large",
    "start": "begin",
    "bought": "purchased",
    "moved": "relocated",
    "job": "position",
    "likes": "enjoys",
    "said": "told me",
}


def rewrites(text: str, rng: random.Random) -> list[str]:
    words = text.split()
    variants = [
        text.lower(),
        text.rstrip(".!?") + ("!" if not text.endswith("!") else "."),
        rng.choice(FILLERS) + text[0].lower() + text[1:],
        " ".join(SYNONYMS.get(w.lower(), w) for w in words),
        text + " " + rng.choice(["I think.", "Anyway.", "Just saying.", "Yes."]),
    ]
    if len(words) > 6:
        cut = len(words) // 2
        variants.append(" ".join(words[cut:]) + ", " + " ".join(words[:cut]))
    return [v for v in variants if v != text]


def main() -> None:
    from bench.quality.generate import generate
    from mnemo_cli.embed.embedder import Embedder

    rng = random.Random(5)
    turns = [turn.text for turn in generate(7).turns]
    unique = list(dict.fromkeys(t for t in turns if len(t.split()) >= 5))
    sample = rng.sample(unique, 1500)
    embedder = Embedder()
    matrix = embedder.embed_documents(sample)
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -1.0)
    negatives = sims.max(axis=1)
    originals = sample[:300]
    positives = []
    for i, text in enumerate(originals):
        variants = rewrites(text, rng)
        vectors = embedder.embed_documents(variants)
        positives.extend(float(v @ matrix[i]) for v in vectors)
    negatives_sorted = sorted(float(x) for x in negatives)

    def rates(cut: float) -> tuple[float, float]:
        caught = sum(p >= cut for p in positives) / len(positives)
        return caught, sum(n >= cut for n in negatives_sorted) / len(negatives_sorted)

    table = {
        f"{cut:.2f}": dict(zip(("caught", "false_warnings"), rates(cut), strict=True))
        for cut in (0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99)
    }
    threshold = min(cut for cut in (0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99) if rates(cut)[1] <= 0.05)
    caught, false_rate = rates(threshold)
    result = {
        "table": table,
        "threshold": threshold,
        "positives": len(positives),
        "caught": caught,
        "negatives": len(negatives_sorted),
        "false_warnings": false_rate,
        "positive_median": statistics.median(positives),
        "negative_median": statistics.median(negatives_sorted),
        "negative_p99": negatives_sorted[int(0.99 * (len(negatives_sorted) - 1))],
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
