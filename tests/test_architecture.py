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
    assert "Contracts: 6 kept, 0 broken" in out.stdout


# -- One provider, one module --------------------------------------------------------------------------------------
PROVIDER_HOME = ("backend/providers/", "backend/kinds.py", "backend/models.py")


def _sources(*tops: str) -> list[Path]:
    return [p for top in tops for p in sorted((ROOT / top).rglob("*.py"))]


def test_only_the_provider_modules_and_the_models_name_a_provider_kind():
    """Screens and commands ask the registry (``backend.providers``) and the provider class; nothing else
    decides by naming ``ProviderKind.X``."""
    import ast

    named = []
    for path in _sources("backend", "ui"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(PROVIDER_HOME):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "ProviderKind" and node.attr.isupper()):
                named.append(f"{rel}:{node.lineno}: ProviderKind.{node.attr}")
    assert named == []


def test_no_provider_is_probed_for_what_it_can_do():
    """Optional verbs are Protocols checked with isinstance/issubclass: no getattr/hasattr on a provider and no
    AttributeError caught to find out."""
    import re

    probe = re.compile(r"\b(getattr|hasattr)\((provider|provider_cls|cls|self\.provider)\b")
    found = []
    for path in _sources("backend", "ui"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        found += [f"{rel}: {m.group(0)}" for m in probe.finditer(text)]
        if rel != "backend/data/parallel.py":  # os.sched_getaffinity, absent on macOS and Windows: not a provider
            found += [f"{rel}: except AttributeError" for _ in re.finditer(r"except \(?AttributeError", text)]
    assert found == []


def test_the_code_passes_the_projects_linter():
    """The ruff configuration in pyproject.toml is the one the code is written to (its noqa codes included)."""
    out = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "."], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
