"""The main window: a navigation list on the left, the current page on the right.

Pages are built the first time they are shown, so startup imports only what the first page
needs. Each page is a ``QWidget`` constructed as ``Page(context)``.
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget, QWidget

from resources import icon_path
from ui.context import AppContext
from ui.widgets.placeholder import ComingSoonPage

log = logging.getLogger(__name__)

# key, title, "module:Class", icon name
PAGES: list[tuple[str, str, str, str]] = [
    ("new", "New fine-tune", "ui.wizard.page:NewFineTunePage", "new"),
    ("jobs", "Jobs", "ui.monitor.page:JobsPage", "jobs"),
    ("playground", "Playground", "ui.playground.page:PlaygroundPage", "playground"),
    ("accounts", "Accounts", "ui.settings.accounts_page:AccountsPage", "accounts"),
]


def themed_icon(name: str, theme_name: str | None = None) -> QIcon:
    fallback = QIcon(icon_path(name))
    return QIcon.fromTheme(theme_name, fallback) if theme_name else fallback


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext | None = None):
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
        self._pages: dict[str, QWidget] = {}
        self._keys = [key for key, *_ in PAGES]
        for index, (key, title, _, icon) in enumerate(PAGES):
            item = QListWidgetItem(themed_icon(icon), title)
            item.setToolTip(f"{title} (Ctrl+{index + 1})")
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, k=key: self.show_page(k))
            self.addAction(action)
        self.nav.currentRowChanged.connect(lambda row: self.show_page(self._keys[row]) if row >= 0 else None)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.context.navigate.connect(self.show_page)
        self.statusBar().showMessage("Ready")
        self.show_page(self._first_page())

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
                widget: QWidget = ComingSoonPage(title)
            else:
                widget = getattr(module, class_name)(self.context)
            widget.setObjectName(f"page-{key}")
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
