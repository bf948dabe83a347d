"""The Qt binding this app runs on must not corrupt Python's reference counts when a signal is emitted.

PySide6 6.12.0 dropped one reference to ``True`` on every ``Signal.emit()``: a monitor that emits a
few signals per poll crashed the interpreter (``bool_dealloc``) within minutes. pyproject excludes it.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)


def test_emitting_signals_keeps_reference_counts(qtbot):
    emitter = _Emitter()
    received = []
    emitter.changed.connect(received.append)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(200):
        emitter.changed.emit(None)
    assert len(received) == 200
    assert abs(sys.getrefcount(True) - true_before) < 20
    assert abs(sys.getrefcount(None) - none_before - 200) < 20  # the received list holds 200 Nones
