"""Bundled icons, style sheets and a sample dataset."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def icon_path(name: str) -> str:
    return str(ROOT / "icons" / f"{name}.svg")
