"""The model libraries' runtime: quiet them, import them, and word their errors in one line.

A leaf of `mnemo_cli.embed`: it imports nothing else from the package but its errors, so `embedder`,
`folder_model` and `model_spec` all use it without importing each other back. The libraries
themselves (onnxruntime, numpy, tokenizers, loguru under fastembed) are imported inside the
functions, never when this module is imported.
"""

from __future__ import annotations

import importlib
import os
import sys

from mnemo_cli.errors import ModelError


def quiet_runtime() -> None:
    """Keep the libraries under fastembed quiet and off the user's disk; call before importing them.

    onnxruntime (1.29 and later, Linux included) writes a device id and an event database under
    ~/.cache/Microsoft/DeveloperTools on first use, for its telemetry; `ORT_DISABLE_TELEMETRY`
    must be set before it is imported. fastembed logs failed cache lookups and download retries
    with loguru on stderr, where mnemo's errors are one line each.

    Every path to fastembed comes through here, so this is also where the one-file binary, which
    carries only the embedded model (fastembed and the image and hub libraries it imports are
    left out: build.spec), says so in one line.
    """
    quiet_runtime_env()
    try:
        from loguru import logger
    except ImportError:
        if not getattr(sys, "frozen", False):
            raise
        raise ModelError(
            "this mnemo binary runs only its embedded model",
            hint="for model folders and fastembed models, run mnemo from a Python install (`make install`)",
        ) from None

    logger.disable("fastembed")


def quiet_runtime_env() -> None:
    """`quiet_runtime`'s environment part; a no-op once done (setenv in one thread while another
    reads the environment in C is a race)."""
    if os.environ.get("ORT_DISABLE_TELEMETRY") != "1":
        os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def import_runtime() -> None:
    """Import what every model kind loads through: onnxruntime (first: see `embedder.Preload`), numpy,
    tokenizers (fastembed, which only other models need, comes with their load)."""
    quiet_runtime_env()
    for name in ("onnxruntime", "numpy", "tokenizers"):  # in this order: see `embedder.Preload`
        importlib.import_module(name)


def first_line(error: BaseException) -> str:
    """`error`'s message cut to its first line (its type's name when it has none), for a one-line ModelError."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
