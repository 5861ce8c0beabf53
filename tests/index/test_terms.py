"""Query words: stop words dropped unless nothing else is left; the informativeness prior's range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mnemo_cli.index.terms import STOP_WORDS, fts_query, informativeness, query_terms


def test_question_words_and_function_words_do_not_count() -> None:
    assert query_terms("What did Maya start last month?") == ["maya", "start", "last", "month"]
    assert query_terms("where did I go hiking") == ["go", "hiking"]
    assert query_terms("The the THE pottery") == ["pottery"]


def test_a_query_of_stop_words_only_keeps_them() -> None:
    assert query_terms("the who") == ["the", "who"]
    assert query_terms("   ?! ") == []


def test_the_fts_query_quotes_every_term() -> None:
    assert fts_query(["maya", "or", "near"]) == '"maya" OR "or" OR "near"'


@given(st.text(max_size=200))
def test_terms_are_distinct_lowercase_words_of_the_text(text: str) -> None:
    terms = query_terms(text)
    assert len(terms) == len(set(terms))
    assert all(term == term.lower() and term in text.lower() for term in terms)
    if any(term not in STOP_WORDS for term in terms):
        assert not set(terms) & STOP_WORDS


def test_informativeness_counts_content_words_after_a_speaker_label() -> None:
    assert informativeness("Maya: ok") == 0.5
    assert informativeness("ok, yes!") == 0.5
    assert informativeness("ha, sure!") == 0.5 + 0.5 * 2 / 8
    assert informativeness("Maya: I started a pottery class on Tuesdays with my sister Ana at eight sharp") == 1.0
    assert informativeness("Maya: I started a pottery class on Tuesdays") == 0.5 + 0.5 * 4 / 8
    assert informativeness("pottery class") == 0.5 + 0.5 * 2 / 8


@given(st.text(max_size=300))
def test_informativeness_is_between_a_half_and_one(text: str) -> None:
    assert 0.5 <= informativeness(text) <= 1.0
