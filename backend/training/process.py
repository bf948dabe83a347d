"""Start, find, stop and kill the detached trainer process of a run folder.

The process is recorded as (pid, create time) in ``process.json``; a PID alone could be reused
by another program after a reboot, so "alive" means a live process with that PID *and* that
creation time. The child starts in its own session with no pipes to the app, so closing or
killing the app leaves it training. It inherits only the variables on an allow-list (locations,
language, caches and offline switches, GPU and thread settings), and never one whose name says it
holds a secret: it trains from files on disk and needs no credential.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import psutil

from backend.training.spec import RunFolder

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_children: dict[int, subprocess.Popen] = {}  # started by this app: polled so they never linger as zombies

# What the trainer may inherit. An allow-list, not a deny-list: a provider's next credential variable
# (HUGGINGFACEHUB_API_TOKEN, OPENAI_ADMIN_KEY, AZURE_OPENAI_AD_TOKEN got through the old list) stays out.
_PASSED = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "LD_LIBRARY_PATH",
    "VIRTUAL_ENV", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE",
    # Windows: what Python, torch and the C runtime need to start
    "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
    "PROGRAMDATA", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
}
_PASSED_PREFIXES = ("LC_", "XDG_", "FTS_", "HF_", "HUGGINGFACE_HUB_", "TRANSFORMERS_", "CUDA_", "NVIDIA_",
                    "PYTORCH_", "TORCH_", "CUBLAS_", "OMP_", "MKL_", "KMP_")
#: A name containing one of these is never passed, whatever list it is on.
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")


def _passes(name: str) -> bool:
    name = name.upper()  # Windows names are case-insensitive
    if any(word in name for word in SECRET_WORDS):
        return False
    return name in _PASSED or name.startswith(_PASSED_PREFIXES)


def child_environment(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The trainer's environment: the allowed variables of ``source`` (default: this process's), this
    project on PYTHONPATH, unbuffered output."""
    source = os.environ if source is None else source
    environment = {name: value for name, value in source.items() if _passes(name)}
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), source.get("PYTHONPATH")) if p)
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


def _write_record(folder: RunFolder, pid: int) -> None:
    record = {"pid": pid, "create_time": psutil.Process(pid).create_time()}
    tmp = folder.process.with_suffix(f".{os.getpid()}.tmp")  # parent and child may both write
    tmp.write_text(json.dumps(record), encoding="utf-8")
    tmp.replace(folder.process)


def record_self(folder: RunFolder) -> None:
    """Called by the child at start, so a run is findable even if the app died right after spawning."""
    _write_record(folder, os.getpid())


def launch(run_dir: Path | str, *, resume: bool = False, env: dict[str, str] | None = None,
           module: str = "backend.training") -> int:
    """Start ``python -m MODULE RUN_DIR`` (the TRL trainer, or AutoTrain's driver) detached from this process;
    return its PID.

    ``env``: the variables to start from (default: this process's), filtered by ``child_environment``."""
    folder = RunFolder(run_dir)
    folder.stop_request.unlink(missing_ok=True)
    environment = child_environment(env)
    command = [sys.executable, "-m", module, str(folder.path)] + (["--resume"] if resume else [])
    kwargs: dict = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
    else:
        kwargs["start_new_session"] = True
    with open(folder.output, "ab") as output:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                 cwd=str(folder.path), env=environment, close_fds=True, **kwargs)
    _children[child.pid] = child
    _write_record(folder, child.pid)
    return child.pid


def find(run_dir: Path | str) -> psutil.Process | None:
    """The run's trainer process if it is still running (and really is that process)."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            del _children[pid]  # reaped: no zombie left behind
    try:
        record = json.loads(RunFolder(run_dir).process.read_text(encoding="utf-8"))
        proc = psutil.Process(int(record["pid"]))
        if abs(proc.create_time() - float(record["create_time"])) > 0.05:
            return None  # the PID now belongs to another program
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (FileNotFoundError, ValueError, KeyError, psutil.Error):
        return None


def is_running(run_dir: Path | str) -> bool:
    return find(run_dir) is not None


def request_stop_and_save(run_dir: Path | str) -> bool:
    """Ask the trainer to save a checkpoint and exit; False when it is not running."""
    folder = RunFolder(run_dir)
    proc = find(run_dir)
    if proc is None:
        return False
    folder.stop_request.write_text("stop", encoding="utf-8")  # the portable channel; the signal is faster
    if hasattr(signal, "SIGUSR1"):
        try:
            proc.send_signal(signal.SIGUSR1)
        except psutil.Error:
            pass
    return True


def kill(run_dir: Path | str, timeout: float = 15.0) -> bool:
    """End the trainer now, with any worker processes it started; False when it was not running."""
    proc = find(run_dir)
    if proc is None:
        return False
    family = [proc] + proc.children(recursive=True)
    for member in family:
        try:
            member.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(family, timeout=timeout)
    find(run_dir)  # reap our own child
    return True


def wait(run_dir: Path | str, timeout: float | None = None) -> bool:
    """Wait for the trainer to end; True if it has ended."""
    proc = find(run_dir)
    if proc is None:
        return True
    child = _children.get(proc.pid)
    try:
        if child is not None:
            child.wait(timeout)
        else:
            proc.wait(timeout)
    except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
        return False
    find(run_dir)
    return True
