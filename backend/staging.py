"""Folders for one launch's converted data (in cache/prepared), and their removal.

A kernel module: the launch removes a folder once the job is created (or the launch failed), and the providers
that stage data (the OpenAI upload, local training) make one; neither has to import the other for it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from backend import paths
from backend.models import new_id

#: Folders in cache/prepared older than this were left by a launch that died; the next launch removes them.
STAGING_MAX_AGE = 24 * 3600


def staging_dir() -> Path:
    """A fresh folder in cache/prepared for one launch's converted data. The launch removes it once it is
    no longer needed (``discard``); folders left by launches that died are removed here after a day."""
    root = paths.cache_dir() / "prepared"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        try:
            if time.time() - old.stat().st_mtime > STAGING_MAX_AGE:
                discard(old)
        except OSError:
            continue
    folder = root / new_id()
    folder.mkdir()
    return folder


def discard(folder: str | Path | None) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
