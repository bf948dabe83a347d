"""Run backend callables off the GUI thread.

``Task(fn, *args).on_success(...).on_failure(...).on_progress(...).start()`` runs ``fn`` on the
global ``QThreadPool``; its result, error and progress come back as queued signals on the GUI
thread. If ``fn`` accepts ``progress`` and/or ``cancel`` keyword arguments it is given a
progress callback and a ``CancelToken``; ``Task.cancel()`` sets that token. A failure is logged
with its full traceback and reaches the page as a readable sentence (``describe_error``).
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from backend import paths
from backend.cancel import CancelToken, Progress
from backend.errors import Cancelled, StudioError
from backend.log import redact

log = logging.getLogger(__name__)

_running: set["Task"] = set()  # keeps a Task (and its signals) alive until it finishes


def describe_error(exc: BaseException) -> str:
    """The sentence a user sees for an exception, with any secret in it redacted."""
    if isinstance(exc, StudioError):
        return redact(str(exc))
    text = redact(str(exc)) or type(exc).__name__
    return (
        f"Something unexpected went wrong: {text}. "
        f"The details are in the log file in {paths.log_dir()}."
    )


class _Signals(QObject):
    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()


class _Runnable(QRunnable):
    def __init__(self, task: "Task"):
        super().__init__()
        self.setAutoDelete(True)
        self._task = task

    def run(self) -> None:  # worker thread
        task = self._task
        try:
            result = task.fn(*task.args, **task.kwargs)
        except Cancelled:
            _emit(task.signals.cancelled)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the UI
            if task.token.cancelled and not (task.keep_outcome and isinstance(exc, StudioError)):
                _emit(task.signals.cancelled)
            else:
                if not isinstance(exc, StudioError):
                    log.error("task %s failed:\n%s", task.name, "".join(traceback.format_exception(exc)))
                else:
                    log.warning("task %s failed: %s", task.name, exc)
                _emit(task.signals.failed, exc)
        else:
            if task.token.cancelled and not task.keep_outcome:
                _emit(task.signals.cancelled)
            else:
                _emit(task.signals.succeeded, result)
        finally:
            _emit(task.signals.finished)


def _guarded(slot: Callable) -> Callable:
    """``slot``, quiet when the widget it updates was deleted while the task ran (its page closed)."""

    def call(*args: Any) -> None:
        try:
            slot(*args)
        except RuntimeError as exc:
            if "already deleted" not in str(exc):
                raise
            log.debug("a task's result arrived after its widget was deleted: %s", exc)

    return call


def _emit(signal, *args) -> None:
    """Emit from the worker; when the app is closing and Qt already deleted the signals, say nothing."""
    try:
        signal.emit(*args)
    except RuntimeError:
        log.debug("a task finished after its signals were deleted (the app is closing)")


class Task:
    """One background call. Chain ``on_*`` then ``start()``."""

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str | None = None, keep_outcome: bool = False,
                 **kwargs: Any):
        """``keep_outcome``: a result, or a sentence (``StudioError``), that ``fn`` still gives after ``cancel()``
        reaches ``on_success``/``on_failure``, not ``on_cancelled``: for work whose effect cannot be taken back
        (a launch that sent its job), the user must learn what happened."""
        self.name = name or getattr(fn, "__qualname__", repr(fn))
        self.keep_outcome = keep_outcome
        self.token = CancelToken()
        self.signals = _Signals()
        self.args = args
        self.kwargs = dict(kwargs)
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        if "progress" in params:
            self.kwargs.setdefault("progress", self.signals.progressed.emit)
        if "cancel" in params:
            self.kwargs.setdefault("cancel", self.token)
        self.fn = fn
        self.running = False
        self.signals.finished.connect(self._done)

    def on_success(self, slot: Callable[[Any], None]) -> "Task":
        self.signals.succeeded.connect(_guarded(slot))
        return self

    def on_failure(self, slot: Callable[[BaseException], None]) -> "Task":
        self.signals.failed.connect(_guarded(slot))
        return self

    def on_error_message(self, slot: Callable[[str], None]) -> "Task":
        """Like ``on_failure`` but receives the user-facing sentence."""
        self.signals.failed.connect(_guarded(lambda exc: slot(describe_error(exc))))
        return self

    def on_progress(self, slot: Callable[[Progress], None]) -> "Task":
        self.signals.progressed.connect(_guarded(slot))
        return self

    def on_cancelled(self, slot: Callable[[], None]) -> "Task":
        self.signals.cancelled.connect(_guarded(slot))
        return self

    def on_finished(self, slot: Callable[[], None]) -> "Task":
        self.signals.finished.connect(_guarded(slot))
        return self

    def start(self, pool: QThreadPool | None = None) -> "Task":
        self.running = True
        _running.add(self)
        (pool or QThreadPool.globalInstance()).start(_Runnable(self))
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def _done(self) -> None:
        self.running = False
        _running.discard(self)

