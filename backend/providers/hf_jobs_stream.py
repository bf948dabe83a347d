"""A Hugging Face Job's log stream, turned back into the local trainer's events file.

Each job has a mirror folder (``data/hf-jobs/<job id>``) laid out as a local run folder: ``events.jsonl`` holds
the events the job printed (``FTS-EVENT`` lines, renumbered so that a resumed run's second remote job continues
the first's sequence), ``pushed.jsonl`` what it pushed, ``output.log`` its last other lines. So the monitor, the
charts and the store read a cloud run through the very code that reads a local one (``status.RunView``).

A ``Follower`` thread per job reads ``fetch_job_logs(follow=True)``, which replays the whole log from its start:
events already mirrored are skipped by their remote sequence number, so a restarted app catches up on what it
missed and never doubles anything. One process at a time follows a job (a file lock); the others only read.

A run that AutoTrain trains prints no ``FTS-EVENT`` lines: its follower reads AutoTrain's own log lines with the
parser of local AutoTrain runs (``backend.autotrain.logparse.LogReader``) into the same events. Those events are
numbered by their order in the remote log, one reader per pass over the stream, so a replayed log finds them
mirrored already, like the trainer's own.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path

from filelock import FileLock, Timeout

from backend import paths
from backend.autotrain.logparse import LogReader
from backend.training import events as ev
from backend.training.cloud import EVENT, PUSHED
from backend.training.spec import RunFolder

log = logging.getLogger(__name__)
_KEPT_LINES = 200
#: A line of plain output that says what failed: ``SomeError: ...`` (a traceback's last line) or ``ERROR: ...`` (pip).
_ERROR_LINE = re.compile(r"\b(?:[A-Z]\w*(?:Error|Exception)|ERROR|Killed)\b:?.*")  # of other output, for a failure's last words


def mirror_dir(job_id: str) -> Path:
    return paths.data_dir() / "hf-jobs" / job_id


_guard = threading.RLock()
_mirrors: dict[str, Mirror] = {}


class Mirror:
    """Appends what a job's log says to its mirror folder; safe from several threads of one process."""

    def __init__(self, folder: Path | str):
        self.folder = RunFolder(folder)
        self.folder.path.mkdir(parents=True, exist_ok=True)
        self.pushed_file = self.folder.path / "pushed.jsonl"
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}  # remote job id -> last remote seq mirrored
        self._count = 0
        self._size = -1  # of the events file when last counted: another writer (process) changes it
        try:  # a restarted app keeps the last words it mirrored before
            self._other = self.folder.output.read_text(encoding="utf-8").splitlines()[-_KEPT_LINES:]
        except FileNotFoundError:
            self._other = []

    @classmethod
    def at(cls, folder: Path | str) -> Mirror:
        """The one mirror of ``folder`` in this process (its follower and the provider's own notes share it, so
        sequence numbers never repeat)."""
        key = str(Path(folder).resolve())
        with _guard:
            found = _mirrors.get(key)
            if found is None:
                found = _mirrors[key] = cls(folder)
            return found

    def _sync(self) -> None:
        """Count the events file again when someone else wrote to it since (called under the lock)."""
        try:
            size = self.folder.events.stat().st_size
        except FileNotFoundError:
            size = 0
        if size == self._size:
            return
        self._count, self._seen = 0, {}
        for event in ev.read_events(self.folder.events):
            self._count += 1
            remote = getattr(event, "remote_job", None)
            if remote is not None:
                self._seen[remote] = max(self._seen.get(remote, -1), getattr(event, "remote_seq", -1))
        self._size = size

    def ingest(self, remote_id: str, line: str, reader: LogReader | None = None) -> None:
        """Mirror one line of ``remote_id``'s log; ``reader`` (an AutoTrain run's) reads its other lines too."""
        line = line.rstrip("\n")
        with self._lock:
            self._sync()
            if line.startswith(EVENT):
                try:
                    event = json.loads(line[len(EVENT):])
                    int(event["seq"])
                except (ValueError, KeyError, TypeError):
                    return
                self._add_remote(remote_id, event)
            elif line.startswith(PUSHED):
                try:
                    pushed = json.loads(line[len(PUSHED):])
                except ValueError:
                    return
                pushed["remote_job"] = remote_id
                if pushed not in self.pushed():
                    self._append(self.pushed_file, pushed)
            elif line.strip():
                if reader is not None:
                    reader.feed(line + "\n")
                self._other = (self._other + [line])[-_KEPT_LINES:]
                with open(self.folder.output, "w", encoding="utf-8") as file:
                    file.write("\n".join(self._other) + "\n")

    def _add_remote(self, remote_id: str, event: dict) -> None:
        """Append an event the job's log gave (its ``seq`` is the remote one), unless mirrored before (a replayed
        log). Called under the lock."""
        seq = int(event["seq"])
        if seq <= self._seen.get(remote_id, -1):
            return
        self._seen[remote_id] = seq
        event.update(seq=self._count, remote_seq=seq, remote_job=remote_id)
        self._count += 1
        self._append_event(event)

    def autotrain_reader(self, remote_id: str, logging_steps: int) -> LogReader:
        """A reader of AutoTrain's log lines into this mirror's events, for one pass over ``remote_id``'s log."""
        return LogReader(_RemoteLog(self, remote_id), logging_steps)

    def note(self, type: str, message: str, **fields) -> None:
        """An event of the app's own about this job (a budget stop), in the same file."""
        with self._lock:
            self._sync()
            self._append_event({"seq": self._count, "time": time.time(), "type": type, "message": message, **fields})
            self._count += 1

    def _append_event(self, event: dict) -> None:
        self._append(self.folder.events, event)
        self._size = self.folder.events.stat().st_size

    @staticmethod
    def _append(path: Path, value: dict) -> None:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(value, separators=(",", ":")) + "\n")

    def read_to_end(self, remote_id: str) -> None:
        """Note that the whole log of ``remote_id`` is mirrored (a stream opened after the job ended was read to
        its end), so the app never asks for it again."""
        (self.folder.path / f"read-{remote_id}").touch()

    def caught_up(self, remote_id: str) -> bool:
        """Whether the whole log of ended job ``remote_id`` is mirrored. False sends the app (a restarted one, or
        one whose live stream was cut) back to the log, which replays from the start; the replay doubles nothing.
        No clock is compared: only a stream opened after the job ended is known to hold everything."""
        return (self.folder.path / f"read-{remote_id}").exists()

    def last_error(self) -> str | None:
        """The last line of the job's other output that names an error (a traceback's last line, say), if any."""
        for line in reversed(self._other):
            found = _ERROR_LINE.search(line)
            if found:
                return found.group(0).strip()[:500]
        return None

    def autotrain_failure(self) -> str:
        """Why an AutoTrain run failed: its log's last meaningful lines and what to do, as a local run says it."""
        reader = LogReader(_Discard(), 1)
        for line in self._other:
            reader.line(line)
        return reader.failure()

    def pushed(self) -> list[dict]:
        try:
            lines = self.pushed_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]


class _RemoteLog:
    """The ``EventLog`` an AutoTrain ``LogReader`` writes to: each event it reads becomes a remote event numbered
    by its order in the log (called from ``Mirror.ingest``, under the mirror's lock)."""

    def __init__(self, mirror: Mirror, remote_id: str):
        self.mirror, self.remote_id, self.seq = mirror, remote_id, 0

    def emit(self, type: str, message: str = "", *, level: str = "info", **fields) -> None:
        event = {"seq": self.seq, "time": time.time(), "type": type, "message": message, "level": level,
                 **{k: v for k, v in fields.items() if v is not None}}
        self.seq += 1
        self.mirror._add_remote(self.remote_id, event)


class _Discard:
    """An event log that keeps nothing (reading a failure's lines again must not add events)."""

    def emit(self, *args, **fields) -> None:
        pass


class Follower(threading.Thread):
    """Follows one remote job's log into its mirror until the job ends (or this process does)."""

    def __init__(self, mirror: Mirror, remote_id: str, fetch, after_end: bool = False,
                 autotrain_steps: int | None = None):
        super().__init__(daemon=True, name=f"hf-job-log-{remote_id}")
        self.mirror, self.remote_id, self.fetch, self.after_end = mirror, remote_id, fetch, after_end
        self.autotrain_steps = autotrain_steps  # an AutoTrain run's logging interval: read its log lines
        self.ended = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        lock = FileLock(str(self.mirror.folder.path / "follow.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:  # another process follows it: its mirror is ours to read
            self.ended.set()
            return
        try:
            reader = (self.mirror.autotrain_reader(self.remote_id, self.autotrain_steps)
                      if self.autotrain_steps else None)
            for line in self.fetch(self.remote_id):
                self.mirror.ingest(self.remote_id, line, reader)
            if self.after_end:
                self.mirror.read_to_end(self.remote_id)
        except Exception as exc:  # noqa: BLE001 - the next poll starts another follower
            self.error = str(exc)
            log.warning("log stream of job %s ended: %s", self.remote_id, exc)
        finally:
            lock.release()
            self.ended.set()


_followers: dict[tuple[str, str], Follower] = {}


def follow(job_id: str, remote_id: str, fetch, *, ended: bool = False,
           autotrain_steps: int | None = None) -> Follower:
    """The follower of ``remote_id``'s log into ``job_id``'s mirror, started when there is none (``ended``: the job
    had ended when it was asked for, so its stream holds the whole log; ``autotrain_steps``: AutoTrain trains the
    run, logging every so many steps)."""
    with _guard:
        current = _followers.get((job_id, remote_id))
        if current is None or current.ended.is_set():
            current = Follower(Mirror.at(mirror_dir(job_id)), remote_id, fetch, after_end=ended,
                               autotrain_steps=autotrain_steps)
            _followers[(job_id, remote_id)] = current
            current.start()
        return current
