"""AutoTrain's own Python environment: built on first use, reused, repaired, removable.

AutoTrain Advanced 0.8.36 pins transformers 4.48, TRL 0.13 and huggingface_hub 0.27, so it can never share
the app's environment. It gets a ``venv`` of its own under the app's data folder, installed with ``--no-deps``
from the lock file vendored in ``resources/autotrain/requirements.txt`` (nothing is resolved at install time,
so every computer gets the same versions). A marker file holding the lock's hash is written last: a folder
without it (a build cancelled or killed, a folder deleted half-way) is "broken" and is rebuilt from scratch.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import venv
from dataclasses import dataclass
from pathlib import Path

from backend import paths
from backend.cancel import CancelToken, EtaClock, Progress, ProgressFn
from backend.errors import Cancelled, InvalidInput

LOCK = Path(__file__).resolve().parents[2] / "resources" / "autotrain" / "requirements.txt"
VERSION = "0.8.36"
#: Tests (and portable installs) may keep the environment elsewhere, e.g. a cache shared between test runs.
FTS_AUTOTRAIN_ENV = "FTS_AUTOTRAIN_ENV"
_MARKER = "fts-autotrain-ready.txt"
#: Measured on a 2-core Linux computer from local wheels: 1.4-1.6 GB, about 2.5 minutes; a download adds time.
SIZE_ESTIMATE_GB = 1.6
MINUTES_ESTIMATE = (3, 10)
_IMPORT_CHECK = "import autotrain, trl, peft, transformers, accelerate, datasets, torch"


def lock_hash() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()[:16]


def requirements() -> list[str]:
    lines = (line.split("#")[0].strip() for line in LOCK.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def location() -> Path:
    override = os.environ.get(FTS_AUTOTRAIN_ENV)
    return Path(override).expanduser() if override else paths.data_dir() / f"autotrain-{VERSION}"


def bin_dir(root: Path | None = None) -> Path:
    root = root or location()
    return root / ("Scripts" if os.name == "nt" else "bin")


def python(root: Path | None = None) -> Path:
    return bin_dir(root) / ("python.exe" if os.name == "nt" else "python")


def cli(root: Path | None = None) -> Path:
    return bin_dir(root) / ("autotrain.exe" if os.name == "nt" else "autotrain")


@dataclass(frozen=True)
class EnvState:
    """``ready``, ``missing`` (never built or removed) or ``broken`` (with the reason, in words)."""

    state: str
    path: Path
    reason: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def describe(self) -> str:
        if self.ready:
            return f"AutoTrain {VERSION} is installed in its own environment ({self.path}, {_size_text(self.path)})."
        if self.state == "missing":
            return (f"AutoTrain {VERSION} is not installed yet. Its own environment (about {SIZE_ESTIMATE_GB:g} GB, "
                    f"{MINUTES_ESTIMATE[0]}-{MINUTES_ESTIMATE[1]} minutes) is built the first time it is used.")
        return f"AutoTrain's environment in {self.path} is broken ({self.reason}); it is rebuilt the next time it is used."


def _size_text(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return f"{total / 1e9:.1f} GB"


def state(root: Path | None = None) -> EnvState:
    """What is on disk now. Cheap: it checks files, it does not start Python."""
    root = root or location()
    if not root.exists():
        return EnvState("missing", root)
    marker = root / _MARKER
    if not marker.is_file():
        return EnvState("broken", root, "its installation never finished")
    if marker.read_text(encoding="utf-8").strip() != lock_hash():
        return EnvState("broken", root, "it was built for another version of this app")
    for needed in (python(root), cli(root)):
        if not needed.exists():
            return EnvState("broken", root, f"{needed.name} is missing from it")
    return EnvState("ready", root)


def estimate() -> str:
    """What a first build costs, said before it starts."""
    return (f"AutoTrain {VERSION} needs its own Python environment: about {SIZE_ESTIMATE_GB:g} GB of disk in "
            f"{location()}, {MINUTES_ESTIMATE[0]}-{MINUTES_ESTIMATE[1]} minutes to download and install "
            f"({len(requirements())} pinned packages). It is built once and reused.")


def remove(root: Path | None = None) -> bool:
    """Delete the environment (Settings' "Remove"); False when there was none."""
    root = root or location()
    if not root.exists():
        return False
    shutil.rmtree(root)
    return True


def _run(command: list[str], step: str, cancel: CancelToken | None, on_line=None) -> None:
    """Run one build step, its output read line by line so a cancel ends it within a line."""
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    tail: list[str] = []
    try:
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-15:]
            if on_line:
                on_line(line)
            if cancel is not None and cancel.cancelled:
                raise Cancelled("Installing AutoTrain was cancelled; the half-built environment is removed next time.")
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode:
        last = "\n".join(line for line in tail if line.strip())[-1500:]
        raise InvalidInput(f"Installing AutoTrain failed while {step}. The installer said:\n{last}",
                           hint="Check the internet connection and free disk space, then try again.")


def ensure(progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Path:
    """The ready environment's folder, building (or rebuilding a broken one) first; progress in steps."""
    found = state()
    if found.ready:
        return found.path
    root = found.path
    report = progress or (lambda p: None)
    if found.state == "broken":
        report(Progress(0, None, f"Rebuilding AutoTrain's environment: {found.reason}."))
        shutil.rmtree(root, ignore_errors=True)
    else:
        report(Progress(0, None, estimate()))  # what it costs, said before it starts
    pins = requirements()
    clock = EtaClock(len(pins) + 3)
    report(clock.progress(0, f"Creating AutoTrain's environment in {root}"))
    root.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    if cancel is not None and cancel.cancelled:
        raise Cancelled("Installing AutoTrain was cancelled; the half-built environment is removed next time.")
    pip = [str(python(root)), "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "--no-input"]
    seen = [1]

    def count(line: str) -> None:  # pip names each package as it takes it: one step each
        if line.startswith(("Collecting ", "Processing ", "Obtaining ")):
            seen[0] += 1
            report(clock.progress(seen[0], f"Installing AutoTrain: {line.split()[1][:60]}"))

    torch = [p for p in pins if p.lower().startswith("torch==")]
    if torch:  # first and alone, the largest download by far, and with its own dependencies: the platform's
        # wheel of torch may need packages (CUDA libraries on Linux) that a lock written on one computer cannot name
        _run([p for p in pip if p != "--no-deps"] + torch, "installing PyTorch", cancel, count)
    _run(pip + ["-r", str(LOCK)], "installing AutoTrain's packages", cancel, count)
    report(clock.progress(len(pins) + 2, "Checking AutoTrain's environment"))
    _run([str(python(root)), "-c", _IMPORT_CHECK], "checking that AutoTrain starts", cancel)
    (root / _MARKER).write_text(lock_hash(), encoding="utf-8")
    report(clock.progress(len(pins) + 3, "AutoTrain is installed"))
    return root


def child_path(root: Path) -> str:
    """PATH for AutoTrain's process: its environment's scripts first (it starts ``accelerate launch``)."""
    return os.pathsep.join(p for p in (str(bin_dir(root)), os.environ.get("PATH", "")) if p)

