"""`from mnemo_cli import Store` works as the README shows, without slowing down the CLI's start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mnemo_cli

README_EXAMPLE = """
from mnemo_cli import Store, secrets

Store.create(None, [secrets.passphrase("my passphrase", "example")]).close()
with Store.open(None, secrets.passphrase("my passphrase", "example")) as store:   # None: $MNEMO_HOME
    store.remember("Dana prefers email", tags=["people"])
    for hit in store.recall("how do I reach Dana?", k=3):
        print(f"{hit.score:.2f} {hit.memory.text}")
"""


@pytest.mark.slow
def test_readme_example_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", README_EXAMPLE], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0.46 Dana prefers email\n"  # "reach" is not in it: the name and the meaning are


def test_lazy_names() -> None:
    assert mnemo_cli.Store.__name__ == "Store"
    assert mnemo_cli.secrets.passphrase("x", "t").kind == "passphrase"
    with pytest.raises(AttributeError):
        _ = mnemo_cli.Nope  # type: ignore[attr-defined]


def test_the_raw_record_api_is_not_public() -> None:
    """`Store` offers no way to write or read records past remember's, link's and forget's checks."""
    from mnemo_cli import Store

    public = {name for name in dir(Store) if not name.startswith("_")}
    assert not {"append", "records"} & public
    assert {"remember", "recall", "forget", "link"} <= public
