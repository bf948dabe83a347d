"""The job registry: SQLite in WAL mode, a versioned schema, one row per job.

The store is the truth about what the user launched. Jobs are written before a provider's
create call (status ``creating``, with an idempotency key in ``metadata``) and again after it,
so a crash between the two can be reconciled instead of creating a duplicate. Events, metric
points and checkpoints are cached here so a restarted app shows a job's history at once and
fetches only what is new.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from backend import paths
from backend.errors import InvalidInput, StudioError
from backend.models import Checkpoint, Job, JobEvent, JobStatus, MetricPoint, ProviderKind, utcnow

# Each entry moves the schema from version i to i+1. Never edit a released entry: add one.
MIGRATIONS: list[str] = [
    # 1: jobs
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        account_id TEXT,
        remote_id TEXT,
        run_dir TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX jobs_remote ON jobs(provider, remote_id);
    """,
    # 2: cached history of each job
    """
    CREATE TABLE events (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, event_id)
    );
    CREATE TABLE metrics (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, step)
    );
    CREATE TABLE checkpoints (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        checkpoint_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (job_id, checkpoint_id)
    );
    """,
    # 3: what changed since a moment, cheaply (the app's monitor finds jobs that another process recorded)
    """
    CREATE INDEX jobs_updated ON jobs(updated_at);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
#: Bytes the write-ahead log may reach before a write checkpoints it back into the database and empties it.
WAL_LIMIT = 4 * 2**20


#: The job field (an extra of ``Job``) that holds when a paused job paused, as ISO text.
PAUSED_AT = "paused_at"


def unique_name(name: str, taken: set[str], when) -> str:
    """``name`` if no other job has it, else the name with its day ("tiny-llama · 28 Nov"), then with a short
    number ("tiny-llama · 28 Nov · 2"): readable, and each job's own in the list, the playground and notices."""
    if name not in taken:
        return name
    dated = f"{name} · {when.day} {when:%b}"
    if dated not in taken:
        return dated
    return next(f"{dated} · {n}" for n in range(2, len(taken) + 3) if f"{dated} · {n}" not in taken)


class StoreError(StudioError):
    """The job store cannot be opened or is newer than this app."""


class JobStore:
    """Thread-safe access to the job registry; several processes may open the same file."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else paths.store_file()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._wal = Path(f"{self.path}-wal")
        self._checkpoint_at = WAL_LIMIT
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout=30000")
            self._enable_wal()
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if "not a database" not in str(exc) and "malformed" not in str(exc):
                raise
            raise StoreError(f"{self.path} is not a job store Fine-Tune Studio can read ({exc}).",
                             hint="Move the file aside (the app then starts a new one) or restore it from a "
                                  "backup.") from exc
        except StoreError:
            self._db.close()
            raise

    def _enable_wal(self, seconds: float = 30.0) -> None:
        """Switch to WAL. Two processes opening a new file at once race for the switch, and SQLite
        answers "locked" at once there instead of waiting: wait here."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._keep_wal_small()

    def _keep_wal_small(self) -> None:
        """Empty the write-ahead log once it passes ``WAL_LIMIT`` (called after a commit, lock held).

        SQLite's own checkpoints copy pages back but start the log over only at a moment when no reader is
        using it, which steady polling never leaves: the log grew to 282 MB. A TRUNCATE checkpoint waits for
        the readers of the moment (later ones read the database itself) and empties the file. Readers can
        still hold it off now and then: it is tried again after another quarter of the limit, with a short
        wait, so a reader that keeps a transaction open costs a writer a little now and then, never a
        30 s wait per write."""
        try:
            size = self._wal.stat().st_size
        except OSError:
            return
        if size <= self._checkpoint_at:
            return
        self._db.execute("PRAGMA busy_timeout=250")
        try:
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            busy = 1
        finally:
            self._db.execute("PRAGMA busy_timeout=30000")
        self._checkpoint_at = size + WAL_LIMIT // 4 if busy else WAL_LIMIT

    # -- schema -------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The job store {self.path} was written by a newer Fine-Tune Studio (schema {version}, "
                    f"this app knows {SCHEMA_VERSION}). Update the app to open it."
                )
            while version < SCHEMA_VERSION:
                with self._write() as db:
                    # Re-read under the write lock: another process may have migrated meanwhile.
                    version = db.execute("PRAGMA user_version").fetchone()[0]
                    if version < SCHEMA_VERSION:
                        for statement in MIGRATIONS[version].split(";"):
                            if statement.strip():
                                db.execute(statement)
                        version += 1
                        db.execute(f"PRAGMA user_version={version}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- jobs ---------------------------------------------------------------------------
    def save_job(self, job: Job) -> Job:
        """Insert or replace a job; returns it as stored: ``updated_at`` refreshed, a new job whose name another
        job has named apart (``unique_name``), and a paused job with the moment it paused (``PAUSED_AT``, kept
        while it stays paused: its elapsed time stops there)."""
        with self._lock:
            before = self._db.execute("SELECT status, json_extract(doc, '$.paused_at') FROM jobs WHERE id=?",
                                      (job.id,)).fetchone()
            update: dict = {"updated_at": utcnow()}
            if before is None and job.name:
                update["name"] = self._free_name(job.name, job.id, job.created_at)
            if job.status is JobStatus.PAUSED:
                kept = (job.model_extra or {}).get(PAUSED_AT) or (before[1] if before and before[0] == "paused"
                                                                   else None)
                update[PAUSED_AT] = kept or update["updated_at"].isoformat()
            elif (job.model_extra or {}).get(PAUSED_AT):
                update[PAUSED_AT] = None
            job = job.model_copy(update=update)
            row = (job.id, job.provider.value, job.account_id, job.remote_id, job.run_dir, job.status.value,
                   job.created_at.isoformat(), job.updated_at.isoformat(), job.model_dump_json())
            self._db.execute(
                "INSERT INTO jobs (id, provider, account_id, remote_id, run_dir, status, created_at, updated_at, doc)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET provider=excluded.provider,"
                " account_id=excluded.account_id, remote_id=excluded.remote_id, run_dir=excluded.run_dir,"
                " status=excluded.status, updated_at=excluded.updated_at, doc=excluded.doc",
                row,
            )
            self._keep_wal_small()
        return job

    def _names(self, except_id: str) -> set[str]:
        rows = self._db.execute("SELECT json_extract(doc, '$.name') FROM jobs WHERE id<>?", (except_id,)).fetchall()
        return {r[0] for r in rows if r[0]}

    def _free_name(self, name: str, job_id: str, when) -> str:
        return unique_name(name, self._names(job_id), when)

    def rename_job(self, job_id: str, name: str) -> Job:
        """Give the job a name of the user's choice; InvalidInput when it is empty or another job has it."""
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("A job needs a name: type one, or press Escape to keep the old one.")
        with self._lock:
            job = self.get_job(job_id)
            if job is None:
                raise InvalidInput("This job is no longer in the list.")
            if name in self._names(job_id):
                raise InvalidInput(f"Another job is already called “{name}”. Choose a name no other job has.")
            return self.save_job(job.model_copy(update={"name": name}))

    def get_job(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT doc FROM jobs WHERE id=?", (job_id,)).fetchone()
        return Job.model_validate_json(row[0]) if row else None

    def find_remote(self, provider: ProviderKind, remote_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM jobs WHERE provider=? AND remote_id=?", (provider.value, remote_id)
            ).fetchone()
        return Job.model_validate_json(row[0]) if row else None

    def list_jobs(self, *, provider: ProviderKind | None = None, status: Iterable[JobStatus] | None = None) -> list[Job]:
        """Jobs newest first."""
        sql, args = "SELECT doc FROM jobs", []
        clauses = []
        if provider is not None:
            clauses.append("provider=?")
            args.append(provider.value)
        if status is not None:
            statuses = [s.value for s in status]
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            args.extend(statuses)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_at DESC"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [Job.model_validate_json(r[0]) for r in rows]

    def changed_since(self, since: str = "") -> list[Job]:
        """Jobs saved at or after ``since`` (an ``updated_at`` in ISO form; "" means all), oldest change first.
        Every timestamp is UTC in the same ISO form, so text order is time order and the index answers it."""
        with self._lock:
            rows = self._db.execute("SELECT doc FROM jobs WHERE updated_at >= ? ORDER BY updated_at",
                                    (since,)).fetchall()
        return [Job.model_validate_json(r[0]) for r in rows]

    def remove_job(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
            self._keep_wal_small()

    # -- history ------------------------------------------------------------------------
    def add_events(self, job_id: str, events: Iterable[JobEvent]) -> int:
        """Store events not seen before; returns how many were new."""
        rows = [(job_id, e.id, e.created_at.isoformat(), e.model_dump_json()) for e in events]
        if not rows:
            return 0
        with self._write() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO events VALUES (?,?,?,?)", rows)
        return db.total_changes - before

    def events(self, job_id: str) -> list[JobEvent]:
        """Events oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM events WHERE job_id=? ORDER BY created_at, rowid", (job_id,)
            ).fetchall()
        return [JobEvent.model_validate_json(r[0]) for r in rows]

    def last_event_id(self, job_id: str) -> str | None:
        """The newest stored event's id (where a monitor resumes), without reading the history."""
        with self._lock:
            row = self._db.execute("SELECT event_id FROM events WHERE job_id=? ORDER BY created_at DESC, rowid DESC"
                                   " LIMIT 1", (job_id,)).fetchone()
        return row[0] if row else None

    def last_step(self, job_id: str) -> int | None:
        """The highest stored metric step, without reading the points."""
        with self._lock:
            row = self._db.execute("SELECT MAX(step) FROM metrics WHERE job_id=?", (job_id,)).fetchone()
        return row[0] if row else None

    def add_metrics(self, job_id: str, points: Iterable[MetricPoint]) -> None:
        rows = [(job_id, p.step, p.model_dump_json(exclude_none=True)) for p in points]
        if not rows:
            return
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO metrics VALUES (?,?,?)", rows)

    def metrics(self, job_id: str) -> list[MetricPoint]:
        with self._lock:
            rows = self._db.execute("SELECT doc FROM metrics WHERE job_id=? ORDER BY step", (job_id,)).fetchall()
        return [MetricPoint.model_validate(json.loads(r[0])) for r in rows]

    def set_checkpoints(self, job_id: str, checkpoints: Iterable[Checkpoint]) -> None:
        rows = [(job_id, c.id, c.step, c.model_dump_json()) for c in checkpoints]
        with self._write() as db:
            db.execute("DELETE FROM checkpoints WHERE job_id=?", (job_id,))
            db.executemany("INSERT INTO checkpoints VALUES (?,?,?,?)", rows)

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM checkpoints WHERE job_id=? ORDER BY step", (job_id,)
            ).fetchall()
        return [Checkpoint.model_validate_json(r[0]) for r in rows]
