"""The job store under the conditions a desktop app meets: two writers, a killed process, old and new files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend.errors import StudioError
from backend.models import Job, JobEvent, JobStatus, MetricPoint, ProviderKind, utcnow
from backend.store import SCHEMA_VERSION, WAL_LIMIT, JobStore, StoreError

ROOT = Path(__file__).resolve().parents[2]


def _child(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.foundation.store_child", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_processes_writing_at_once_to_a_new_file_all_get_through(tmp_path):
    """Four at once, starting on a file that does not exist yet (they race to create it and switch it to WAL)."""
    db = str(tmp_path / "jobs.sqlite3")
    writers = [_child("write", db, name, "150") for name in "abcd"]
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
        assert "locked" not in err
    store = JobStore(db)
    jobs = store.list_jobs()
    assert sorted(j.id for j in jobs) == sorted(f"{p}-{i}" for p in "abcd" for i in range(150))
    assert all(j.status is JobStatus.RUNNING for j in jobs)
    assert all(len(store.events(j.id)) == 1 for j in jobs)


def test_a_writer_in_this_process_and_one_in_another_do_not_lock_each_other_out(tmp_path):
    db = str(tmp_path / "jobs.sqlite3")
    store = JobStore(db)
    other = _child("write", db, "child", "200")
    for i in range(200):
        store.add_events(store.save_job(Job(id=f"here-{i}", provider=ProviderKind.HF_LOCAL)).id,
                         [JobEvent(id="e", created_at=utcnow(), message="m")])
    _, err = other.communicate(timeout=240)
    assert other.returncode == 0, err
    assert len(store.list_jobs()) == 400
    assert len(store.list_jobs(provider=ProviderKind.OPENAI)) == 200


def test_the_write_ahead_log_stays_small_under_sustained_writes_while_others_read(tmp_path):
    """A run's events and metrics stored without pause while the window's threads and another process poll:
    the log is emptied again and again instead of growing with all that was written (it reached 282 MB)."""
    db = tmp_path / "jobs.sqlite3"
    wal = Path(f"{db}-wal")
    store = JobStore(db)
    store.save_job(Job(id="run", provider=ProviderKind.HF_LOCAL))
    other = _child("read", str(db), "run")  # another process reading over two open connections
    done = threading.Event()
    reads = []

    def poll() -> None:  # as the Jobs page and the monitor's workers do, each with its own connection
        reader = JobStore(db)
        while not done.is_set():
            reads.append((reader.last_event_id("run"), reader.last_step("run"), reader.get_job("run"),
                          reader.list_jobs()))
        reader.close()

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    largest = 0
    try:
        assert other.stdout.readline().strip() == "reading", other.stderr.read()
        for poller in pollers:
            poller.start()
        for i in range(2000):
            store.add_events("run", [JobEvent(id=f"{i}-{k}", created_at=utcnow(), message="loss 0.25 " * 20)
                                     for k in range(20)])
            store.add_metrics("run", [MetricPoint(step=20 * i + k, train_loss=0.25) for k in range(20)])
            largest = max(largest, wal.stat().st_size)
    finally:
        done.set()
        for poller in pollers:
            poller.join(timeout=60)
        other.kill()
        other.wait(timeout=30)
    assert other.returncode == -signal.SIGKILL, other.stderr.read()  # still reading when killed: no error
    assert len(reads) > 10
    assert db.stat().st_size > 3 * WAL_LIMIT  # far more went through the log than it may hold
    assert largest <= 3 * WAL_LIMIT, f"the log reached {largest / 2**20:.1f} MB"
    assert len(store.events("run")) == 40_000 and len(JobStore(db).metrics("run")) == 40_000


def test_a_process_killed_in_the_middle_of_a_write_loses_only_that_write(tmp_path):
    db = str(tmp_path / "jobs.sqlite3")
    child = _child("hang", db, "20000")
    assert child.stdout.readline().strip() == "in-transaction", child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    store = JobStore(db)
    assert [j.id for j in store.list_jobs()] == ["committed"]
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.save_job(Job(id="after", provider=ProviderKind.OPENAI))  # the dead writer's lock is gone
    assert {j.id for j in JobStore(db).list_jobs()} == {"committed", "after"}


# The schema as the first release created it (version 1: jobs only), written here by hand, not
# from MIGRATIONS, so that an edit to a released migration fails this test.
_V1 = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, provider TEXT NOT NULL, account_id TEXT, remote_id TEXT, run_dir TEXT,
    status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX jobs_remote ON jobs(provider, remote_id);
PRAGMA user_version=1;
"""


def test_a_store_from_an_older_release_is_upgraded_and_keeps_its_jobs(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    old = Job(id="old-job", provider=ProviderKind.OPENAI, remote_id="ftjob-1", name="from v1",
              status=JobStatus.SUCCEEDED, fine_tuned_model="ft:gpt-4o-mini:me::abc",
              config={"base_model": "gpt-4o-mini", "n_epochs": 3}, data_summary={"examples": 12})
    raw = sqlite3.connect(path)
    raw.executescript(_V1)
    raw.execute("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?)",
                (old.id, "openai", None, "ftjob-1", None, "succeeded", old.created_at.isoformat(),
                 old.updated_at.isoformat(), old.model_dump_json()))
    raw.commit()
    raw.close()

    store = JobStore(path)
    assert store.schema_version == SCHEMA_VERSION > 1
    assert store.get_job("old-job") == old
    assert store.find_remote(ProviderKind.OPENAI, "ftjob-1") == old
    assert store.add_events("old-job", [JobEvent(id="e1", created_at=utcnow(), message="hello")]) == 1
    store.close()
    assert JobStore(path).events("old-job")[0].message == "hello"  # a second open migrates nothing


def test_a_store_from_a_newer_release_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY)")
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError) as caught:
        JobStore(path)
    assert isinstance(caught.value, StudioError)  # the UI and the CLI show it as a sentence
    text = str(caught.value)
    assert "newer Fine-Tune Studio" in text and str(path) in text and "Update" in text
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1  # untouched


def test_a_file_that_is_not_a_store_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a job store"):
        JobStore(path)
    assert path.read_text().startswith("these are my notes")


def test_the_cli_prints_the_sentence_for_a_newer_store(isolated_home):
    from backend import paths

    raw = sqlite3.connect(paths.store_file())
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    raw.commit()
    raw.close()
    result = subprocess.run([sys.executable, "main.py", "jobs", "list"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "FTS_HOME": str(isolated_home)}, timeout=120)
    assert result.returncode == 1
    assert "newer Fine-Tune Studio" in result.stderr and "Traceback" not in result.stderr


def test_changed_since_answers_from_its_index_oldest_change_first(tmp_path):
    """The app's monitor asks every few seconds what another process recorded: one indexed query on updated_at."""
    store = JobStore(tmp_path / "jobs.sqlite3")
    first = store.save_job(Job(provider=ProviderKind.OPENAI, remote_id="ftjob-a", status=JobStatus.QUEUED))
    second = store.save_job(Job(provider=ProviderKind.OPENAI, remote_id="ftjob-b", status=JobStatus.QUEUED))
    assert [j.id for j in store.changed_since()] == [first.id, second.id]
    again = store.save_job(first.model_copy(update={"status": JobStatus.RUNNING}))
    assert [j.id for j in store.changed_since(second.updated_at.isoformat())] == [second.id, first.id]
    assert store.changed_since(again.updated_at.isoformat())[-1].status is JobStatus.RUNNING
    plan = sqlite3.connect(store.path).execute(
        "EXPLAIN QUERY PLAN SELECT doc FROM jobs WHERE updated_at >= ? ORDER BY updated_at", ("",)).fetchall()
    assert "jobs_updated" in " ".join(str(row) for row in plan)
    store.close()
