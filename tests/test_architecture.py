"""The layering rule: backend never imports Qt or the UI."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import backend

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "transformers", "trl", "peft", "datasets", "PySide6", "shiboken6", "ui"]


def _backend_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(backend.__path__, "backend.")]


def test_every_backend_module_imports_without_qt_in_a_fresh_interpreter():
    modules = _backend_modules()
    assert "backend.store" in modules and "backend.providers.base" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6', 'ui'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_import_linter_contracts_hold():
    out = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 2 kept, 0 broken" in out.stdout
