"""Start the Qt application."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication

from backend import paths

log = logging.getLogger(__name__)


def _excepthook(exc_type, exc, tb) -> None:
    """An exception that escapes a slot is logged and shown, never a silent crash."""
    log.error("unhandled exception", exc_info=(exc_type, exc, tb))
    from ui.tasks import describe_error
    from ui.widgets.plain import show_error

    if QApplication.instance() is not None:
        show_error(None, "Fine-Tune Studio", describe_error(exc))


def _setup_logging() -> None:
    from backend.log import setup_logging

    setup_logging()


def run_app(argv: list[str] | None = None) -> int:
    app = QApplication.instance()
    made_here = app is None
    if made_here:  # Qt makes Fusion itself from "-style": no style object crosses into Python (8 ms) at start
        app = QApplication([*(argv or sys.argv), "-style", "Fusion"])
    app.setApplicationName("Fine-Tune Studio")
    app.setOrganizationName("FineTuneStudio")
    app.setDesktopFileName("finetune-studio")
    from ui.theme import apply_theme, follow_system_scheme

    apply_theme(app, ask_scheme=False, set_style=not made_here)
    sys.excepthook = _excepthook
    from ui.main_window import MainWindow

    window = MainWindow(first_page_later=True)
    if paths.quit_after_show():  # benchmarks/startup.py: the window is on screen, then its first page
        window.first_shown.connect(lambda: print("shown", flush=True))
        window.ready.connect(lambda: (print("ready", flush=True), app.quit()))
    # What the first page need not wait for. The log file's imports (logging.handlers) cost 20 ms;
    # until it is set up a failure is printed (logging's last resort) and the excepthook still shows it.
    window.ready.connect(_setup_logging)
    window.ready.connect(lambda: follow_system_scheme(app))
    window.show()
    return app.exec()
