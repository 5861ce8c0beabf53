"""The peers benchmark at toy scale: every engine stores the corpus, answers every query with 10
corpus rows that agree with exact search, opens cold in a fresh process, and renders."""

from __future__ import annotations

import json

import pytest

from bench import corpus, peers

pytest.importorskip("chromadb")
pytest.importorskip("sqlite_vec")
pytest.importorskip("pysqlite3")


def test_recall_at_counts_the_shared_top_k():
    truth = [list(range(10)), list(range(10, 20))]
    assert peers.recall_at(truth, truth) == 1.0
    assert peers.recall_at([list(range(5, 15)), list(range(10, 20))], truth) == pytest.approx(0.75)
    assert peers.recall_at([[0, 1], list(range(20, 30))], truth) == pytest.approx(0.1)


def test_a_small_run_measures_every_engine(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CACHE", tmp_path / "cache")
    result = peers.run([300], queries=10, cold_runs=1, work_dir=tmp_path)

    assert set(result["versions"]) >= {"mnemo", "sqlite-vec", "chromadb", "usearch", "sqlite"}
    assert result["machine"]["cpus"] >= 1
    block = result["sizes"]["300"]
    assert block["exact"]["recall_at_10"] == 1.0
    assert block["exact"]["query"]["n"] == 10
    assert block["cold_baseline"]["n"] == 1
    assert block["raw_bytes_per_memory"] > 384 * 4
    assert list(block["engines"]) == list(peers.ENGINES)
    for name, row in block["engines"].items():
        assert row["ids_per_query"] == [10] * 10, name
        # at 300 memories every engine's search is exact or as good as: a wrong id mapping scores ~0
        assert row["recall_at_10"] >= 0.95, name
        assert row["insert_per_second"] > 0 and row["query"]["n"] == 10 and len(row["query"]["samples"]) == 10
        assert row["cold"]["n"] == 1 and row["cold"]["median"] > 0
        assert row["disk_per_memory"] >= 384 * 2, name  # the folder holds at least every vector in f16
    assert block["engines"]["mnemo"]["full_recall"]["recall_at_10"] >= 0.95
    assert list(tmp_path.glob("mnemo-peers-*")) == []  # each size's stores are removed

    json.dumps(result)  # what main() writes
    table = peers.peer_tables(result)
    assert "**300 memories**" in table
    for label in ("mnemo (vector index alone)", "mnemo `recall`", "| sqlite-vec |", "| chromadb |", "exact search"):
        assert label in table
    assert table.count("| --- |") == 1
