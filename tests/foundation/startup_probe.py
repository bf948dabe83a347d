"""Run the app the way ``python main.py`` does until its first page is built, then report as JSON:
which heavy modules were imported, the page it opened and the palette's lightness."""

from __future__ import annotations

import json
import sys

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ui.app import run_app

# On a first start (no account) the first page needs none of these; pydantic alone takes about as long as a
# bare window to show (benchmarks/startup.py).
HEAVY = ["torch", "transformers", "trl", "peft", "datasets", "openai", "accelerate", "tiktoken", "huggingface_hub",
         "pydantic", "numpy", "filelock"]

if __name__ == "__main__":
    status = run_app(["main.py"])  # FTS_QUIT_AFTER_SHOW=1: returns once the first page is ready
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
    print(json.dumps({
        "status": status,
        "imported": [name for name in HEAVY if name in sys.modules],
        "page": window.current_key,
        "window_lightness": app.palette().color(QPalette.ColorRole.Window).lightness(),
    }))
