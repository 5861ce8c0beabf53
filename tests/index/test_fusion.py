"""Hybrid relevance: both sides on absolute scales, fused into [0, 1]; lexical coverage weighted by rarity."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.index import fusion
from mnemo_cli.index.catalog import Catalog
from mnemo_cli.index.coverage import coverage, idf
from mnemo_cli.memories import Memory

unit = st.floats(min_value=0.0, max_value=1.0)
cosine = st.floats(min_value=-1.0, max_value=1.0)


@given(cosine, unit)
def test_relevance_is_in_the_unit_interval(c: float, cov: float) -> None:
    assert 0.0 <= fusion.relevance(c, cov) <= 1.0


@given(cosine, cosine, unit, unit)
def test_relevance_grows_with_either_side(c1: float, c2: float, cov1: float, cov2: float) -> None:
    low_c, high_c = sorted((c1, c2))
    low_cov, high_cov = sorted((cov1, cov2))
    assert fusion.relevance(low_c, low_cov) <= fusion.relevance(high_c, high_cov) + 1e-12


def test_the_scale_ends() -> None:
    assert fusion.relevance(fusion.COSINE_NONE, 0.0) == 0.0
    assert fusion.relevance(-1.0, 0.0) == 0.0
    assert fusion.relevance(fusion.COSINE_FULL, 0.0) == pytest.approx(fusion.VECTOR_SHARE)
    assert fusion.relevance(0.0, 1.0) == 1.0


def test_idf_is_positive_and_falls_with_frequency() -> None:
    values = [idf(1000, df) for df in (0, 1, 10, 100, 500, 1000)]
    assert all(v > 0 for v in values)
    assert values == sorted(values, reverse=True)


def catalog_of(texts: list[str]) -> Catalog:
    catalog = Catalog()
    for key, text in enumerate(texts, start=1):
        catalog.add(key, Memory(f"{key:032x}", text, "2025-05-01T10:00:00Z"), f"t{key}")
    return catalog


def test_coverage_weighs_rare_words_more_and_counts_unknown_words() -> None:
    catalog = catalog_of(["Maya started pottery", "Maya went to work", "work was long", "work again", "Maya and work"])
    got = catalog.coverage(["maya", "pottery"], [1, 2, 3])
    assert got[1] == pytest.approx(1.0)
    assert 0 < got[2] < 0.5 < got[1]  # "maya" is common, "pottery" rare
    assert got[3] == 0.0
    unknown = catalog.coverage(["pottery", "zyxomatic"], [1])
    assert 0 < unknown[1] < 1  # a word no memory holds still weighs in


def test_coverage_matches_like_the_lexical_index() -> None:
    catalog = catalog_of(["She was running marathons", "nothing here"])
    assert catalog.coverage(["runs"], [1, 2]) == {1: 1.0, 2: 0.0}  # the porter stemmer: runs ~ running
    assert catalog.coverage(["may"], [1]) == {1: 0.5}  # only among the date words (created in May): half


def test_a_number_every_date_holds_does_not_match_like_the_text() -> None:
    # Created on the 1st of May: every memory's date words hold "1", only one text does.
    catalog = catalog_of([f"kill -9 case {n} of the run" for n in (1, 29, 30)])
    got = catalog.coverage(["case", "1", "run"], [1, 2, 3])
    assert got[1] == pytest.approx(1.0)
    assert got[2] == got[3] < 0.9


def test_coverage_of_no_terms_is_zero() -> None:
    assert coverage(sqlite3.connect(":memory:"), [], [3, 4], 10) == {3: 0.0, 4: 0.0}
