"""One streamed reply off the GUI thread, delivered in batches so that a fast stream cannot flood the GUI.

The worker appends deltas to a ``ReplyBuffer`` (a lock and a list, no signal per token); the pane
drains it on a timer tick of ``TICK_MS``, so four panes streaming thousands of chunks cost the GUI
thread one short update per pane per tick.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from backend import chat
from backend.cancel import CancelToken, Progress, ProgressFn
from backend.models import ChatMessage, ChatParams, ProviderKind
from ui.tasks import Task, describe_error

TICK_MS = 20
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
    """Worker: load a local model (with progress) if needed, then stream the reply into ``buffer``."""
    provider = open_provider(ref)
    if getattr(provider, "kind", None) is ProviderKind.HF_LOCAL:
        from backend import local_chat

        local_chat.load(ref.model, progress=progress, cancel=cancel)
        progress(Progress(1, 1, ""))
    for item in chat.stream_reply(ref, messages, params, cancel, provider=provider):
        if isinstance(item, chat.ReplyStats):
            buffer.stats = item
        else:
            buffer.put(item)
    return buffer.stats


class ReplyStream(QObject):
    """A running reply: ``text`` (batched), ``status`` (loading), then exactly one of ``finished``
    (stats, or None when nothing was measured) or ``failed`` (the sentence to show)."""

    text = Signal(str)
    status = Signal(str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, ref: chat.ModelRef, messages: list[ChatMessage], params: ChatParams,
                 open_provider: Callable, parent: QObject | None = None):
        super().__init__(parent)
        self.buffer = ReplyBuffer()
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self._drain)
        self.task = Task(run_reply, ref, messages, params, self.buffer, open_provider, name=f"chat {ref.model}")
        self.task.on_progress(self._progress).on_success(self._done).on_cancelled(self._stopped)
        self.task.on_failure(self._failed)
        self.running = False

    def start(self) -> "ReplyStream":
        self.running = True
        self._timer.start()
        self.task.start(chat_pool())
        return self

    def stop(self) -> None:
        self.task.cancel()

    def _drain(self) -> None:
        piece = self.buffer.take()
        if piece:
            self.text.emit(piece)

    def _progress(self, p: Progress) -> None:
        self.status.emit(p.message)

    def _end(self) -> None:
        self._timer.stop()
        self._drain()
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
