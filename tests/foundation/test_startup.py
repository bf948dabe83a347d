"""Startup in a fresh interpreter: the first window needs none of the heavy libraries, and the theme
follows the system's (or the user's) choice of dark or light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _start(home: Path, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.foundation.startup_probe"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**os.environ, "FTS_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
                          "FTS_QUIT_AFTER_SHOW": "1", **env})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[:2] == ["shown", "ready"]  # the window was painted before its first page was built
    return json.loads(lines[-1])


def test_the_first_page_imports_no_training_provider_or_model_library(isolated_home):
    report = _start(isolated_home)
    assert report["status"] == 0
    assert report["page"] == "accounts"  # no account yet
    assert report["imported"] == []


@pytest.mark.parametrize(("theme", "dark"), [("dark", True), ("light", False)])
def test_the_theme_can_be_forced_dark_or_light(isolated_home, theme, dark):
    report = _start(isolated_home, FTS_THEME=theme)
    assert (report["window_lightness"] < 128) is dark


def test_a_dark_system_palette_means_a_dark_system(qapp):
    """A platform theme that reports dark through its palette (as GNOME's and KDE's do); the
    colour-scheme half is the subprocess tests' FTS_THEME and the offscreen platform's "unknown"."""
    from ui.theme import dark_palette, system_prefers_dark

    before = qapp.property("fts_system_palette")
    try:
        qapp.setProperty("fts_system_palette", dark_palette())  # what the platform gave the app
        assert system_prefers_dark(qapp) and system_prefers_dark(qapp, ask_scheme=False)
        qapp.setProperty("fts_system_palette", qapp.style().standardPalette())
        assert not system_prefers_dark(qapp)
    finally:
        qapp.setProperty("fts_system_palette", before)
