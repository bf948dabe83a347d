"""Where the app keeps its files. Every environment variable the app reads lives here.

Tests point all of these at a temporary folder through the ``FTS_HOME`` variable, so no
test touches a real user's files.
"""

from __future__ import annotations

import os
from pathlib import Path


APP_NAME = "FineTuneStudio"

#: One folder that replaces config, data, cache and log folders (tests, portable installs).
FTS_HOME = "FTS_HOME"
#: "1" forces the session-only secret store (no OS keyring).
FTS_SESSION_SECRETS = "FTS_SESSION_SECRETS"
#: "dark" or "light" overrides the system's colour scheme (else the app follows the system).
FTS_THEME = "FTS_THEME"
#: "1": the app prints "shown" once its first window is on screen, then quits (benchmarks/startup.py).
FTS_QUIT_AFTER_SHOW = "FTS_QUIT_AFTER_SHOW"
#: Azure Resource Manager's address for deployments (a sovereign cloud's, or a test server's); default Azure's.
FTS_AZURE_MANAGEMENT_URL = "FTS_AZURE_MANAGEMENT_URL"

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


def env(name: str) -> str | None:
    """The value of one of the variables named above; an empty one counts as unset."""
    return os.environ.get(name) or None


def theme_override() -> str | None:
    value = os.environ.get(FTS_THEME, "").strip().lower()
    return value if value in ("dark", "light") else None


def quit_after_show() -> bool:
    return os.environ.get(FTS_QUIT_AFTER_SHOW) == "1"


def _home() -> Path | None:
    value = os.environ.get(FTS_HOME)
    return Path(value) if value else None


def _platform_dir(kind: str) -> Path:
    import platformdirs  # here, not at the top: the window's first show needs only the variables above

    return Path(getattr(platformdirs, kind)(APP_NAME, appauthor=False))


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    home = _home()
    return _ensure(home / "config" if home else _platform_dir("user_config_dir"))


def data_dir() -> Path:
    home = _home()
    return _ensure(home / "data" if home else _platform_dir("user_data_dir"))


def cache_dir() -> Path:
    home = _home()
    return _ensure(home / "cache" if home else _platform_dir("user_cache_dir"))


def log_dir() -> Path:
    home = _home()
    return _ensure(home / "logs" if home else _platform_dir("user_log_dir"))


def runs_dir() -> Path:
    """Run folders of local training jobs."""
    return _ensure(data_dir() / "runs")


def log_file() -> Path:
    """The app's rotating log (``backend.log``)."""
    return log_dir() / "finetune-studio.log"


def settings_file() -> Path:
    return config_dir() / "settings.json"


def store_file() -> Path:
    return data_dir() / "jobs.sqlite3"
