"""Where a store lives: `$MNEMO_HOME`, else the platform's per-user data folder."""

from __future__ import annotations

import os
from pathlib import Path


def store_path() -> Path:
    """The store folder this process would use (it may not exist yet)."""
    configured = os.environ.get("MNEMO_HOME")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("mnemo", appauthor=False))
