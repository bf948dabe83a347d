"""The poll scheduler against the job store and an in-process provider, on a fake clock."""

from __future__ import annotations

from datetime import timedelta

from backend.models import Job, JobStatus, ProviderKind
from backend.monitor import Callbacks, Monitor, PollPolicy, eta_seconds, import_jobs
from backend.monitor_sync import history_complete
from backend.store import JobStore
from tests.fakes.inprocess_provider import T0, InProcessProvider


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def setup(tmp_path, status="queued"):
    store = JobStore(tmp_path / "jobs.db")
    provider = InProcessProvider()
    provider.add("ftjob-1", status=status)
    job = store.save_job(Job(provider=ProviderKind.OPENAI, remote_id="ftjob-1", status=JobStatus.parse(status)))
    clock = Clock()
    seen = {"changed": [], "events": [], "metrics": [], "connection": [], "finished": []}
    callbacks = Callbacks(job_changed=lambda j: seen["changed"].append(j),
                          events=lambda i, e: seen["events"].extend(e),
                          metrics=lambda i, p, r: seen["metrics"].append((p, r)),
                          connection=lambda c: seen["connection"].append(c.describe(clock())),
                          finished=lambda j: seen["finished"].append(j.status))
    monitor = Monitor(store, open_provider=lambda kind, account: provider, clock=clock,
                      policy=PollPolicy(running=5, waiting=30, backoff_first=5, backoff_max=40), callbacks=callbacks)
    monitor.load()
    return store, provider, job, clock, monitor, seen


def test_polls_queued_slowly_running_quickly_and_finished_never(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path)
    assert monitor.due() == [job.id]
    monitor.poll(job.id)
    clock.now += 29
    assert monitor.due() == []
    clock.now += 1
    provider.step("ftjob-1", 3)
    assert [r.job.status for r in monitor.tick()] == [JobStatus.RUNNING]
    assert store.get_job(job.id).started_at is not None
    clock.now += 5
    provider.step("ftjob-1", 7)
    monitor.tick()
    assert seen["finished"] == [JobStatus.SUCCEEDED]
    assert history_complete(store.get_job(job.id))
    assert [e.message for e in store.events(job.id)] == [f"Step {s}/10" for s in range(1, 11)]
    assert [p.step for p in store.metrics(job.id)] == list(range(1, 11))
    assert [c.step for c in store.checkpoints(job.id)] == [5, 10]
    calls = len(provider.calls)
    clock.now += 1000
    assert monitor.due() == [] and monitor.tick() == [] and len(provider.calls) == calls


def test_callbacks_report_only_what_is_new(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path, status="running")
    provider.step("ftjob-1", 2)
    monitor.tick()
    clock.now += 5
    provider.step("ftjob-1", 3)
    monitor.tick()
    assert [e.message for e in seen["events"]] == [f"Step {s}/10" for s in range(1, 6)]
    assert [[p.step for p in points] for points, _ in seen["metrics"]] == [[1, 2], [3, 4, 5]]
    clock.now += 5
    monitor.tick()  # nothing moved: no events, no metrics call, no change reported
    assert len(seen["metrics"]) == 2 and provider.calls[-1] == "list_events"
    assert seen["changed"][-1].step == 5


def test_network_errors_back_off_and_recovery_catches_up(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path, status="running")
    provider.step("ftjob-1", 1)
    monitor.tick()
    provider.offline = True
    provider.step("ftjob-1", 2)
    waits = []
    for _ in range(5):
        clock.now += 100
        monitor.tick()
        connection = monitor.connection_for(job)
        waits.append(connection.retry_at - clock.now)
    assert waits == [5, 10, 20, 40, 40]
    assert seen["connection"][-1] == "offline, retrying in 40 s"
    clock.now += 39
    assert monitor.due() == []
    provider.offline = False
    provider.step("ftjob-1", 2)
    clock.now += 1
    monitor.tick()
    assert seen["connection"][-1] == "online"
    assert [e.message for e in store.events(job.id)] == [f"Step {s}/10" for s in range(1, 6)]
    assert [e.message for e in seen["events"]] == [f"Step {s}/10" for s in range(1, 6)]


def test_restart_starts_from_the_store_and_fetches_what_happened_meanwhile(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path, status="running")
    provider.step("ftjob-1", 4)
    monitor.tick()
    provider.step("ftjob-1", 6)  # the job finishes while the app is closed
    store.close()
    store2 = JobStore(tmp_path / "jobs.db")
    fresh = []
    monitor2 = Monitor(store2, open_provider=lambda kind, account: provider, clock=clock,
                       callbacks=Callbacks(events=lambda i, e: fresh.extend(e)))
    monitor2.load()
    monitor2.tick()
    assert [e.message for e in fresh] == [f"Step {s}/10" for s in range(5, 11)]
    assert len(store2.events(job.id)) == 10
    assert store2.get_job(job.id).status is JobStatus.SUCCEEDED
    monitor3 = Monitor(store2, open_provider=lambda kind, account: provider, clock=clock)
    monitor3.load()
    assert monitor3.tracked() == []


def test_import_adds_jobs_from_elsewhere_once(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path)
    provider.add("ftjob-2", status="succeeded")
    provider.add("ftjob-3", status="running")
    assert sorted(j.remote_id for j in import_jobs(store, provider)) == ["ftjob-2", "ftjob-3"]
    assert import_jobs(store, provider) == []
    assert sorted(j.remote_id for j in store.list_jobs()) == ["ftjob-1", "ftjob-2", "ftjob-3"]


def test_a_removed_job_is_not_written_back(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path)
    [job_id] = monitor.due()
    store.remove_job(job_id)
    result = monitor.poll(job_id)
    assert result is not None and not result.changed and store.get_job(job_id) is None


def test_eta_prefers_the_provider_estimate_else_the_rate():
    job = Job(provider=ProviderKind.OPENAI, status=JobStatus.RUNNING, started_at=T0, step=25, total_steps=100)
    assert eta_seconds(job, T0 + timedelta(minutes=10)) == 30 * 60
    estimated = job.model_copy(update={"estimated_finish": T0 + timedelta(minutes=15)})
    assert eta_seconds(estimated, T0 + timedelta(minutes=10)) == 5 * 60
    assert eta_seconds(job.model_copy(update={"status": JobStatus.SUCCEEDED}), T0) is None
    assert eta_seconds(job.model_copy(update={"step": None}), T0) is None


def test_a_job_being_launched_is_asked_about_only_once_it_has_a_remote_id(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path)
    launching = store.save_job(Job(provider=ProviderKind.OPENAI, status=JobStatus.CREATING, name="launching"))
    monitor.track(launching)
    monitor.tick()
    assert provider.calls.count("get_job") == 1  # only the first job's
    provider.add("ftjob-9", status="running")
    store.save_job(launching.model_copy(update={"remote_id": "ftjob-9", "status": JobStatus.QUEUED}))
    clock.now += 5
    results = {r.job.id: r for r in monitor.tick()}
    assert results[launching.id].job.remote_id == "ftjob-9" and results[launching.id].job.status is JobStatus.RUNNING


def test_editing_accounts_retries_at_once(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path, status="running")
    provider.offline = True
    monitor.tick()
    clock.now += 1
    assert monitor.due() == []
    provider.offline = False
    monitor.accounts_changed()
    assert [r.job.id for r in monitor.tick()] == [job.id]
    assert seen["connection"][-1] == "online"


def test_slow_history_calls_are_spaced_out_but_never_lost(tmp_path):
    store, provider, job, clock, monitor, seen = setup(tmp_path, status="running")
    slow = provider.metrics

    def metrics(job):  # this account answers metrics slowly: two seconds
        clock.now += 2
        return slow(job)

    provider.metrics = metrics
    provider.step("ftjob-1", 1)
    monitor.tick()  # fetched: the poll took 2 s, so the next fetch waits 20 s
    for _ in range(3):
        clock.now += 5
        provider.step("ftjob-1", 1)
        monitor.tick()
    assert provider.calls.count("metrics") == 1 and len(store.events(job.id)) == 4  # events kept coming
    clock.now += 5
    monitor.tick()  # nothing new, but the steps seen meanwhile are still owed to the charts
    assert provider.calls.count("metrics") == 2 and [p.step for p in store.metrics(job.id)] == [1, 2, 3, 4]


def test_discover_finds_only_what_others_recorded(tmp_path):
    """Jobs written by another process (a `jobs create` in a terminal) are found with one indexed query; the
    monitor's own saves and what this app told it about (``record``) are not news."""
    store, provider, job, clock, monitor, seen = setup(tmp_path)
    assert monitor.discover() == []  # loaded: nothing new
    monitor.tick()  # its own poll saves the job
    assert monitor.discover() == []
    other = JobStore(tmp_path / "jobs.db")  # another process's connection
    provider.add("ftjob-2")
    elsewhere = other.save_job(Job(provider=ProviderKind.OPENAI, remote_id="ftjob-2", status=JobStatus.QUEUED))
    found = monitor.discover()
    assert [j.id for j in found] == [elsewhere.id] and elsewhere.id in monitor.tracked()
    assert monitor.discover() == []  # once
    changed = other.save_job(other.get_job(job.id).model_copy(update={"name": "Renamed elsewhere"}))
    assert [j.name for j in monitor.discover()] == ["Renamed elsewhere"]
    monitor.record(store.save_job(changed.model_copy(update={"name": "Renamed here"})))
    assert monitor.discover() == []
    other.close()
