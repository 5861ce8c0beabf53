"""`mnemo forget`, `mnemo prune` and `mnemo stats` through real processes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.conftest import mnemo
from tests.helpers import digest_tree

pytestmark = pytest.mark.slow
PW = {"MNEMO_PASSPHRASE": "forgetful"}


def mnemo_ok(*args: str, input: str | None = None) -> str:
    done = mnemo(*args, env=PW, input=input)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def store() -> dict[str, str]:
    mnemo_ok("init")
    lines = [
        {"text": "old tax receipt", "tags": ["scratch"], "created_at": "2020-05-01T00:00:00Z"},
        {"text": "grocery list: apples, pears", "tags": ["scratch"]},
        {"text": "Dana prefers email", "tags": ["people"]},
    ]
    mnemo_ok("import", "-", input="".join(json.dumps(line) + "\n" for line in lines))
    return {m["text"]: m["id"] for m in json.loads(mnemo_ok("list", "--json"))}


def texts() -> list[str]:
    return sorted(m["text"] for m in json.loads(mnemo_ok("list", "--json")))


def test_forget_by_id_prints_the_ids(store: dict[str, str]) -> None:
    target = store["Dana prefers email"]
    assert mnemo_ok("forget", target[:6]) == f"{target}\n"
    assert texts() == ["grocery list: apples, pears", "old tax receipt"]
    assert mnemo("show", target, env=PW).returncode == 7


def test_forget_by_tag_needs_yes_and_dry_run_changes_nothing(store: dict[str, str]) -> None:
    home = Path(os.environ["MNEMO_HOME"])
    before = digest_tree(home)
    refused = mnemo("forget", "--tag", "scratch", env=PW)
    assert refused.returncode == 2
    assert refused.stderr == "mnemo: error: this would forget 2 memories; add --yes, or --dry-run to list them\n"
    listed = mnemo_ok("forget", "--tag", "scratch", "--dry-run")
    assert len(listed.splitlines()) == 2 and "old tax receipt" in listed
    assert digest_tree(home) == before
    result = json.loads(mnemo_ok("forget", "--tag", "scratch", "--yes", "--json"))
    assert result["dry_run"] is False and len(result["forgotten"]) == 2
    assert texts() == ["Dana prefers email"]


def test_forget_by_words(store: dict[str, str]) -> None:
    assert mnemo_ok("forget", "--query", "apples pears", "--yes") == f"{store['grocery list: apples, pears']}\n"
    assert mnemo_ok("forget", "--query", "nothing matches this", "--yes") == ""


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "mnemo: error: say what to forget: ids, --query WORDS or --tag TAG"),
        (["abcd", "--tag", "x"], 2, "mnemo: error: give ids, or --query/--tag, not both"),
        (["abcdef12"], 7, "mnemo: error: no memory with id abcdef12"),
    ],
)
def test_forget_refusals(store: dict[str, str], args: list[str], code: int, message: str) -> None:
    done = mnemo("forget", *args, env=PW)
    assert (done.returncode, done.stderr.splitlines()[0]) == (code, message)


def test_prune_is_quiet_for_cron(store: dict[str, str]) -> None:
    assert mnemo_ok("prune", "--older-than", "365d") == ""
    assert texts() == ["Dana prefers email", "grocery list: apples, pears"]
    assert mnemo_ok("prune", "--older-than", "365d") == ""  # nothing left to prune: still success
    time.sleep(1.1)  # the store was made moments ago: let its memories be older than 1s
    result = json.loads(mnemo_ok("prune", "--older-than", "1s", "--tag", "scratch", "--dry-run", "--json"))
    assert result == {"schema_version": 1, "dry_run": True, "pruned": [store["grocery list: apples, pears"]]}


def test_ttl_and_prune_expired(store: dict[str, str]) -> None:
    memory = json.loads(mnemo_ok("remember", "temporary code 1234", "--ttl", "1s", "--json"))
    assert memory["expires_at"] > memory["created_at"]
    time.sleep(1.2)
    assert "temporary code 1234" not in texts()
    assert json.loads(mnemo_ok("stats", "--json"))["memories"]["expired"] == 1
    assert mnemo_ok("prune", "--expired") == ""
    assert json.loads(mnemo_ok("stats", "--json"))["memories"] == {"live": 3, "expired": 0, "forgotten": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prune"], "mnemo: error: say what to prune: --older-than AGE and/or --expired"),
        (["prune", "--older-than", "soon"], "mnemo: error: bad --older-than 'soon'"),
        (["remember", "x", "--ttl", "forever"], "mnemo: error: bad --ttl 'forever'"),
    ],
)
def test_bad_ages_exit_2(store: dict[str, str], args: list[str], message: str) -> None:
    done = mnemo(*args, env=PW)
    assert done.returncode == 2
    assert done.stderr.startswith(message)


def test_stats(store: dict[str, str]) -> None:
    figures = json.loads(mnemo_ok("stats", "--json"))
    assert figures["memories"] == {"live": 3, "expired": 0, "forgotten": 0}
    assert figures["log"]["frames"] == 3 and figures["links"] == 0
    assert figures["model"] == "all-MiniLM-L6-v2-onnx-int8"
    assert [slot["kind"] for slot in figures["key_slots"]] == ["passphrase", "recovery"]
    assert figures["disk"]["bytes"] == sum(figures["disk"]["files"].values())
    assert set(figures["disk"]["files"]) >= {"MNEMO", "HEAD", "keyslots", "keyslots.2", "lock"}
    text = mnemo_ok("stats")
    assert "memories:  3 live, 0 expired" in text and "key slot:  1 passphrase" in text


def test_prune_then_compact_removes_the_text_from_disk(store: dict[str, str]) -> None:
    home = Path(os.environ["MNEMO_HOME"])
    assert mnemo_ok("prune", "--older-than", "365d", "--compact") == ""
    figures = json.loads(mnemo_ok("stats", "--json"))
    assert figures["memories"]["forgotten"] == 0 and figures["compactions"] == 1
    assert figures["last_compaction"] is not None
    assert texts() == ["Dana prefers email", "grocery list: apples, pears"]
    assert len(list((home / "log").iterdir())) == 1


def test_compact_reports_what_it_kept(store: dict[str, str]) -> None:
    mnemo_ok("forget", store["old tax receipt"])
    result = json.loads(mnemo_ok("compact", "--json"))
    assert (result["memories"], result["links"], result["frames_before"], result["frames_after"]) == (2, 0, 4, 3)
    line = mnemo_ok("compact")
    assert line.startswith("compacted: 2 memories and 0 links kept; log 3 -> 3 frames; disk ")
    assert "compacted: 20" in mnemo_ok("stats")


def test_backup_then_verify_the_copy(store: dict[str, str], tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    first = mnemo_ok("backup", str(dest))
    assert (
        first
        == f"backup written at {dest}: 3 frames ({first.split('(')[1].split(' ')[0]} log bytes copied), verified\n"
    )
    mnemo_ok("remember", "one more")
    again = json.loads(mnemo_ok("backup", str(dest), "--json"))
    assert again["incremental"] is True and again["frames"] == 4 and again["verified"] is True
    copy = mnemo("verify", env={**PW, "MNEMO_HOME": str(dest)})
    assert copy.returncode == 0, copy.stderr
    done = mnemo("backup", os.environ["MNEMO_HOME"] + "/inside", env=PW)
    assert (done.returncode, done.stderr) == (2, "mnemo: error: the backup folder must be outside the store\n")


def test_duplicates_update_and_history(store: dict[str, str]) -> None:
    dana = store["Dana prefers email"]
    done = mnemo("remember", "Dana prefers email", env=PW)
    assert done.returncode == 0 and done.stdout == f"{dana}\n"
    assert (
        done.stderr
        == f"mnemo: warning: already remembered as {dana} (nothing stored; --allow-duplicate stores it again)\n"
    )
    assert mnemo_ok("remember", "Dana prefers email", "--allow-duplicate") != f"{dana}\n"
    newer = mnemo_ok("update", dana[:6], "--text", "Dana prefers Signal").strip()
    versions = json.loads(mnemo_ok("show", newer[:6], "--history", "--json"))["versions"]
    assert [v["id"] for v in versions] == [dana, newer] and versions[1]["supersedes"] == dana
    latest = mnemo_ok("remember", "Dana is travelling", "--supersedes", newer[:6]).strip()
    assert len(mnemo_ok("show", dana[:6], "--history").splitlines()) == 3
    assert "Dana prefers Signal" not in texts() and "Dana is travelling" in texts()
    refused = mnemo("update", latest[:6], env=PW)
    assert (refused.returncode, refused.stderr) == (
        2,
        "mnemo: error: nothing to update: give --text, --tag or --meta\n",
    )


def test_near_duplicate_warning(store: dict[str, str]) -> None:
    done = mnemo("remember", "dana prefers email.", env=PW)
    assert done.returncode == 0 and len(done.stdout.strip()) == 32
    assert done.stderr.startswith(f"mnemo: warning: this looks like {store['Dana prefers email']} (similarity ")
