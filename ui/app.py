"""Start the Qt application."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from backend.log import setup_logging

log = logging.getLogger(__name__)


def _excepthook(exc_type, exc, tb) -> None:
    """An exception that escapes a slot is logged and shown, never a silent crash."""
    log.error("unhandled exception", exc_info=(exc_type, exc, tb))
    from PySide6.QtWidgets import QMessageBox

    from ui.tasks import describe_error

    if QApplication.instance() is not None:
        QMessageBox.critical(None, "Fine-Tune Studio", describe_error(exc))


def run_app(argv: list[str] | None = None) -> int:
    setup_logging()
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("Fine-Tune Studio")
    app.setOrganizationName("FineTuneStudio")
    app.setDesktopFileName("finetune-studio")
    from ui.theme import apply_theme

    apply_theme(app)
    sys.excepthook = _excepthook
    from ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    return app.exec()
