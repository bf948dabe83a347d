"""The child process of an AutoTrain run: ``python -m backend.autotrain RUN_DIR``.

It runs in the app's Python (so it writes the app's events file), detached like a local TRL run, and starts
``autotrain --config autotrain.yml`` from AutoTrain's own environment as its child, in the run folder. Its
output is copied to ``output.log`` and read line by line into events (loss, learning rate, steps). On success
AutoTrain's project folder becomes the run's ``final`` folder, so Open in playground and Export work on it as
on any local run. Stop ends AutoTrain's whole process family: AutoTrain cannot save a checkpoint on request.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from backend.autotrain import env
from backend.autotrain.config import PROJECT
from backend.autotrain.logparse import LogReader
from backend.training import events as ev
from backend.training import process
from backend.training.spec import RunFolder

CONFIG = "autotrain.yml"


def _environment(root: Path) -> dict[str, str]:
    environment = process.child_environment()
    environment.pop("PYTHONPATH", None)  # AutoTrain's Python must not import the app's packages
    environment["PATH"] = env.child_path(root)
    environment["VIRTUAL_ENV"] = str(root)
    environment.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    environment["PYTHONIOENCODING"] = "utf-8"
    return environment


def _stop_family(proc: subprocess.Popen) -> None:
    import psutil

    try:
        family = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return
    for member in family:
        try:
            member.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(family, timeout=15)


def train(run_dir: Path | str) -> int:
    folder = RunFolder(run_dir)
    process.record_self(folder)
    log = ev.EventLog(folder.events)
    stop = threading.Event()
    for name in ("SIGUSR1", "SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: stop.set())
    try:
        found = env.state()
        if not found.ready:
            message = (f"AutoTrain's environment is not usable: {found.reason or 'it is not installed'}. Start the "
                       "run again from the wizard: the app rebuilds the environment first.")
            log.emit(ev.ERROR, message, level="error")
            log.emit(ev.FINISHED, message, status="failed", level="error")
            return 1
        spec = folder.read_spec()
        log.emit(ev.PHASE, f"Starting AutoTrain {env.VERSION}", phase="loading")
        reader = LogReader(log, spec.settings.logging_steps)
        with open(folder.output, "ab") as output:
            proc = subprocess.Popen([str(env.cli(found.path)), "--config", CONFIG], cwd=str(folder.path),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    env=_environment(found.path))
            watcher = threading.Thread(target=_watch_stop, args=(folder, stop, proc), daemon=True)
            watcher.start()
            for chunk in iter(lambda: proc.stdout.read1(65536), b""):
                output.write(chunk)
                output.flush()
                reader.feed(chunk.decode("utf-8", errors="replace"))
            code = proc.wait()
            reader.close()
        project = folder.path / PROJECT
        if stop.is_set():
            log.emit(ev.FINISHED, "Stopped by you (AutoTrain cannot save a checkpoint on request)", status="cancelled",
                     step=reader.step or None)
            return 0
        if code != 0 or not project.is_dir() or not any(project.glob("*.safetensors")):
            # AutoTrain 0.8.36 logs a failed training and still exits 0: its log says what happened.
            message = reader.failure() if code != 0 or reader.errors() else (
                f"AutoTrain ended without saving a model in {project}. Read output.log in the run folder for the cause.")
            log.emit(ev.ERROR, message, level="error")
            log.emit(ev.FINISHED, message, status="failed", level="error", step=reader.step or None)
            return 1
        log.emit(ev.PHASE, "Saving the trained model", phase="saving")
        project.replace(folder.final)
        log.emit(ev.FINISHED, "Training finished", status="succeeded", step=reader.step or None,
                 total_steps=reader.total)
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure must end the run with a sentence, not a silent exit
        message = f"The AutoTrain run could not be started: {exc}. Details are in output.log in the run folder."
        log.emit(ev.ERROR, message, level="error")
        log.emit(ev.FINISHED, message, status="failed", level="error")
        return 1
    finally:
        log.close()


def _watch_stop(folder: RunFolder, stop: threading.Event, proc: subprocess.Popen) -> None:
    """End AutoTrain when Stop is asked (by signal, or by the request file on Windows)."""
    while proc.poll() is None:
        if stop.wait(0.5) or folder.stop_request.exists():
            stop.set()
            _stop_family(proc)
            return


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m backend.autotrain RUN_DIR", file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return train(args[0])
