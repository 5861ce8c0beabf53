"""A study for the relevance floor, not a product feature: does a question's best hybrid hit support
each of the question's words? docs/performance.md ("Tried for the floor") reports its figures.

A word counts as supported when the hit contains it, or when taking it out of the question lowers the
question's cosine with the hit by at least τ. The measure is the idf²-weighted share of supported
words, over all content words or over the constraint words only (`constraint_words`); a question
is "cleared" when its share is below the threshold. The study reports, for each (τ, threshold), the
share of unanswerable questions cleared and of answerable questions whose evidence is the best hit
and is kept.

    python -m bench.quality.support_study [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from bench.quality.evaluate import DEV_SEED, K, api_features, ask, build_store
from bench.quality.generate import generate

#: Words that place the question in time or are too generic to constrain the answer.
TIME_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "late",
        "early",
        "mid",
        "last",
        "week",
        "month",
        "year",
        "ago",
    ]
)
GENERIC_WORDS = frozenset(
    ["name", "called", "kind", "type", "person", "go", "went", "see", "take", "get", "got", "say", "said"]
)
#: Words between a question word and the noun that names what is asked for ("what kind of *band*").
_LEAD_INS = frozenset(["kind", "name", "sort", "type"])
_QUESTION_WORDS = frozenset(["what", "which", "whose", "how"])
TAUS = (-0.02, 0.0, 0.02, 0.04)
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.95)


def constraint_words(question: str) -> list[str]:
    """The question's content words that constrain its answer: not the noun after the question word
    (what is asked for: "which *band*"), not time words, generic words or numbers."""
    from mnemo_cli.index.terms import STOP_WORDS, words

    found = words(question)
    asked_for = set()
    for i, word in enumerate(found):
        if word in _QUESTION_WORDS:
            j = i + 1
            while j < len(found) and (found[j] in STOP_WORDS or found[j] in _LEAD_INS):
                j += 1
            asked_for.add(j)
    kept = [
        word
        for i, word in enumerate(found)
        if i not in asked_for
        and word not in STOP_WORDS
        and word not in TIME_WORDS
        and word not in GENERIC_WORDS
        and not word.isdigit()
    ]
    return list(dict.fromkeys(kept))


def supported_share(
    terms: Sequence[str], drops: dict[str, float], contained: set[str], tau: float, idf: Callable[[str], float]
) -> float:
    """The idf²-weighted share of `terms` that the hit contains or whose removal lowers the cosine by
    `tau` or more (1 when there is no term)."""
    if not terms:
        return 1.0
    total = sum(idf(t) ** 2 for t in terms)
    return sum(idf(t) ** 2 for t in terms if t in contained or drops[t] >= tau) / total


def drops_for(embedder: object, question: str, hit_text: str, terms: Sequence[str]) -> dict[str, float]:
    """term → how much taking it out of `question` lowers the cosine with `hit_text`."""
    variants = [question] + [re.sub(rf"\b{re.escape(t)}\b", "", question, flags=re.IGNORECASE) for t in terms]
    vectors = embedder.embed_documents([*variants, hit_text])  # type: ignore[attr-defined]
    cosines = vectors[:-1] @ vectors[-1]
    return {t: float(cosines[0] - cosines[i + 1]) for i, t in enumerate(terms)}


def run(seed: int) -> None:
    from mnemo_cli.embed.embedder import shared
    from mnemo_cli.index.terms import content_words, words

    os.environ["TZ"] = "UTC"
    time.tzset()
    data = generate(seed)
    texts = {t.id: f"{t.speaker}: {t.text}" for t in data.turns}
    frequency: Counter[str] = Counter()
    for text in texts.values():
        frequency.update(set(words(text)))

    def idf(term: str) -> float:
        return math.log(1 + (len(texts) - frequency[term] + 0.5) / (frequency[term] + 0.5))

    api = api_features()
    embedder = shared()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mnemo-support-") as tmp:
        store, _ = build_store(Path(tmp), data.turns, api)
        try:
            for q in data.questions:
                hits, _ = ask(store, q.question, K, "hybrid", q.now or datetime.fromisoformat(data.now))
                if not hits:
                    continue
                best = hits[0][0]
                terms = list(dict.fromkeys(content_words(q.question)))
                drops = drops_for(embedder, q.question, texts[best], terms)
                rows.append((q, best, terms, drops, set(words(texts[best]))))
        finally:
            store.close()  # type: ignore[attr-defined]
    for label, chosen in (("all content words", None), ("constraint words", constraint_words)):
        print(f"\n{label}: tau threshold unanswerable-cleared evidence-kept")
        for tau in TAUS:
            for threshold in THRESHOLDS:
                cleared, kept = [], []
                for q, best, terms, drops, contained in rows:
                    counted = [t for t in chosen(q.question) if t in drops] if chosen else terms
                    share = supported_share(counted, drops, contained, tau, idf)
                    if q.kind == "unanswerable":
                        cleared.append(share < threshold)
                    elif best in q.evidence:
                        kept.append(share >= threshold)
                print(f"{tau:6.2f} {threshold:5.2f} {sum(cleared) / len(cleared):6.1%} {sum(kept) / len(kept):6.1%}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Leave-one-word-out support of the best hit (a floor study).")
    parser.add_argument("--seed", type=int, default=DEV_SEED)
    run(parser.parse_args(argv).seed)


if __name__ == "__main__":
    main()
