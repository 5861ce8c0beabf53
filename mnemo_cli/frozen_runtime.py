"""The one-file binary's heavy runtime: unpacked once into the user's cache, imported from there.

A PyInstaller one-file binary copies its whole archive to a fresh temporary folder on every call.
So `build.spec` keeps only the light part there (Python, the CLI, the store's crypto) and appends
the heavy runtime (onnxruntime, numpy and its libraries, tokenizers, usearch, cryptography, the
model) to the binary as an xz-compressed tar, the *payload* (followed by a copy of PyInstaller's
archive cookie, so that the bootloader need not search through it: scripts/runtime_payload.py).
Its sha256, size and top-level names travel in the light part (`runtime.json`). The first import
of one of those names (or the model folder's lookup) activates the runtime:

- `<cache>/mnemo/runtime/<sha256>/` is used when its stamp matches: every file's size and mtime
  as they were unpacked (a few thousand `stat()` calls, no hashing);
- otherwise the payload is read from the binary, hashed while it is unpacked into a temporary
  folder beside it (mode 0700), and renamed into place; a process that loses that race uses the
  winner's folder; a folder whose files changed is moved aside and unpacked again;
- a cache folder that cannot be written (read-only, full) gets the runtime unpacked into a
  temporary folder for this run only, removed at exit.

A payload whose hash differs from the one the light part carries is refused (one-line error).
The folder name is the hash, so a cache from another build is never mixed with this one. Outside
the binary (a venv) none of this runs: `install` is a no-op and `describe` reports the venv.
This module imports only the standard library (and platformdirs, at activation); what only the
activation needs (tarfile, lzma, hashlib, shutil, tempfile) is imported there, since every venv
command that looks up the model imports this module too.
"""

from __future__ import annotations

import importlib.abc
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mnemo_cli.errors import ModelError

#: Written by build.spec beside the light part's modules: {"sha256", "size", "trailer", "names"}:
#: the payload is the `size` bytes that end `trailer` bytes before the end of the binary.
MANIFEST = "mnemo_cli/runtime.json"
#: The unpacked folder's record of its files (path → [size, mtime_ns]).
STAMP = ".mnemo-runtime.json"
_STAMP_VERSION = 1
_REINSTALL = "download or build the mnemo binary again (`make binary`)"


@dataclass(frozen=True)
class Runtime:
    """The runtime this process imports from. `source`: `cache` (unpacked by an earlier run),
    `unpacked` (into the cache by this run) or `temporary` (this run only: the cache was unusable)."""

    path: Path
    sha256: str
    source: str


class RuntimeUnavailable(ModelError):
    """The binary's runtime cannot be unpacked or is not the one this build carries."""


_manifest: dict[str, Any] | None = None
_runtime: Runtime | None = None
_failure: RuntimeUnavailable | None = None
_lock = threading.Lock()


class _Finder(importlib.abc.MetaPathFinder):
    """Activates the runtime at the first import of one of its top-level names, then steps aside
    (the normal path finder imports the module from the folder `activate` put on sys.path)."""

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if _runtime is None and fullname.partition(".")[0] in self._names:
            activate()
        return None


def install() -> None:
    """In the one-file binary with a payload, arm the import hook; otherwise do nothing."""
    global _manifest
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or bundle is None:
        return
    try:
        with open(Path(bundle) / MANIFEST, encoding="utf-8") as f:
            _manifest = json.load(f)
    except FileNotFoundError:
        return  # a binary built without a payload carries everything in its archive
    sys.meta_path.insert(0, _Finder(frozenset(_manifest["names"])))


def active() -> bool:
    """True in a binary whose heavy runtime travels as a payload."""
    return _manifest is not None


def model_dir() -> Path | None:
    """The embedded model's folder inside the runtime (activating it), or None outside the binary."""
    if _manifest is None:
        return None
    return activate().path / "mnemo_cli" / "embed" / "model"


def describe() -> dict[str, str]:
    """Which runtime this process loaded, for `doctor`: path, sha256 and source."""
    if _manifest is None:
        return {"source": "frozen" if getattr(sys, "frozen", False) else "venv", "path": sys.prefix}
    runtime = activate()
    return {"source": runtime.source, "path": str(runtime.path), "sha256": runtime.sha256}


def activate() -> Runtime:
    """Make the runtime importable (unpacking it if need be) and return it; raises RuntimeUnavailable."""
    global _runtime, _failure
    assert _manifest is not None, "install() found no payload"
    with _lock:
        if _runtime is not None:
            return _runtime
        if _failure is not None:
            raise _failure
        try:
            runtime = _locate(_manifest)
        except RuntimeUnavailable as e:
            _failure = e
            raise
        sys.path.append(str(runtime.path))
        _runtime = runtime
        return runtime


def cache_root() -> Path:
    """`MNEMO_CACHE_DIR`, else the user cache folder (XDG_CACHE_HOME or ~/.cache on Linux), + runtime/."""
    configured = os.environ.get("MNEMO_CACHE_DIR")
    if configured:
        return Path(configured) / "runtime"
    import platformdirs

    return Path(platformdirs.user_cache_dir("mnemo", appauthor=False)) / "runtime"


def _locate(manifest: dict[str, Any]) -> Runtime:
    import shutil
    import tempfile

    sha256 = manifest["sha256"]
    root = cache_root()
    folder = root / sha256
    if _intact(folder):
        return Runtime(folder, sha256, "cache")
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=root))
    except OSError:
        return _temporary(manifest)
    try:
        _unpack(manifest, work)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        return _temporary(manifest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Runtime(_settle(work, folder), sha256, "unpacked")


def _settle(work: Path, folder: Path) -> Path:
    """Rename `work` into place as `folder`; a racing process's intact folder wins, a changed one goes."""
    import shutil

    for _ in range(3):
        try:
            os.rename(work, folder)
            return folder
        except OSError:
            if _intact(folder):
                shutil.rmtree(work, ignore_errors=True)
                return folder
            _discard(folder)
    return work  # never renamed: use it where it is (left in the cache's temporary name)


def _discard(folder: Path) -> None:
    """Move a changed or partial runtime folder aside and delete it."""
    import shutil

    aside = folder.with_name(f".stale-{os.getpid()}-{folder.name}")
    try:
        os.rename(folder, aside)
    except OSError:
        return
    print(f"mnemo: warning: the runtime in {folder} was changed; unpacking it again", file=sys.stderr)
    shutil.rmtree(aside, ignore_errors=True)


def _temporary(manifest: dict[str, Any]) -> Runtime:
    """Unpack into a temporary folder removed at exit: the cache folder cannot be written."""
    import atexit
    import shutil
    import tempfile

    try:
        work = Path(tempfile.mkdtemp(prefix="mnemo-runtime-"))
    except OSError as e:
        raise RuntimeUnavailable(f"cannot unpack mnemo's runtime: {e.strerror or e}") from None
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    try:
        _unpack(manifest, work)
    except OSError as e:
        raise RuntimeUnavailable(
            f"cannot unpack mnemo's runtime into {work}: {e.strerror or e}",
            hint="set MNEMO_CACHE_DIR to a writable folder with 200 MB free",
        ) from None
    return Runtime(work, manifest["sha256"], "temporary")


def _intact(folder: Path) -> bool:
    """True when `folder` holds every file of its stamp, each with the size and mtime it was unpacked with."""
    try:
        with open(folder / STAMP, encoding="utf-8") as f:
            stamp = json.load(f)
    except FileNotFoundError:
        if folder.exists():
            _discard(folder)
        return False
    except (OSError, ValueError):
        _discard(folder)
        return False
    if not isinstance(stamp, dict) or stamp.get("version") != _STAMP_VERSION:
        _discard(folder)
        return False
    for name, (size, mtime_ns) in stamp["files"].items():
        try:
            st = os.stat(os.path.join(folder, name))
        except OSError:
            _discard(folder)
            return False
        if st.st_size != size or st.st_mtime_ns != mtime_ns:
            _discard(folder)
            return False
    return True


class _HashingReader:
    """The payload's bytes, read from the binary once, hashed as tarfile reads them."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        import hashlib

        self._f = f
        self._left = size
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        self.digest.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def _unpack(manifest: dict[str, Any], work: Path) -> None:
    """Unpack the payload into `work` and stamp it; raises RuntimeUnavailable when its hash differs."""
    import lzma
    import tarfile

    size, trailer = manifest["size"], manifest["trailer"]
    try:
        f = open(sys.executable, "rb")  # noqa: SIM115  (the `with` below closes it; only opening fails here)
    except OSError as e:
        raise RuntimeUnavailable(f"cannot read mnemo's runtime from {sys.executable}: {e.strerror}") from None
    with f:
        f.seek(0, os.SEEK_END)
        if f.tell() < size + trailer:
            raise RuntimeUnavailable(f"{sys.executable} carries no runtime (truncated)", hint=_REINSTALL)
        f.seek(-(size + trailer), os.SEEK_END)
        reader = _HashingReader(f, size)
        try:
            with tarfile.open(fileobj=reader, mode="r|xz") as tar:  # type: ignore[call-overload]
                tar.extractall(work, filter="data")
            reader.drain()
        except (tarfile.TarError, lzma.LZMAError, EOFError, ValueError) as e:
            raise RuntimeUnavailable(f"the runtime inside {sys.executable} is damaged: {e}", hint=_REINSTALL) from None
    found = reader.digest.hexdigest()
    if found != manifest["sha256"]:
        raise RuntimeUnavailable(
            f"the runtime inside {sys.executable} has sha256 {found[:16]}…, expected {manifest['sha256'][:16]}…",
            hint=_REINSTALL,
        )
    files = {}
    for dirpath, _dirs, names in os.walk(work):
        for name in names:
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            files[os.path.relpath(path, work)] = [st.st_size, st.st_mtime_ns]
    stamp = json.dumps({"version": _STAMP_VERSION, "sha256": manifest["sha256"], "files": files})
    (work / STAMP).write_text(stamp, encoding="utf-8")
