"""The main window: a navigation list on the left, the current page on the right.

Pages are built the first time they are shown, so startup imports only what the first page
needs. Each page is a ``QWidget`` constructed as ``Page(context)``. What must run whichever page is
open (the job monitor with its notifications, settling interrupted launches) starts just after the
first show, so it never delays the window.
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSize, QTimer, Signal  # not Qt: its namespace costs 20 ms at start
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QWidget,
)

from resources import icon_path
from ui.context import AppContext

log = logging.getLogger(__name__)
_PAINT = QEvent.Type.Paint

# key, title, "module:Class", icon name
PAGES: list[tuple[str, str, str, str]] = [
    ("new", "New fine-tune", "ui.wizard.page:NewFineTunePage", "new"),
    ("jobs", "Jobs", "ui.monitor.page:JobsPage", "jobs"),
    ("playground", "Playground", "ui.playground.page:PlaygroundPage", "playground"),
    ("accounts", "Accounts", "ui.settings.accounts_page:AccountsPage", "accounts"),
    ("evaluate", "Evaluate", "ui.evaluate.page:EvaluatePage", "evaluate"),
    ("deployments", "Deployments", "ui.deployments.page:DeploymentsPage", "deployments"),
]


def themed_icon(name: str, theme_name: str | None = None) -> QIcon:
    fallback = QIcon(icon_path(name))
    return QIcon.fromTheme(theme_name, fallback) if theme_name else fallback


def nav_icon(name: str, size: int = 48) -> QIcon:
    """A bundled icon whose strokes turn the selection's text colour on the selected navigation item
    (in the accent colour they would vanish into the highlight). Pixmaps, as Qt's SVG icon engine
    ignores a pixmap added for one mode."""
    svg = Path(icon_path(name)).read_text(encoding="utf-8")
    colour = QApplication.palette().color(QPalette.ColorRole.HighlightedText).name()
    icon = QIcon()
    for mode, text in [(QIcon.Mode.Normal, svg),
                       (QIcon.Mode.Selected, re.sub(r'stroke="#[0-9a-fA-F]{3,6}"', f'stroke="{colour}"', svg))]:
        pixmap = QPixmap(size, size)
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        QSvgRenderer(QByteArray(text.encode())).render(painter)
        painter.end()
        icon.addPixmap(pixmap, mode)
    return icon


class MainWindow(QMainWindow):
    #: The window has been painted for the first time (what can wait for it connects here).
    first_shown = Signal()
    #: The first page has been painted: what the user waits for (with ``first_page_later``, after ``first_shown``).
    ready = Signal()

    def __init__(self, context: AppContext | None = None, *, first_page_later: bool = False):
        """``first_page_later``: paint the frame (title, navigation) first; the status line, shortcuts
        and first page follow on the event loop's next turn, as the app does at start."""
        super().__init__()
        self.context = context or AppContext()
        self.setWindowTitle("Fine-Tune Studio")
        self.setWindowIcon(themed_icon("app"))
        self.resize(1180, 760)

        self.nav = QListWidget(objectName="nav")
        self.nav.setAccessibleName("Navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(200)
        self.stack = QStackedWidget()
        self.stack.setAccessibleName("Page")
        self._pages: dict[str, QWidget] = {}
        self._keys = [key for key, *_ in PAGES]
        for _key, title, _, icon in PAGES:
            self.nav.addItem(QListWidgetItem(nav_icon(icon), title))
        self.nav.currentRowChanged.connect(self._row_changed)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.context.navigate.connect(self.show_page)
        self.context.page_for = self.page  # cross-page requests build their page on first use
        self._started = False
        self._page_painted = True  # until the first page built after the first paint waits for its own
        self._frame_finished = False
        if not first_page_later:
            self._finish_frame()
            self.show_page(self._first_page())

    def _finish_frame(self) -> None:
        """The status line and Ctrl+1..6 for the pages, each navigation item's tooltip naming its key.
        At start they follow the first paint, with the first page: a status bar costs 7 ms, and the
        first ``setShortcut`` builds Qt's enum namespace (20 ms)."""
        from PySide6.QtGui import QAction, QKeySequence

        from ui.widgets.plain import plain_tooltip

        self._frame_finished = True
        self.statusBar().showMessage("Ready")
        for index, (key, title, *_) in enumerate(PAGES):
            shortcut = QKeySequence(f"Ctrl+{index + 1}")
            self.nav.item(index).setToolTip(
                plain_tooltip(f"{title} ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})"))
            action = QAction(title, self)
            action.setShortcut(shortcut)
            action.triggered.connect(lambda _=False, k=key: self.show_page(k))
            self.addAction(action)

    def _row_changed(self, row: int) -> None:
        # A list that gets focus on show makes its first row current: not a choice while the first
        # page waits for the first paint.
        if row >= 0 and self.stack.count():
            self.show_page(self._keys[row])

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._started:  # the rest of this first paint (children, flush) completes before the timer
            self._started = True
            QTimer.singleShot(0, self._after_first_show)

    def _after_first_show(self) -> None:
        self.first_shown.emit()
        if not self._frame_finished:
            self._finish_frame()
        if self.stack.count():  # built before the first paint, which drew it
            self._page_shown()
            return
        self.show_page(self._first_page())
        # Ready once the page is on screen, not when it is built: its layout and first paint are part of
        # the wait.
        self._page_painted = False
        self.stack.currentWidget().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if not self._page_painted and event.type() == _PAINT and watched is self.stack.currentWidget():
            self._page_painted = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._page_shown)  # after the rest of this paint and its flush
        return False

    def _page_shown(self) -> None:
        self.ready.emit()
        QTimer.singleShot(0, self.start_background)

    def start_background(self) -> None:
        """The app's job monitor (polling, desktop notifications) and settling interrupted launches."""
        self.context.reconcile_launches()
        self.context.monitor().start()
        from ui.monitor.notify import StatusLineNotices

        self.notices = StatusLineNotices(self.statusBar(), self.context.notifier, self.context.monitor().job_changed)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.context.stop()
        super().closeEvent(event)

    def _first_page(self) -> str:
        """Accounts when none exists yet, else a new fine-tune."""
        try:
            from backend import accounts

            return "new" if accounts.list_accounts() else "accounts"
        except Exception:  # noqa: BLE001 - a broken settings file must not stop the window
            log.exception("could not read accounts")
            return "accounts"

    def page(self, key: str) -> QWidget:
        """The page widget for ``key``, built on first use."""
        if key not in self._pages:
            _, title, target, _ = next(p for p in PAGES if p[0] == key)
            module_name, class_name = target.split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if not module_name.startswith(exc.name or "\0"):
                    raise
                from ui.widgets.placeholder import ComingSoonPage

                widget: QWidget = ComingSoonPage(title)
            else:
                widget = getattr(module, class_name)(self.context)
            widget.setObjectName(f"page-{key}")
            widget.setAccessibleName(title)
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return self._pages[key]

    def show_page(self, key: str) -> None:
        widget = self.page(key)
        self.stack.setCurrentWidget(widget)
        row = self._keys.index(key)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)

    @property
    def current_key(self) -> str:
        return self._keys[self.nav.currentRow()]
