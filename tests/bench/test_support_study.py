"""The floor study's word choice and support share (bench/quality/support_study.py)."""

from __future__ import annotations

from bench.quality.support_study import constraint_words, supported_share


def test_constraint_words_leave_out_what_is_asked_for_time_and_generic_words() -> None:
    # The rule is crude, as in the figures of docs/performance.md: after "what is the name of" the
    # next word, here the owner, is taken for what is asked for.
    assert constraint_words("What is the name of Rafael's tortoise?") == ["tortoise"]
    assert constraint_words("Which band did Maya see live in September 2025?") == ["maya", "live"]
    assert constraint_words("What kind of seafood does Tom react badly to?") == ["tom", "react", "badly"]


def test_the_share_weighs_rare_words_and_counts_contained_or_dropping_ones() -> None:
    idf = {"rafael": 1.0, "tortoise": 3.0}.__getitem__
    drops = {"rafael": 0.2, "tortoise": -0.01}
    assert supported_share(["rafael", "tortoise"], drops, set(), 0.0, idf) == 0.1
    assert supported_share(["rafael", "tortoise"], drops, {"tortoise"}, 0.0, idf) == 1.0
    assert supported_share(["rafael", "tortoise"], drops, set(), -0.02, idf) == 1.0
    assert supported_share([], {}, set(), 0.0, idf) == 1.0
