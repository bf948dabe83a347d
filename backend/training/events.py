"""The trainer's events file: one JSON object per line, appended by the child, tailed by the app.

The app never depends on a pipe: the child appends and flushes each line, and a reader that
finds a half-written last line simply stops before it and reads it on its next call. Sequence
numbers continue across restarts (resume appends to the same file), so an event's id is stable.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

# Event types. ``finished`` carries ``status``: succeeded, paused (stopped with a checkpoint),
# cancelled (stopped without one) or failed.
# ``data`` is the app's note of what staging left out (duplicates, invalid examples) on request.
PHASE, PROGRESS, LOG, EVAL, CHECKPOINT, WARNING, ERROR, FINISHED, DATA = (
    "phase", "progress", "log", "eval", "checkpoint", "warning", "error", "finished", "data")


class TrainEvent(BaseModel):
    """One line of ``events.jsonl``. Figures absent from a line stay ``None``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    seq: int
    time: float
    type: str
    message: str = ""
    level: str = "info"
    phase: str | None = None
    step: int | None = None
    total_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    eval_loss: float | None = None
    accuracy: float | None = None
    eval_accuracy: float | None = None
    learning_rate: float | None = None
    tokens: int | None = None
    tokens_per_second: float | None = None
    checkpoint: str | None = None
    status: str | None = None


class EventLog:
    """Appends events to a run's ``events.jsonl``; safe to call from the trainer's threads."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seq = sum(1 for _ in read_events(self.path))
        # Line-buffered text file: every ``write`` of a full line reaches the OS at once.
        self._file = open(self.path, "a", encoding="utf-8", buffering=1)
        if self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
            self._file.write("\n")  # end a line cut short by a killed writer, so ours starts clean

    def emit(self, type: str, message: str = "", *, level: str = "info", **fields: Any) -> TrainEvent:
        with self._lock:
            event = TrainEvent(seq=self._seq, time=time.time(), type=type, message=message, level=level,
                               **{k: v for k, v in fields.items() if v is not None})
            self._file.write(json.dumps(event.model_dump(exclude_none=True), separators=(",", ":")) + "\n")
            self._file.flush()
            self._seq += 1
            return event

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()


def _parse(line: bytes) -> TrainEvent | None:
    try:
        return TrainEvent.model_validate(json.loads(line))
    except ValueError:
        return None  # a damaged line (disk full, killed mid-write): skip it, keep the rest


def read_events(path: Path | str) -> list[TrainEvent]:
    """Every complete event in the file (an empty list when it does not exist yet)."""
    return EventTail(path).read_new()


class EventTail:
    """Reads only what was appended since the last call, so polling a long run stays cheap."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._offset = 0
        self.events: list[TrainEvent] = []

    def read_new(self) -> list[TrainEvent]:
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                chunk = file.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1  # stop before a line the writer has not finished
        new = [e for e in (_parse(line) for line in chunk[:end].splitlines() if line.strip()) if e is not None]
        self._offset += end
        self.events.extend(new)
        return new
