"""The poll scheduler: which job to refresh when, and how long to back off when an account is unreachable.

Pure Python with an injectable clock, so the GUI (driving it from a QTimer and worker threads), the
CLI (``jobs watch``) and tests share it. It starts from what the store holds, so after a restart every
job that was active is polled at once and catches up on what happened meanwhile. Running jobs are
polled often, queued ones rarely, finished ones never (after one last fetch of their whole history).
Errors back off exponentially per account; each account's state reads as "offline, retrying in 20 s".
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from backend.errors import NetworkError, RateLimited, StudioError
from backend.launch import settle
from backend.models import Job, JobEvent, JobStatus, MetricPoint, ProviderKind
from backend.monitor_sync import PollResult, history_complete, import_jobs, sync_job
from backend.providers.base import PollCadence
from backend.store import JobStore

log = logging.getLogger(__name__)

__all__ = ["Callbacks", "Connection", "Monitor", "PollPolicy", "PollResult", "duration_text", "eta_seconds", "import_jobs",
           "refresh_local"]


@dataclass(frozen=True)
class PollPolicy:
    running: float = 5.0  # seconds between polls of a running job
    waiting: float = 30.0  # queued, validating, paused, unknown
    backoff_first: float = 5.0
    backoff_max: float = 300.0
    # A run on this computer, in any state: its events file costs nothing to read, and a short run can go
    # from queued to finished within one ``waiting`` interval. Half a second: a cloud run's mirrored log line reaches
    # the chart within a second (benchmarks/hf_jobs_stream.py).
    local: float = 0.5

    def interval(self, status: JobStatus, cadence: PollCadence = PollCadence.REMOTE) -> float:
        """Seconds until the next poll of a job in ``status`` whose provider polls at ``cadence`` (its class's
        ``poll``)."""
        if cadence is PollCadence.FREE:
            return min(self.local, self.running)
        return self.running if status in (JobStatus.RUNNING, JobStatus.CREATING) else self.waiting

    def backoff(self, failures: int) -> float:
        return min(self.backoff_max, self.backoff_first * 2 ** max(0, failures - 1))


@dataclass
class Connection:
    """How one account (provider + account id) is answering."""

    provider: ProviderKind
    account_id: str | None
    failures: int = 0
    error: str | None = None
    offline: bool = False  # the network or the service is down (as opposed to a refusal)
    retry_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def describe(self, now: float) -> str:
        """"online", or "offline, retrying in 20 s" (a sentence a status line can show as it is)."""
        if self.ok:
            return "online"
        wait = max(0, round(self.retry_at - now))
        return f"{'offline' if self.offline else 'error'}, retrying in {wait} s"


@dataclass
class _Tracked:
    job: Job
    next_at: float = 0.0
    last_event_id: str | None = None
    last_step: int | None = None
    in_flight: bool = False
    history_at: float = -math.inf  # when metrics and checkpoints were last fetched
    history_cost: float = 0.0  # how long that poll took
    history_pending: bool = False


def eta_seconds(job: Job, now: datetime | None = None) -> float | None:
    """Seconds until ``job`` ends: the provider's estimate when it gives one, else from its rate so far."""
    if job.status.is_terminal or job.status is JobStatus.PAUSED:  # a paused job is not on its way to an end
        return None
    now = now or datetime.now(timezone.utc)
    if job.estimated_finish is not None:
        return max(0.0, (job.estimated_finish - now).total_seconds())
    progress, start = job.progress, job.started_at
    if not progress or start is None or progress <= 0:
        return None
    elapsed = (now - start).total_seconds()
    return max(0.0, elapsed * (1 - progress) / progress)


def duration_text(seconds: float | None) -> str:
    """``1h05m`` or ``4m09s``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _noop(*_args) -> None:
    pass


@dataclass
class Callbacks:
    """Plain callbacks; they run on the thread that polled (the GUI adapts them into queued signals)."""

    job_changed: Callable[[Job], None] = _noop
    events: Callable[[str, list[JobEvent]], None] = _noop
    metrics: Callable[[str, list[MetricPoint], bool], None] = _noop  # job id, points, replaced
    connection: Callable[[Connection], None] = _noop
    finished: Callable[[Job], None] = _noop  # turned succeeded/failed/cancelled while watched


class Monitor:
    """Schedules polls over the store's active jobs. ``due()`` says what to poll; ``poll(id)`` does it."""

    def __init__(self, store: JobStore, *, open_provider: Callable | None = None,
                 clock: Callable[[], float] = time.monotonic, policy: PollPolicy | None = None,
                 callbacks: Callbacks | None = None):
        if open_provider is None:
            from backend.providers import open_provider
        self.store = store
        self.open_provider = open_provider
        self.clock = clock
        self.policy = policy or PollPolicy()
        self.callbacks = callbacks or Callbacks()
        self._lock = threading.RLock()
        self._jobs: dict[str, _Tracked] = {}
        self._connections: dict[tuple, Connection] = {}
        self._providers: dict[tuple, object] = {}
        self._cadences: dict[ProviderKind, PollCadence] = {}
        #: Discovery (``discover``): the newest ``updated_at`` read so far, and each job's ``updated_at`` as this
        #: monitor last saved or read it, so that its own saves are not news.
        self._since: str = ""
        self._seen: dict[str, str] = {}

    # -- what to poll ---------------------------------------------------------------------------------
    def load(self) -> None:
        """Track every job in the store that is active, or ended without its history fetched."""
        for job in self.store.list_jobs():
            self._note(job)
            self.track(job)

    def discover(self) -> list[Job]:
        """Jobs written to the store by someone else since the last look (``jobs create`` in a terminal, another
        window), each tracked: one cheap indexed query (``JobStore.changed_since``). This monitor's own saves and
        jobs it was told about (``record``) are not returned."""
        with self._lock:
            since = self._since
        found = []
        for job in self.store.changed_since(since):
            stamp = job.updated_at.isoformat()
            with self._lock:
                self._since = max(self._since, stamp)
                if self._seen.get(job.id) == stamp:
                    continue
                self._seen[job.id] = stamp
            found.append(job)
            self.track(job)
        return found

    def record(self, job: Job) -> None:
        """``job`` as someone in this app just stored it (an action's answer, a launch): tracked, and not news to
        ``discover``."""
        self._note(job)
        self.track(job)

    def _note(self, job: Job) -> None:
        stamp = job.updated_at.isoformat()
        with self._lock:
            self._seen[job.id] = stamp
            self._since = max(self._since, stamp)

    def track(self, job: Job) -> None:
        """Start (or keep) following ``job``; it is polled at once."""
        with self._lock:
            if job.status.is_terminal and history_complete(job):
                self._jobs.pop(job.id, None)
                return
            tracked = self._jobs.get(job.id)
            if tracked is None:
                self._jobs[job.id] = _Tracked(job, 0.0, self.store.last_event_id(job.id),
                                              self.store.last_step(job.id))
            elif not tracked.in_flight:
                tracked.job, tracked.next_at = job, 0.0

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)
            self._seen.pop(job_id, None)

    def tracked(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def poll_now(self, job_id: str) -> None:
        """Poll this job at the next tick, even if its account is backing off (the user asked)."""
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id].next_at = 0.0
                key = self._key(self._jobs[job_id].job)
                if key in self._connections:
                    self._connections[key].retry_at = 0.0

    def accounts_changed(self) -> None:
        """Accounts were edited: rebuild providers and retry every account now (a fixed key should show at once)."""
        with self._lock:
            self._providers.clear()
            for connection in self._connections.values():
                connection.retry_at = 0.0
            for tracked in self._jobs.values():
                tracked.next_at = min(tracked.next_at, self.clock())

    def due(self) -> list[str]:
        """Ids of jobs whose poll is due now, least recently polled first; marks them in flight."""
        now = self.clock()
        with self._lock:
            ready = [t for t in self._jobs.values() if not t.in_flight and t.next_at <= now
                     and self._connection(t.job).retry_at <= now]
            ready.sort(key=lambda t: t.next_at)
            for tracked in ready:
                tracked.in_flight = True
            return [t.job.id for t in ready]

    def next_due_in(self) -> float | None:
        """Seconds until the next poll is due (None: nothing to poll)."""
        now = self.clock()
        with self._lock:
            waits = [max(t.next_at, self._connection(t.job).retry_at) - now
                     for t in self._jobs.values() if not t.in_flight]
        return max(0.0, min(waits)) if waits else None

    def connections(self) -> list[Connection]:
        with self._lock:
            return list(self._connections.values())

    # -- polling (worker thread) ----------------------------------------------------------------------
    def poll(self, job_id: str) -> PollResult | None:
        """Refresh one job now; never raises: an error backs its account off and is reported."""
        with self._lock:
            tracked = self._jobs.get(job_id)
            if tracked is None:
                return None
            tracked.in_flight = True
            job, after, last_step = tracked.job, tracked.last_event_id, tracked.last_step
            started = self.clock()
            # Metrics and checkpoints are the costly calls (OpenAI re-reads every event for them): while
            # a job runs, ask for them at most every ``running`` seconds and never for more than a tenth
            # of the time, so a slow account is not flooded. Events still arrive on every poll.
            every = self.policy.interval(JobStatus.RUNNING, self._cadence(job.provider))
            history_due = started - tracked.history_at >= max(every, 10 * tracked.history_cost)
            pending = tracked.history_pending
        try:
            provider = self._provider(job)
            # ``settle``: a launch whose answer was lost is looked for on each poll of its record.
            result = sync_job(self.store, provider, job, last_event_id=after, last_step=last_step,
                              history_due=history_due, history_pending=pending, settle=settle)
        except Exception as exc:  # noqa: BLE001 - a failed poll must never stop the monitor
            if self.store.get_job(job_id) is None:  # removed from the list while it was polled
                self.forget(job_id)
                return None
            self._failed(job, exc)
            return None
        self._succeeded(job, result, started)
        for extra in result.also:  # one launch made several remote jobs: follow them all
            self._note(extra)
            self.track(extra)
            self.callbacks.job_changed(extra)
        return result

    def tick(self) -> list[PollResult]:
        """Poll every due job on this thread (the CLI's loop; the GUI spreads ``due()`` over workers)."""
        return [r for job_id in self.due() if (r := self.poll(job_id)) is not None]

    def _succeeded(self, job: Job, result: PollResult, started: float) -> None:
        fresh = result.job
        self._note(fresh)  # saved by this poll: not news to ``discover``
        with self._lock:
            tracked = self._jobs.get(job.id)
            if tracked is not None:
                tracked.in_flight = False
                if result.history_fetched:
                    tracked.history_at, tracked.history_pending = started, False
                    tracked.history_cost = self.clock() - started
                elif result.moved:
                    tracked.history_pending = True
                tracked.job = fresh
                if result.events:
                    tracked.last_event_id = result.events[-1].id
                if result.metrics:
                    tracked.last_step = max(tracked.last_step or 0, result.metrics[-1].step)
                tracked.next_at = self.clock() + self.policy.interval(fresh.status, self._cadence(fresh.provider))
                if fresh.status.is_terminal and history_complete(fresh):
                    self._jobs.pop(job.id, None)
            connection = self._connection(job)
            recovered = not connection.ok
            connection.failures, connection.error, connection.offline, connection.retry_at = 0, None, False, 0.0
        if recovered:
            self.callbacks.connection(connection)
        if result.changed:
            self.callbacks.job_changed(fresh)
        if result.events:
            self.callbacks.events(job.id, result.events)
        if result.metrics:
            self.callbacks.metrics(job.id, result.metrics, result.metrics_replaced)
        if result.finished:
            self.callbacks.finished(fresh)

    def _failed(self, job: Job, exc: Exception) -> None:
        log.warning("poll of job %s failed: %s", job.id, exc)
        with self._lock:
            tracked = self._jobs.get(job.id)
            connection = self._connection(job)
            now = self.clock()
            if connection.retry_at <= now:  # jobs polled together fail together: count that once
                connection.failures += 1
                connection.retry_at = now + self.policy.backoff(connection.failures)
            connection.offline = isinstance(exc, (NetworkError, RateLimited)) or _is_connection_error(exc)
            # An outage's hint ("try again in a few minutes") is what the monitor does by itself: keep the fact.
            connection.error = exc.message if connection.offline and isinstance(exc, StudioError) else str(exc)
            if tracked is not None:
                tracked.in_flight = False
                tracked.next_at = connection.retry_at
            if not connection.offline:
                self._providers.pop(self._key(job), None)  # rebuilt next time: the account may have changed
        self.callbacks.connection(connection)

    # -- accounts -------------------------------------------------------------------------------------
    @staticmethod
    def _key(job: Job) -> tuple:
        return (job.provider, job.account_id)

    def _connection(self, job: Job) -> Connection:
        key = self._key(job)
        if key not in self._connections:
            self._connections[key] = Connection(job.provider, job.account_id)
        return self._connections[key]

    def connection_for(self, job: Job) -> Connection:
        with self._lock:
            return self._connection(job)

    def _cadence(self, kind: ProviderKind) -> PollCadence:
        """How often ``kind``'s jobs may be polled (its class's ``poll``; a kind this version lacks: REMOTE)."""
        with self._lock:
            cadence = self._cadences.get(kind)
        if cadence is None:
            from backend.providers import PROVIDERS, provider_class

            cadence = provider_class(kind).poll if kind in PROVIDERS else PollCadence.REMOTE
            with self._lock:
                self._cadences[kind] = cadence
        return cadence

    def _provider(self, job: Job):
        key = self._key(job)
        with self._lock:
            provider = self._providers.get(key)
        if provider is None:
            provider = self.open_provider(job.provider, job.account_id)
            with self._lock:
                self._providers.setdefault(key, provider)
        return provider


def free_kinds() -> list[ProviderKind]:
    """The providers whose polls cost nothing (``PollCadence.FREE``: a run on this computer reads its folder)."""
    from backend.providers import kinds, provider_class

    return [kind for kind in kinds() if provider_class(kind).poll is PollCadence.FREE]


def refresh_local(store: JobStore, jobs: list[Job] | None = None) -> None:
    """Bring jobs whose polls cost nothing (runs on this computer, read from their folders) up to date with one
    poll of the app's monitor: for commands that show jobs without watching them. Others are left as stored."""
    monitor = Monitor(store)
    free = free_kinds()
    if jobs is None:
        jobs = [job for kind in free for job in store.list_jobs(provider=kind)]
    for job in jobs:
        if job.provider in free:
            monitor.track(job)
    monitor.tick()


def _is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, TimeoutError, OSError))
