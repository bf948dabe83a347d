"""Where the app keeps its files. Every environment variable the app reads lives here.

Tests point all of these at a temporary folder through the ``FTS_HOME`` variable, so no
test touches a real user's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "FineTuneStudio"

#: One folder that replaces config, data, cache and log folders (tests, portable installs).
FTS_HOME = "FTS_HOME"
#: "1" forces the session-only secret store (no OS keyring).
FTS_SESSION_SECRETS = "FTS_SESSION_SECRETS"

# Provider credentials the Accounts page offers to import.
OPENAI_API_KEY = "OPENAI_API_KEY"
OPENAI_ORG_ID = "OPENAI_ORG_ID"
OPENAI_PROJECT_ID = "OPENAI_PROJECT_ID"
OPENAI_BASE_URL = "OPENAI_BASE_URL"
AZURE_OPENAI_API_KEY = "AZURE_OPENAI_API_KEY"
AZURE_OPENAI_ENDPOINT = "AZURE_OPENAI_ENDPOINT"
OPENAI_API_VERSION = "OPENAI_API_VERSION"
HF_TOKEN = "HF_TOKEN"
HF_ENDPOINT = "HF_ENDPOINT"


def _home() -> Path | None:
    value = os.environ.get(FTS_HOME)
    return Path(value) if value else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    home = _home()
    return _ensure(home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))


def data_dir() -> Path:
    home = _home()
    return _ensure(home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def cache_dir() -> Path:
    home = _home()
    return _ensure(home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def log_dir() -> Path:
    home = _home()
    return _ensure(home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)))


def runs_dir() -> Path:
    """Run folders of local training jobs."""
    return _ensure(data_dir() / "runs")


def settings_file() -> Path:
    return config_dir() / "settings.json"


def store_file() -> Path:
    return data_dir() / "jobs.sqlite3"
