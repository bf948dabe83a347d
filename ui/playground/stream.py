"""One streamed reply off the GUI thread, delivered in batches so that a fast stream cannot flood the GUI.

The worker appends deltas to a ``ReplyBuffer`` (a lock and a list, no signal per token). One pump
timer, shared by every running reply, moves the text to the panes about every ``TICK_MS`` per reply,
one reply per tick, so four long replies, whose every update re-lays out a growing paragraph, never
hold the GUI thread for long at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from backend import chat
from backend.cancel import CancelToken, Progress, ProgressFn
from backend.models import ChatMessage, ChatParams
from backend.providers.base import LoadsModel
from ui.tasks import Task, describe_error

TICK_MS = 16
_pool: QThreadPool | None = None


def chat_pool() -> QThreadPool:
    """The playground's own pool: four panes must stream at once even on a two-core machine."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(8)
    return _pool


class ReplyBuffer:
    """Text that arrived and was not shown yet; filled by the worker, drained by the GUI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[str] = []
        self.stats: chat.ReplyStats | None = None

    def put(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)

    def take(self) -> str:
        with self._lock:
            parts, self._parts = self._parts, []
        return "".join(parts)


def run_reply(ref: chat.ModelRef, messages: list[ChatMessage], params: ChatParams, buffer: ReplyBuffer,
              open_provider: Callable, *, progress: ProgressFn, cancel: CancelToken) -> chat.ReplyStats | None:
    """Worker: load the model (with progress) where the provider loads one (``LoadsModel``: a model on this
    computer), then stream the reply into ``buffer``."""
    provider = open_provider(ref)
    if isinstance(provider, LoadsModel):
        progress(Progress(0, None, f"Loading {ref.title}…"))  # before the imports, which take seconds
        provider.load(ref.model, progress=progress, cancel=cancel)
        progress(Progress(1, 1, ""))
    for item in chat.stream_reply(ref, messages, params, cancel, provider=provider):
        if isinstance(item, chat.ReplyStats):
            buffer.stats = item
        else:
            buffer.put(item)
            # Yield the interpreter after each chunk: streams that arrive faster than they can be
            # parsed would otherwise keep the GIL from the GUI thread for tens of milliseconds.
            time.sleep(0)
    return buffer.stats


class _Pump(QObject):
    """The one timer that moves text from the running replies' buffers to their panes."""

    def __init__(self) -> None:
        super().__init__()
        self.streams: list[ReplyStream] = []
        self._next = 0
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self.tick)

    def add(self, stream: "ReplyStream") -> None:
        self.streams.append(stream)
        self._timer.setInterval(max(2, TICK_MS // len(self.streams)))
        self._timer.start()

    def remove(self, stream: "ReplyStream") -> None:
        if stream in self.streams:
            self.streams.remove(stream)
        if self.streams:
            self._timer.setInterval(max(2, TICK_MS // len(self.streams)))
        else:
            self._timer.stop()

    def tick(self) -> None:
        """Updates one reply per tick, in turn: each reply is updated every TICK_MS, and the relayout
        and repaint that an update causes run in their own pass of the event loop, between which
        input and other timers get through."""
        if self.streams:
            self._next %= len(self.streams)
            self.streams[self._next].drain()
            self._next += 1


_pump: _Pump | None = None


def pump() -> _Pump:
    global _pump
    if _pump is None:
        _pump = _Pump()
    return _pump


class ReplyStream(QObject):
    """A running reply: ``text`` (batched), ``status`` (loading), then exactly one of ``finished``
    (stats, or None when nothing was measured) or ``failed`` (the sentence to show). It has no Qt
    parent: the pump keeps it alive until it ends, even when its pane was closed meanwhile."""

    text = Signal(str)
    status = Signal(str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, ref: chat.ModelRef, messages: list[ChatMessage], params: ChatParams,
                 open_provider: Callable, parent: QObject | None = None):
        super().__init__(parent)
        self.buffer = ReplyBuffer()
        self.task = Task(run_reply, ref, messages, params, self.buffer, open_provider, name=f"chat {ref.model}")
        self.task.on_progress(self._progress).on_success(self._done).on_cancelled(self._stopped)
        self.task.on_failure(self._failed)
        self.running = True  # from creation: a reply about to start counts as running

    def start(self) -> "ReplyStream":
        if self.task.token.cancelled:  # stopped before it started
            self._stopped()
            return self
        pump().add(self)
        self.task.start(chat_pool())
        return self

    def stop(self) -> None:
        self.task.cancel()

    def drain(self) -> None:
        piece = self.buffer.take()
        if piece:
            self.text.emit(piece)

    def _progress(self, p: Progress) -> None:
        self.status.emit(p.message)

    def _end(self) -> None:
        pump().remove(self)
        self.drain()
        self.running = False

    def _done(self, stats) -> None:
        self._end()
        self.finished.emit(stats)

    def _stopped(self) -> None:
        self._end()
        stats = self.buffer.stats or chat.ReplyStats()
        self.finished.emit(stats.model_copy(update={"stopped": True}))

    def _failed(self, exc: BaseException) -> None:
        self._end()
        self.failed.emit(describe_error(exc))
