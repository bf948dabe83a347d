"""The README's "Where things live" table says what backend.paths and the keyring code actually use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend import credentials, paths

README = Path(__file__).resolve().parents[2] / "README.md"


def _table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("What", "---"):
            rows[cells[0]] = cells[1]
    return rows


def _paths_in(cell: str) -> list[str]:
    return re.findall(r"`(~/[^`]+)`", cell)


@pytest.fixture
def linux_home(tmp_path, monkeypatch):
    for var in ("FTS_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def _expand(cell_path: str, home: Path) -> Path:
    return home / cell_path.removeprefix("~/").rstrip("/")


def test_every_place_in_the_readme_is_where_the_app_puts_it(linux_home):
    rows = _table()
    expected = {
        "Accounts (non-secret), settings": paths.settings_file(),
        "Job store (SQLite, WAL)": paths.store_file(),
        "Local training runs": paths.runs_dir(),
        "Caches (prepared uploads, tokenizer files)": paths.cache_dir(),
        "Log (rotating, secrets redacted)": paths.log_file(),
    }
    assert set(expected) <= set(rows), f"README table rows: {sorted(rows)}"
    for what, actual in expected.items():
        [written] = _paths_in(rows[what])
        assert _expand(written, linux_home) == actual, what


def test_the_readme_names_the_keyring_service_and_fts_home_folders(linux_home, tmp_path, monkeypatch):
    assert f"service `{credentials.SERVICE}`" in _table()["Secrets"]
    monkeypatch.setenv("FTS_HOME", str(tmp_path / "portable"))
    text = README.read_text(encoding="utf-8")
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.log_dir()):
        assert f"`{folder.name}/`" in text, folder

