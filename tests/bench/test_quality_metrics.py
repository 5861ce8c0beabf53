"""The quality benchmark's measures (bench/quality/metrics.py) and the evaluator's use of optional API
features (bench/quality/evaluate.py): floor shares, the baseline comparison, the JSON layout, and recall
asked with `min_score=0` and with `now` only where given. Needs neither the model nor the network."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from bench.quality.dataset import Question
from bench.quality.evaluate import api_features, ask
from bench.quality.metrics import SWEEP, compare, floor_report, floor_shares, score_rows
from bench.quality.report import to_json


def rows() -> list[dict]:
    questions = [
        Question("k1", "keyword", "?", ["a"], "x"),
        Question("k2", "keyword", "?", ["z"], "x"),  # evidence not in the top 10
        Question("u1", "unanswerable", "?", []),
        Question("u2", "unanswerable", "?", []),
    ]
    ranked = {
        "k1": [("b", 0.9), ("a", 0.6)],
        "k2": [("b", 0.8)],
        "u1": [("c", 0.7)],
        "u2": [],
    }
    return score_rows(questions, ranked)


def test_score_rows_keep_the_scores_the_floor_needs() -> None:
    k1, k2, u1, u2 = rows()
    assert (k1["first"], k1["top_score"], k1["evidence_score"]) == (2, 0.9, 0.6)
    assert (k2["first"], k2["evidence_score"]) == (None, None)
    assert (u1["top_score"], u2["top_score"]) == (0.7, None)


def test_floor_shares() -> None:
    low = floor_shares(rows(), 0.5)
    assert low["unanswerable_clear"] == 0.5  # u2 has no hit; u1's 0.7 is above
    assert low["answerable_kept"] == 1.0 and low["answerable_kept_all"] == 0.5
    high = floor_shares(rows(), 0.75)
    assert high["unanswerable_clear"] == 1.0 and high["answerable_kept"] == 0.0
    report = floor_report(rows(), None)
    assert report["at_floor"] is None and [s["threshold"] for s in report["sweep"]] == list(SWEEP)
    assert SWEEP[0] == 0.0 and SWEEP[-1] == 0.9 and len(SWEEP) == 19
    assert floor_report(rows(), 0.75)["at_floor"] == high


def test_compare_flags_every_figure_below_the_baseline() -> None:
    base = {"7": {"modes": {"hybrid": {"keyword": {"n": 2, "mrr": 0.5, "hit@10": 0.5}}}}}
    same = compare(base, base)
    assert same["below"] == [] and same["seeds"]["7"]["hybrid"]["keyword"]["mrr_base"] == 0.5
    noise = {"7": {"modes": {"hybrid": {"keyword": {"n": 2, "mrr": 0.49, "hit@10": 0.5}}}}}
    assert compare(noise, base)["below"] == []  # within the run-to-run noise
    assert compare(noise, base, tolerance=0.0)["below"]
    worse = {"7": {"modes": {"hybrid": {"keyword": {"n": 2, "mrr": 0.4, "hit@10": 0.5}}}}}
    (below,) = compare(worse, base)["below"]
    assert (below["kind"], below["metric"], below["value"], below["baseline"]) == ("keyword", "mrr", 0.4, 0.5)
    assert compare({"1729": worse["7"]}, base)["below"] == []  # a seed the baseline lacks is not compared


class FakeStore:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def recall(self, query: str, **kwargs: object) -> list:
        self.calls.append(kwargs)
        return [SimpleNamespace(memory=SimpleNamespace(meta={"turn": "s01-t001"}), score=0.25)]


def test_ask_uses_no_floor_and_passes_now_only_when_given() -> None:
    store = FakeStore()
    ranking, _ = ask(store, "q", 10, "hybrid", None)
    assert ranking == [("s01-t001", 0.25)]
    assert store.calls[-1] == {"k": 10, "mode": "hybrid", "min_score": 0.0}
    now = datetime(2026, 2, 18, 9, 30, tzinfo=UTC)
    ask(store, "q", 10, "lexical", now)
    assert store.calls[-1]["now"] == now


def test_api_features_read_the_installed_api() -> None:
    api = api_features()
    assert isinstance(api["session"], bool) and isinstance(api["now"], bool)
    assert api["relevance_floor"] is None or 0.0 <= api["relevance_floor"] <= 1.0


def test_json_has_one_line_per_question_and_round_trips() -> None:
    result = {"k": 10, "runs": {"7": {"seed": 7, "questions": [{"qid": "a"}, {"qid": "b"}]}}}
    text = to_json(result)
    assert json.loads(text) == result
    assert '    {"qid": "a"},\n    {"qid": "b"}\n' in text
