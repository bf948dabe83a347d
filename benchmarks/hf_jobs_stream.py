"""Hugging Face (cloud) log-to-chart benchmark: ten jobs streaming their logs at once into the Jobs page.

The fake Hub (``tests/fakes/hub.py`` with its Jobs routes) runs in its own process, as the real one would; ten
jobs on it run ``tests.fakes.hub_jobs.EMITTER`` (no training): each prints a metric line (``FTS-EVENT``, with the
wall time it printed it) every ``EVERY`` seconds. The app's Jobs page, with its own driver at the app's settings,
follows all ten (one log follower thread per job, polls on the driver's workers) and shows one in its detail
view. Measured, each against a target:
1. the GUI thread's longest stall: the longest gap between beats of a 5 ms heartbeat QTimer, at most 50 ms;
2. a metric line reaches the chart within 1 s of the fake emitting it: for every point the shown job's chart
   received, the time it was added minus the time the job printed it; the worst at most 1 s;
3. the streaming real: every job's mirror holds all its lines by the end.
Run: ``.venv/bin/python benchmarks/hf_jobs_stream.py``. The last line is a JSON object of figures, targets and
"pass"; the exit status is 0 only when all pass.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["FTS_HOME"] = tempfile.mkdtemp(prefix="fts-bench-hfjobs-")
os.environ["FTS_SESSION_SECRETS"] = "1"  # the token stays in this process's memory
os.environ.pop("HF_HUB_OFFLINE", None)

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

JOBS, LINES, EVERY = 10, 60, 0.1  # 6 s of metric lines per job, all ten at once
BUDGET_STALL_MS, BUDGET_LATENCY_S = 50.0, 1.0
ROOT = str(Path(__file__).resolve().parents[1])
SERVER = """
import sys, tempfile, time
from tests.fakes.hub import FakeHub
hub = FakeHub(tempfile.mkdtemp()).__enter__()
print(hub.url, hub.token, flush=True)
while True:
    time.sleep(3600)
"""


def main() -> int:
    from backend import accounts
    from backend.models import Account, AccountKind, Job, JobStatus
    from backend.providers.hf_jobs import HFJobsProvider
    from backend.providers.hf_jobs_stream import mirror_dir
    from backend.store import JobStore
    from backend.training.events import read_events
    from tests.fakes.hub_jobs import EMITTER
    from ui.context import AppContext
    from ui.monitor.page import JobsPage

    app = QApplication.instance() or QApplication([])
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url, token = server.stdout.readline().split()
        account = accounts.save_account(Account(name="bench", kind=AccountKind.HUGGINGFACE, endpoint=url), token)
        provider = HFJobsProvider(account, token)
        store = JobStore()
        page = JobsPage(AppContext(store))  # the app's driver, at the app's settings
        page.resize(1200, 800)
        page.show()
        ids = []
        for i in range(JOBS):
            info = provider.api().run_job(image="python:3.12", command=["python", "-c", EMITTER], flavor="cpu-basic",
                                          env={"FTS_LINES": str(LINES), "FTS_EVERY": str(EVERY)}, namespace="alice",
                                          labels={"fts_job": f"bench-{i}"})
            job = Job(id=f"bench-{i}", provider=provider.kind, account_id=account.id, remote_id=info.id,
                      name=f"job {i}", run_dir=str(mirror_dir(f"bench-{i}")), status=JobStatus.RUNNING,
                      metadata={"namespace": "alice", "price_per_hour": "0.01", "flavor": "cpu-basic"})
            store.save_job(job)
            page.driver.job_recorded(job.id)
            ids.append(job.id)
        shown = ids[0]
        page.open_job(shown)
        first_seen: dict[int, float] = {}  # step -> wall time the shown job's chart first held it

        def look() -> None:
            """The chart's points are in step order: holding n points, it holds steps 1..n."""
            if page.detail.job is None or page.detail.job.id != shown:
                page.open_job(shown)
                return
            now = time.time()
            for step in range(len(first_seen) + 1, page.detail.charts.point_count() + 1):
                first_seen[step] = now

        settle = time.monotonic() + 30
        while (page.detail.job is None or page.detail.job.id != shown or page.history.loading) \
                and time.monotonic() < settle:
            app.processEvents()  # the page has read the store and shown the job: streaming alone from here
            look()
            time.sleep(0.001)
        page.grab()  # the page's first paint (fonts, chart layout) is startup, not streaming: done before measuring
        gaps: list[float] = []
        at: list[int] = []
        since = QElapsedTimer()
        since.start()
        beat = QElapsedTimer()
        beat.start()
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda: (gaps.append(beat.restart()), at.append(since.elapsed())))
        timer.start()
        deadline = time.monotonic() + LINES * EVERY + 20
        while time.monotonic() < deadline:
            app.processEvents()
            look()
            time.sleep(0.001)
            if len(first_seen) >= LINES and all(len(list(read_events(mirror_dir(i) / "events.jsonl"))) >= LINES
                                           for i in ids):
                break
        timer.stop()
        page.driver.stop()
        while page.driver.busy():
            app.processEvents()
        emitted = {e.step: e.time for e in read_events(mirror_dir(shown) / "events.jsonl")}
        latencies = [first_seen[s] - emitted[s] for s in first_seen if s in emitted]
        mirrored = [len(list(read_events(mirror_dir(i) / "events.jsonl"))) for i in ids]
    finally:
        server.terminate()
        server.wait(10)
    gaps, at = gaps[1:], at[1:]
    if os.environ.get("BENCH_DEBUG") and gaps:
        print(f"(longest gap ended {at[gaps.index(max(gaps))]} ms into the run; worst gaps {sorted(gaps)[-5:]} ms)")
    stall = max(gaps) if gaps else float("inf")
    worst = max(latencies) if latencies else float("inf")
    print(f"{JOBS} jobs streaming {LINES} metric lines each, one every {EVERY:g} s: GUI thread's longest stall "
          f"{stall:.1f} ms (budget {BUDGET_STALL_MS:.0f} ms), median heartbeat gap "
          f"{statistics.median(gaps) if gaps else float('nan'):.1f} ms")
    print(f"emit-to-chart latency of the shown job's {len(latencies)} points: worst {worst:.3f} s, median "
          f"{statistics.median(latencies) if latencies else float('nan'):.3f} s (budget {BUDGET_LATENCY_S:.0f} s)")
    print(f"lines mirrored per job: {mirrored} (of {LINES})")
    passed = {"stall": stall <= BUDGET_STALL_MS, "latency": worst <= BUDGET_LATENCY_S,
              "chart_complete": len(latencies) == LINES, "mirrors_complete": all(m == LINES for m in mirrored)}
    print(json.dumps({"stall_ms": round(stall, 1), "latency_worst_s": round(worst, 3),
                      "latency_median_s": round(statistics.median(latencies), 3) if latencies else None,
                      "points_charted": len(latencies), "mirrored": mirrored, "pass": passed}))
    return 0 if all(passed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
