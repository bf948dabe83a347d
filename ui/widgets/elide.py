"""A one-line label that never widens its window: long text (paths, names) is elided in the middle to the
width the layout gives it, and the full text is in a plain tooltip.

A QLabel asks for the width of its whole text, so one long path in a banner or a detail line widened the
main window. ``ElidedLabel`` asks for little (``minimumSizeHint`` is a few characters) and draws as much as
fits: ``/home/me/…/data/train.jsonl`` keeps both ends, which is what tells paths apart.

It is a QLabel (drawing its own elided text), so the theme's ``QLabel[role="heading"]``, ``[role="warning"]``
... rules style it as they style every other label: no font or colour set in code, and the dark theme reaches it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QWidget

from ui.widgets.plain import make_plain, plain_tooltip, set_role


class ElidedLabel(QLabel):
    """Plain text on one line, elided (``mode``, the middle by default) to the width it has; the tooltip
    holds the full text while any of it is hidden. ``text()``/``setText()`` as on a QLabel; ``role`` is the
    theme's label role ("heading", "warning", "error" ...), as ``setProperty("role", ...)`` on a plain label."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle, tooltip: str | None = None,
                 role: str | None = None):
        super().__init__(parent)
        make_plain(self)  # QLabel's own text stays empty: this class draws ``_text``, always as plain text
        self._text = ""
        self._mode = mode
        self._tooltip = tooltip  # None: the full text, shown only while elided
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)
        if role:
            self.set_role(role)

    def set_role(self, role: str | None) -> None:
        """Style as the theme styles labels of ``role`` (None: a plain label), at once, also when shown."""
        set_role(self, role)
        self.updateGeometry()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._text = text or ""
        self.setAccessibleName(self._text)
        self._refresh_tooltip()
        self.updateGeometry()
        self.update()

    def setFullToolTip(self, text: str | None) -> None:  # noqa: N802 - Qt's style
        """A tooltip shown always (``None``: the full text, shown only while elided)."""
        self._tooltip = text
        self._refresh_tooltip()

    def elided_text(self) -> str:
        """What is drawn at the current width."""
        return self.fontMetrics().elidedText(self._text, self._mode, max(0, self.contentsRect().width()))

    def is_elided(self) -> bool:
        return self.elided_text() != self._text

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        # +2: the advance is rounded down, and elidedText at exactly that width cut the last letters
        return QSize(min(metrics.horizontalAdvance(self._text) + 2, metrics.averageCharWidth() * 40)
                     + margins.left() + margins.right(), metrics.height() + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * 6, metrics.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._refresh_tooltip()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        QFrame.paintEvent(self, event)  # the frame only: QLabel's own (empty) text is not drawn
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.elided_text())

    def _refresh_tooltip(self) -> None:
        if self._tooltip is not None:
            self.setToolTip(plain_tooltip(self._tooltip))
        else:
            self.setToolTip(plain_tooltip(self._text if self.is_elided() else ""))


def elide_middle(text: str, chars: int = 60) -> str:
    """``text`` cut to at most ``chars`` characters with "…" in the middle: for a path or name inside a wrapped
    sentence, where one unbreakable long word would widen the label (and so the window)."""
    if len(text) <= chars:
        return text
    keep = chars - 1
    return text[:keep - keep // 2] + "…" + text[len(text) - keep // 2:]


def elide_words(text: str, chars: int = 60) -> str:
    """``text`` with each word (a run without spaces: a path, an id) longer than ``chars`` elided in the middle:
    a sentence from the backend that quotes a path wraps in its label instead of widening it."""
    return " ".join(elide_middle(word, chars) for word in text.split(" "))
