"""Cancellation and progress, shared by every long operation in the backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from backend.errors import Cancelled

T = TypeVar("T")


class CancelToken:
    """Set by the caller (a Stop button, Ctrl-C); checked by long work between units."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units (bytes, lines, steps); ``total`` is None when unknown."""

    done: float
    total: float | None = None
    message: str = ""
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


ProgressFn = Callable[[Progress], None]


class EtaClock:
    """Turns successive (done, total) readings into Progress with an ETA from the average rate."""

    def __init__(self, total: float | None, clock: Callable[[], float] = time.monotonic):
        self.total = total
        self._clock = clock
        self._start = clock()

    def progress(self, done: float, message: str = "") -> Progress:
        eta = None
        elapsed = self._clock() - self._start
        if self.total and done > 0 and elapsed > 0:
            rate = done / elapsed
            eta = max(0.0, (self.total - done) / rate)
        return Progress(done=done, total=self.total, message=message, eta_seconds=eta)


def call_with_deadline(fn: Callable[[], T], seconds: float, cancel: CancelToken | None = None) -> T:
    """``fn()`` in a daemon thread: its result or its exception, ``TimeoutError`` when it has not returned
    after ``seconds``, ``Cancelled`` as soon as ``cancel`` is set. A call that hangs (a D-Bus keyring, a
    server that never answers) cannot be interrupted; it is left to finish on its own."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="deadline-call", daemon=True).start()
    end = time.monotonic() + seconds
    while not done.wait(min(0.05, max(0.0, end - time.monotonic()))):
        if cancel is not None and cancel.cancelled:
            raise Cancelled()
        if time.monotonic() >= end:
            raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
