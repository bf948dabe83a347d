"""Startup benchmark: what the user waits for, against a bare PySide6 QMainWindow.

Each run is a fresh interpreter: ``python main.py`` with ``FTS_QUIT_AFTER_SHOW=1`` (the app prints "shown"
just after its window's first paint, "ready" just after its first page's first paint, then quits) and a
script that shows an empty QMainWindow and prints "shown" just after its first paint. Times are from
starting the process to reading each line; the two processes alternate, medians are judged.

Targets, in the same runs: the window's frame at most 1.3x the bare window, the first usable page at most
2.0x. The start measured is a first start (an empty home: the app opens on Accounts and probes the
keyring); with ``--returning`` it is a returning user's (one saved account: the app opens on New
fine-tune, whose first step lists the accounts).
Run: ``.venv/bin/python benchmarks/startup.py [RUNS] [--returning]``. The last line is a JSON object of
figures, targets and "pass"; the exit status is 0 only when every figure meets its target.
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
FRAME_MAX, PAGE_MAX = 1.3, 2.0
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


def home(returning: bool) -> str:
    """A fresh home: empty, or with one saved account (no key: none is read before the first page)."""
    folder = Path(tempfile.mkdtemp(prefix="fts-bench-startup-"))
    if returning:
        (folder / "config").mkdir()
        (folder / "config" / "settings.json").write_text(json.dumps(
            {"version": 1, "accounts": [{"id": "bench", "name": "Work", "kind": "openai"}]}), encoding="utf-8")
    return str(folder)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--returning"]
    returning = "--returning" in sys.argv[1:]
    runs = int(args[0]) if args else 7
    bare_env = {**os.environ, "FTS_QUIT_AFTER_SHOW": "1"}
    if not bare_env.get("DISPLAY") and not bare_env.get("WAYLAND_DISPLAY"):
        bare_env["QT_QPA_PLATFORM"] = "offscreen"
    app_env = {**bare_env, "FTS_HOME": home(returning)}
    start, page = ("returning", "New fine-tune") if returning else ("first start", "Accounts")
    app_cmd, bare_cmd = [sys.executable, "main.py"], [sys.executable, "-c", BARE]
    time_to(app_cmd, app_env, APP_MARKS)  # warm the file cache and compile .pyc files; not counted
    time_to(bare_cmd, bare_env)
    frame_ms, page_ms, bare_ms = [], [], []
    for i in range(runs):
        order = [(app_cmd, app_env, APP_MARKS), (bare_cmd, bare_env, ("shown",))]
        for argv, env, marks in order if i % 2 else order[::-1]:  # each goes first in half of the runs
            seen = time_to(argv, env, marks)
            if argv is app_cmd:
                frame_ms.append(seen["shown"])
                page_ms.append(seen["ready"])
            else:
                bare_ms.append(seen["shown"])
        print(f"run {i + 1}: app frame {frame_ms[-1]:.0f} ms, first page {page_ms[-1]:.0f} ms; "
              f"bare QMainWindow {bare_ms[-1]:.0f} ms", flush=True)
    frame, ready, bare = (statistics.median(v) for v in (frame_ms, page_ms, bare_ms))
    frame_ratio, page_ratio = frame / bare, ready / bare
    print(f"{start} (opens on {page}), medians of {runs}: frame {frame:.0f} ms = {frame_ratio:.2f} x bare "
          f"(at most {FRAME_MAX}); first page {ready:.0f} ms = {page_ratio:.2f} x bare (at most {PAGE_MAX}); "
          f"bare QMainWindow {bare:.0f} ms")
    figures = {"start": start.replace(" ", "_"), "runs": runs, "bare_ms": round(bare, 1),
               "frame_ms": round(frame, 1), "frame_ratio": round(frame_ratio, 3), "frame_max": FRAME_MAX,
               "first_page_ms": round(ready, 1), "first_page_ratio": round(page_ratio, 3), "first_page_max": PAGE_MAX,
               "pass": frame_ratio <= FRAME_MAX and page_ratio <= PAGE_MAX}
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
