"""Run llama.cpp's converter (``gguf_child.py``) as a child process: its steps as progress, a cancel as the end
of the process, its refusals as sentences. The benchmark runs the same child, so both pay the same start."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from backend.cancel import CancelToken
from backend.errors import Cancelled, CapabilityMissing, InvalidInput

CHILD = Path(__file__).with_name("gguf_child.py")
log = logging.getLogger(__name__)


def child_command(model_dir: Path, out_file: Path, quant: str) -> list[str]:
    return [sys.executable, str(CHILD), str(model_dir), str(out_file), quant]


def convert(model_dir: Path, out_file: Path, quant: str, *, steps, units: int, cancel: CancelToken) -> None:
    """Convert ``model_dir`` to ``out_file``; ``steps`` (``export._Steps``) gets each step and ``units`` at the end."""
    cancel.raise_if_cancelled()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the child chooses its own ``gguf``
    env["TQDM_DISABLE"] = "1"
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors, subprocess.Popen(
            child_command(model_dir, out_file, quant), stdout=subprocess.PIPE, stderr=errors, text=True,
            env=env) as child:
        events: list[dict] = []
        reader = threading.Thread(target=_read, args=(child, events, steps), daemon=True)
        reader.start()
        while child.poll() is None:
            if cancel.wait(0.1):
                child.kill()
                child.wait()
                out_file.unlink(missing_ok=True)
                raise Cancelled()
        reader.join(5)
        errors.seek(0)
        stderr = errors.read()
    if child.returncode == 0:
        steps.step("Converted", units)
        return
    log.warning("GGUF conversion failed (exit %s):\n%s", child.returncode, stderr[-20000:])
    kind = next((e.get("kind") for e in events if e.get("event") == "error"), None)
    if kind == "tokenizer":
        raise CapabilityMissing("llama.cpp does not know this model's tokenizer (its pre-tokenizer is not one the "
                                "converter lists), so it cannot be converted to GGUF.",
                                hint="Export the merged model instead, or train a base whose tokenizer llama.cpp "
                                     "supports.")
    last = _last_line(stderr)
    if kind == "converter":
        raise CapabilityMissing(f"llama.cpp's converter refused this model: {last}",
                                hint="Export the merged model instead.")
    raise InvalidInput(f"The GGUF conversion failed: {last}", hint="The app's log file has the converter's output.")


def _read(child: subprocess.Popen, events: list[dict], steps) -> None:
    for line in child.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        events.append(event)
        if event.get("event") == "step":
            steps.step(event.get("message", ""), stoppable=False)


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("INFO:")]
    return lines[-1] if lines else "no message"
