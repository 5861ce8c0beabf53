"""`mnemo recall` through real processes: output formats, filters, modes, link expansion, refusals."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import from_template, new_store
from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow

PW = "recall test passphrase"
# Four memories with fixed ids; none of them shares a word with DOCTOR_QUERY except QUOKKA ("the").
PHYSICIAN = "1111aaaa1111aaaa1111aaaa1111aaaa"
DANA = "2222bbbb2222bbbb2222bbbb2222bbbb"
QUOKKA = "3333cccc3333cccc3333cccc3333cccc"
BUDGET = "4444dddd4444dddd4444dddd4444dddd"
CORPUS = [
    (PHYSICIAN, "Physician confirmed blood pressure was normal at last checkup", "2025-01-10T09:00:00Z", ["medical"]),
    (DANA, "Dana prefers email over phone calls", "2025-06-01T12:00:00Z", ["people", "work"]),
    (QUOKKA, "The quokka at the Perth zoo was adorable", "2025-09-20T08:30:00Z", ["travel"]),
    (BUDGET, "Quarterly budget review moved to Thursday", "2025-11-03T15:00:00Z", ["work"]),
]
DOCTOR_QUERY = "what did the doctor tell me about my health"
ANSI = "\x1b["


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty store."""
    return new_store(PW, monkeypatch)


@pytest.fixture
def corpus(template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding CORPUS (made with `init` and `import` once per module, copied for each test)."""

    def build(env: dict[str, str]) -> None:
        lines = "".join(
            json.dumps(
                {"type": "memory", "id": i, "text": t, "created_at": c, "tags": tags, "meta": {}, "source": None}
            )
            + "\n"
            for i, t, c, tags in CORPUS
        )
        done = mnemo("import", "-", env=env, input=lines)
        assert done.stdout == "imported 4 memories (0 already present), 0 links\n", done.stderr

    return from_template(template, PW, monkeypatch, build)


def mnemo_ok(*args: str, input: str | None = None) -> str:
    done = mnemo(*args, input=input)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def recall_json(*args: str) -> list[dict[str, Any]]:
    out = mnemo_ok("recall", *args, "--json")
    hits = json.loads(out)
    assert isinstance(hits, list)
    return hits


def ids(hits: list[dict[str, Any]]) -> list[str]:
    return [hit["id"] for hit in hits]


def utc_shown(created_at: str) -> str:
    """How text output shows a stored time under the tests' TZ=UTC: `2025-09-20 08:30+00:00`."""
    return f"{created_at[:10]} {created_at[11:16]}+00:00"


def assert_text_output(text: str, hits: list[dict[str, Any]]) -> None:
    """Recall's plain text (stdout not a terminal) shows `hits`, a line each: `id12  score  date  #tags  text`."""
    assert ANSI not in text
    lines = text.splitlines()
    assert text == "".join(line + "\n" for line in lines)
    assert len(lines) == len(hits)
    for line, hit in zip(lines, hits, strict=True):
        parts = [hit["id"][:12], "SCORE", utc_shown(hit["created_at"])]
        if hit["tags"]:
            parts.append(" ".join(f"#{tag}" for tag in hit["tags"]))
        if "via" in hit:
            arrow = "→" if hit["via"]["direction"] == "out" else "←"
            parts.append(f"(via {arrow} {hit['via']['from'][:12]} {hit['via']['rel']})")
        parts.append(hit["text"])
        score = line.split("  ")[1]
        assert re.fullmatch(r"-?\d\.\d{3}", score) and float(score) == pytest.approx(hit["score"], abs=0.0006)
        assert line.replace(f"  {score}  ", "  SCORE  ", 1) == "  ".join(parts)


def test_output_formats(corpus: Path) -> None:
    assert ids(recall_json("quokka")) == [QUOKKA]  # the others are below the relevance floor
    hits = recall_json("quokka", "--min-score", "0")
    assert ids(hits)[0] == QUOKKA
    assert len(hits) == 4  # the default k is 5; the vector ranking reaches every memory
    for hit in hits:
        assert {"id", "text", "score", "created_at", "tags", "meta"} <= set(hit)
    assert hits[0] == {
        "id": QUOKKA,
        "text": "The quokka at the Perth zoo was adorable",
        "created_at": "2025-09-20T08:30:00Z",
        "tags": ["travel"],
        "meta": {},
        "source": None,
        "score": 1.0,  # every word of the query, and the nearest vector
    }
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)

    assert_text_output(mnemo_ok("recall", "quokka", "--min-score", "0"), hits)

    jsonl = mnemo_ok("recall", "quokka", "--format", "jsonl", "--min-score", "0")
    assert [json.loads(line) for line in jsonl.splitlines()] == hits

    prompt = mnemo_ok("recall", "quokka", "-f", "prompt", "--min-score", "0")
    assert ANSI not in prompt
    expected = ["Relevant memories (most relevant first):"] + [
        f"- ({utc_shown(hit['created_at'])}) [{', '.join(hit['tags'])}] {hit['text']}" for hit in hits
    ]
    assert prompt == "\n".join(expected) + "\n"
    assert prompt.splitlines()[1] == "- (2025-09-20 08:30+00:00) [travel] The quokka at the Perth zoo was adorable"

    assert recall_json("quokka", "-k", "2", "--min-score", "0") == hits[:2]


def test_tag_and_time_filters(corpus: Path) -> None:
    # "2025" is one of the date words of every memory, so lexical recall of it finds all that pass the filters.
    assert sorted(ids(recall_json("2025", "--mode", "lexical"))) == sorted([PHYSICIAN, DANA, QUOKKA, BUDGET])
    assert sorted(ids(recall_json("quokka", "--tag", "work", "--min-score", "0"))) == sorted([DANA, BUDGET])
    assert ids(recall_json("2025", "--mode", "lexical", "-t", "work", "-t", "people")) == [DANA]  # all tags must match
    assert sorted(ids(recall_json("2025", "--mode", "lexical", "--since", "2025-06-01T12:00:00Z"))) == sorted(
        [DANA, QUOKKA, BUDGET]
    )
    assert ids(recall_json("2025", "--mode", "lexical", "--until", "2025-06-01T11:59:59Z")) == [PHYSICIAN]
    window = recall_json("budget", "--since", "2025-05-01T00:00:00+02:00", "--until", "2025-10-01", "--min-score", "0")
    assert sorted(ids(window)) == sorted([DANA, QUOKKA])
    # No hits: empty output (or []), exit 0.
    assert mnemo_ok("recall", "quokka", "--mode", "lexical", "--tag", "nonexistent") == ""
    assert mnemo_ok("recall", "quokka", "--tag", "nonexistent", "--json") == "[]\n"
    assert mnemo_ok("recall", "quokka", "--mode", "lexical", "--tag", "people", "--format", "jsonl") == ""
    assert mnemo_ok("recall", "quokka", "--mode", "lexical", "--tag", "people", "--format", "prompt") == ""


def test_since_and_until_with_relative_ages(store: Path) -> None:
    now = datetime.now(UTC)
    made = {}
    for name, age in [("old", timedelta(days=400)), ("month", timedelta(days=45)), ("week", timedelta(days=3))]:
        when = (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")
        made[name] = mnemo_ok("remember", f"weekly standup notes from the {name} batch", "--created-at", when).strip()
    assert ids(recall_json("standup notes", "--since", "30d")) == [made["week"]]
    assert sorted(ids(recall_json("standup", "--mode", "lexical", "--since", "1y"))) == sorted(
        [made["month"], made["week"]]
    )
    assert ids(recall_json("standup", "--mode", "lexical", "--since", "8w", "--until", "7d")) == [made["month"]]
    cutoff = (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(recall_json("standup", "--mode", "lexical", "--until", cutoff)) == [made["old"]]


def test_modes_and_min_score(corpus: Path) -> None:
    # Lexical: an exact rare word finds its memory and nothing else.
    lexical = recall_json("quokka", "--mode", "lexical")
    assert ids(lexical) == [QUOKKA]
    assert 0 < lexical[0]["score"] < 1
    # Vector: a paraphrase sharing no word with the memory still finds it first...
    vector = recall_json(DOCTOR_QUERY, "--mode", "vector")
    assert ids(vector)[0] == PHYSICIAN
    assert all(-1 <= hit["score"] <= 1 for hit in vector)
    # ... where lexical cannot: the only word QUOKKA shares with the query, "the", is a stop word.
    assert ids(recall_json(DOCTOR_QUERY, "--mode", "lexical")) == []
    assert ids(recall_json("the", "--mode", "lexical")) == [QUOKKA]  # unless the query has nothing else
    # Hybrid (the default) fuses both: the paraphrase comes first, the unrelated memories fall below the floor.
    assert ids(recall_json(DOCTOR_QUERY, "--min-score", "0"))[0] == PHYSICIAN
    assert ids(recall_json(DOCTOR_QUERY, "--mode", "hybrid")) == [PHYSICIAN]
    # --min-score drops what scores below it, on the mode's own scale.
    assert ids(recall_json("quokka", "--min-score", "0.9")) == [QUOKKA]
    assert recall_json("quokka", "--mode", "lexical", "--min-score", str(lexical[0]["score"] + 0.01)) == []
    # The ends of each mode's documented range are accepted.
    assert len(recall_json("quokka", "--min-score", "0")) == len(CORPUS)
    assert recall_json("quokka", "--mode", "lexical", "--min-score", "1") == []
    assert len(recall_json("quokka", "--mode", "vector", "--min-score", "-1")) == len(CORPUS)


def test_expand_follows_links_both_ways(corpus: Path) -> None:
    assert mnemo_ok("link", QUOKKA[:6], DANA[:6], "--rel", "caused") == f"{QUOKKA[:12]} → {DANA[:12]} (caused)\n"
    assert mnemo_ok("link", PHYSICIAN[:6], QUOKKA[:6], "--rel", "see-also") != ""
    assert ids(recall_json("quokka", "--mode", "lexical")) == [QUOKKA]  # no expansion by default
    hits = recall_json("quokka", "--mode", "lexical", "--expand", "1")
    assert ids(hits)[0] == QUOKKA and sorted(ids(hits)[1:]) == sorted([DANA, PHYSICIAN])
    assert "via" not in hits[0]
    via = {hit["id"]: hit["via"] for hit in hits[1:]}
    assert via == {
        DANA: {"from": QUOKKA, "rel": "caused", "direction": "out", "hops": 1},
        PHYSICIAN: {"from": QUOKKA, "rel": "see-also", "direction": "in", "hops": 1},
    }
    assert all(hit["score"] == pytest.approx(hits[0]["score"] / 2, abs=1e-6) for hit in hits[1:])
    text = mnemo_ok("recall", "quokka", "--mode", "lexical", "--expand", "1")
    assert_text_output(text, hits)
    assert f"(via → {QUOKKA[:12]} caused)" in text and f"(via ← {QUOKKA[:12]} see-also)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["quokka", "--mode", "fuzzy"], "mnemo: error: unknown mode 'fuzzy' (choose from: hybrid, vector, lexical)"),
        (
            ["quokka", "--format", "xml"],
            "mnemo: error: unknown format 'xml' (choose from: text, json, jsonl, prompt)",
        ),
        ([""], "mnemo: error: the query is empty"),
        ([" \t "], "mnemo: error: the query is empty"),
        (
            ["quokka", "--since", "the other week"],
            "mnemo: error: bad --since 'the other week': expected RFC 3339 (2026-03-04T10:00:00Z), an age "
            "(7d, 12h, 2w) or time words (yesterday, last week, monday, march 2025)",
        ),
        (
            ["quokka", "--until", "5q"],
            "mnemo: error: bad --until '5q': expected RFC 3339 (2026-03-04T10:00:00Z), an age "
            "(7d, 12h, 2w) or time words (yesterday, last week, monday, march 2025)",
        ),
        (
            ["quokka", "--since", "2025-06-01", "--until", "2025-01-01"],
            "mnemo: error: --since (2025-06-01T00:00:00Z) is after --until (2025-01-01T00:00:00Z)",
        ),
        (["quokka", "-k", "0"], "mnemo: error: -k must be between 1 and 1,000,000"),
        (["quokka", "--expand", "-1"], "mnemo: error: --expand must be 0 or more"),
        *[
            (["quokka", *mode, "--min-score", value], f"mnemo: error: --min-score must be from {low} to 1 {where}")
            for mode, low, where, values in [
                ([], "0", "in hybrid mode", ["nan", "inf", "-inf", "1.01", "-0.5"]),
                (["--mode", "lexical"], "0", "in lexical mode", ["nan", "2", "-0.01"]),
                (["--mode", "vector"], "-1", "in vector mode", ["nan", "-inf", "-1.5", "1.5"]),
            ]
            for value in values
        ],
    ],
    ids=[
        "mode",
        "format",
        "empty",
        "blank",
        "since",
        "until",
        "inverted-range",
        "k",
        "expand",
        *[
            f"min-score-{mode}-{value}"
            for mode, values in [
                ("hybrid", ["nan", "inf", "-inf", "1.01", "-0.5"]),
                ("lexical", ["nan", "2", "-0.01"]),
                ("vector", ["nan", "-inf", "-1.5", "1.5"]),
            ]
            for value in values
        ],
    ],
)
def test_bad_options_exit_2(corpus: Path, args: list[str], message: str) -> None:
    before = digest_tree(corpus)
    done = mnemo("recall", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == message + "\n"
    assert digest_tree(corpus) == before


def test_wrong_passphrase_exit_3(corpus: Path) -> None:
    before = digest_tree(corpus)
    done = mnemo("recall", "anything", env={"MNEMO_PASSPHRASE": "wrong"})
    assert digest_tree(corpus) == before
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == "mnemo: error: wrong passphrase (from MNEMO_PASSPHRASE): no key slot opens with it\n"


def test_the_help_states_the_floor_in_force() -> None:
    from mnemo_cli.store.recall import RELEVANCE_FLOOR

    assert f"Hybrid: default {RELEVANCE_FLOOR:g}, 0 shows all." in " ".join(mnemo_ok("recall", "--help").split())
