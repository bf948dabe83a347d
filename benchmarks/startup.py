"""Startup benchmark: time to the app's first shown window against a bare PySide6 QMainWindow.

Each run is a fresh interpreter: ``python main.py`` with ``FTS_QUIT_AFTER_SHOW=1`` (the app prints
"shown" just after its window's first paint, "ready" once its first page is built right after, then
quits) and, alternating with it, a script that shows an empty QMainWindow and prints "shown" just
after its first paint. Times are from starting the process to reading each line; the target is on "shown", the time
to a usable first page is reported beside it. The app runs in an empty temporary home, as on a first
start (it opens on Accounts and probes the keyring).
Run: ``.venv/bin/python benchmarks/startup.py [RUNS]``. The last line is a JSON object of figures and target.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MAX = 1.3
APP_MARKS = ("shown", "ready")
BARE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class Window(QMainWindow):
    def paintEvent(self, event):  # the same moment the app reports: just after its first paint
        super().paintEvent(event)
        QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))


app = QApplication(sys.argv)
window = Window()
window.setWindowTitle("bare")
window.resize(1180, 760)
window.show()
sys.exit(app.exec())
"""


def time_to(argv: list[str], env: dict[str, str], marks: tuple[str, ...] = ("shown",)) -> dict[str, float]:
    """Milliseconds from starting ``argv`` to each line in ``marks`` it prints."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen: dict[str, float] = {}
    for line in process.stdout:
        if line.strip() in marks:
            seen[line.strip()] = (time.perf_counter() - start) * 1000
            if len(seen) == len(marks):
                break
    if len(seen) < len(marks):
        raise SystemExit(f"{argv[1]} printed {sorted(seen)} of {list(marks)} (exit status {process.wait()})")
    process.wait(timeout=60)
    return seen


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    env = {**os.environ, "FTS_QUIT_AFTER_SHOW": "1", "FTS_HOME": tempfile.mkdtemp(prefix="fts-bench-startup-")}
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    app_cmd, bare_cmd = [sys.executable, "main.py"], [sys.executable, "-c", BARE]
    time_to(app_cmd, env, APP_MARKS)  # warm the file cache and compile .pyc files; not counted
    time_to(bare_cmd, env)
    app_ms, ready_ms, bare_ms = [], [], []
    for i in range(runs):
        app = time_to(app_cmd, env, APP_MARKS)
        app_ms.append(app["shown"])
        ready_ms.append(app["ready"])
        bare_ms.append(time_to(bare_cmd, env)["shown"])
        print(f"run {i + 1}: app shown {app_ms[-1]:.0f} ms, first page {ready_ms[-1]:.0f} ms; "
              f"bare QMainWindow {bare_ms[-1]:.0f} ms", flush=True)
    app_median, ready_median, bare_median = (statistics.median(v) for v in (app_ms, ready_ms, bare_ms))
    ratio = app_median / bare_median
    print(f"median time to first shown window: app {app_median:.0f} ms, bare {bare_median:.0f} ms, "
          f"ratio {ratio:.2f} (target at most {TARGET_MAX}); app's first page ready at {ready_median:.0f} ms "
          f"({ready_median / bare_median:.2f} x bare)")
    print(json.dumps({"app_ms": round(app_median, 1), "bare_ms": round(bare_median, 1), "ratio": round(ratio, 3),
                      "first_page_ms": round(ready_median, 1), "first_page_ratio": round(ready_median / bare_median, 3),
                      "runs": runs, "target_max": TARGET_MAX, "pass": ratio <= TARGET_MAX}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
