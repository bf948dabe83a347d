"""Child processes for the job store tests: ``python -m tests.foundation.store_child MODE DB ...``.

``write DB PREFIX N``: save N jobs with an event each, one write at a time (a second writer runs beside it).
``read DB JOB``: print "reading", then read what a poll reads (the job's last event and step, the job list)
over two open connections, without pause, until killed (as the window and ``jobs watch`` poll while a run writes).
``hang DB N``: commit one job, then open a transaction holding N jobs and wait, never committing,
until the test kills the process.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from backend.models import Job, JobEvent, JobStatus, ProviderKind, utcnow
from backend.store import JobStore


def write(db: str, prefix: str, count: int) -> None:
    store = JobStore(db)
    for i in range(count):
        job = store.save_job(Job(id=f"{prefix}-{i}", provider=ProviderKind.OPENAI, name=f"{prefix} {i}"))
        store.add_events(job.id, [JobEvent(id=f"ev-{i}", created_at=utcnow(), message=f"event {i}")])
        store.save_job(job.model_copy(update={"status": JobStatus.RUNNING}))
    store.close()


def read(db: str, job_id: str) -> None:
    stores = [JobStore(db), JobStore(db)]
    print("reading", flush=True)
    while True:
        for store in stores:
            store.last_event_id(job_id)
            store.last_step(job_id)
            store.list_jobs()


def hang(db: str, count: int) -> None:
    store = JobStore(db)
    store.save_job(Job(id="committed", provider=ProviderKind.OPENAI, name="committed"))
    db_ = store._db  # the raw connection: a write left open, as a crash in the middle of one would
    db_.execute("BEGIN IMMEDIATE")
    created = utcnow()
    for i in range(count):
        job = Job(id=f"unfinished-{i}", provider=ProviderKind.OPENAI, created_at=created + timedelta(seconds=i))
        db_.execute("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?)",
                    (job.id, job.provider.value, None, None, None, job.status.value,
                     job.created_at.isoformat(), job.updated_at.isoformat(), job.model_dump_json()))
    print("in-transaction", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    mode, db, *rest = sys.argv[1:]
    if mode == "write":
        write(db, rest[0], int(rest[1]))
    elif mode == "read":
        read(db, rest[0])
    else:
        hang(db, int(rest[0]))
