"""`layout.owned` (the one rule for which names a generation owns), `leftovers.find`/`sweep`, and
`fileops.remove_entry`, which removes a tree without following any symlink."""

from __future__ import annotations

from pathlib import Path

from mnemo_cli.log import fileops, layout, leftovers

GEN = bytes(range(16))
OTHER = bytes(range(1, 17))


def test_a_generation_owns_the_fixed_files_its_log_and_its_snapshots() -> None:
    for name in ("MNEMO", "keyslots", "keyslots.2", "HEAD", "lock", "log", "index"):
        assert layout.owned("", name, GEN)
    assert layout.owned("log", layout.log_name(GEN), GEN)
    assert layout.owned("index", layout.snapshot_name(GEN, 300), GEN)
    not_owned = [
        ("", "HEAD.tmp"),
        ("", "keyslots.tmp"),
        ("", "notes.txt"),
        ("log", layout.log_name(OTHER)),
        ("log", layout.log_name(GEN) + ".tmp"),
        ("index", layout.snapshot_name(OTHER, 300)),
        ("index", layout.snapshot_name(GEN, 300) + ".tmp"),
        ("index", f"{GEN.hex()}.x.snap"),
        ("index", f"{GEN.hex()}.\N{SUPERSCRIPT TWO}.snap"),
        ("elsewhere", "MNEMO"),
    ]
    for folder, name in not_owned:
        assert not layout.owned(folder, name, GEN), (folder, name)


def test_remove_entry_removes_links_as_links_at_every_depth(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "doc.txt").write_text("keep")
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "file").write_text("x")
    (tree / "a" / "link-to-folder").symlink_to(outside / "sub")
    (tree / "a" / "b" / "link-to-file").symlink_to(outside / "sub" / "doc.txt")
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    fileops.inject(None)
    fileops.remove_entry(tree)
    assert not tree.exists()
    assert fileops.mutating_calls() == 7  # a file and three links, three folders
    assert (outside / "sub" / "doc.txt").read_text() == "keep"
    link = tmp_path / "link"
    link.symlink_to(outside)
    fileops.remove_entry(link)
    assert not link.is_symlink() and (outside / "sub" / "doc.txt").exists()
    fileops.remove_entry(tmp_path / "missing")  # nothing to do


def test_find_lists_what_the_generation_does_not_own(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "log").mkdir(parents=True)
    for name in ("MNEMO", "HEAD", "HEAD.tmp", f"log/{layout.log_name(GEN)}", f"log/{layout.log_name(OTHER)}"):
        (store / name).write_bytes(b"")
    assert leftovers.find(store, GEN) == ["HEAD.tmp", f"log/{layout.log_name(OTHER)}"]
    assert leftovers.sweep(store, GEN) == ["HEAD.tmp", f"log/{layout.log_name(OTHER)}"]
    assert leftovers.find(store, GEN) == []
    assert sorted(p.name for p in store.rglob("*")) == sorted(["MNEMO", "HEAD", "log", layout.log_name(GEN)])
