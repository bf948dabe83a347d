"""``jobs`` commands: list, show, watch (events and a progress line until the job ends), cancel,
stop-and-save, resume, delete-model, import. ``list`` and ``show`` first bring runs on this computer up to date.

``jobs create`` lives in ``jobs_create.py`` and is added here when that module is present.
"""

from __future__ import annotations

import importlib
import sys
import time

from backend.control import JobAction, control, delete_model, job_facts, why_not
from backend.errors import InvalidInput
from backend.models import Job, JobStatus, ProviderKind
from backend.providers import DEFAULT_KIND, kinds, label
from backend.providers.base import ListsJobs
from backend.store import JobStore
from backend.words import plural


def register(subparsers) -> None:
    parser = subparsers.add_parser("jobs", help="list, follow and control fine-tuning jobs")
    sub = parser.add_subparsers(dest="jobs_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = sub.add_parser("list", help="every job in the job store, newest first")
    p.add_argument("--provider", choices=[k.value for k in kinds()])
    p.add_argument("--status", choices=[s.value for s in JobStatus])
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="one job: status, progress, model, error, latest events")
    p.add_argument("id", help="job id (or a unique prefix, or the provider's job id)")
    p.set_defaults(func=_show)

    p = sub.add_parser("watch", help="stream a job's events with a progress line until it ends (Ctrl-C stops)")
    p.add_argument("id")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between polls while running")
    p.set_defaults(func=_watch)

    p = sub.add_parser("cancel", help="cancel a running or queued job")
    p.add_argument("id")
    p.set_defaults(func=_cancel)

    p = sub.add_parser("stop-and-save", help="stop a run on this computer at its next step, keeping a checkpoint")
    p.add_argument("id")
    p.set_defaults(func=lambda args: _control(args, JobAction.STOP_AND_SAVE))

    p = sub.add_parser("resume", help="continue a paused job (a local run: from its last checkpoint)")
    p.add_argument("id")
    p.set_defaults(func=lambda args: _control(args, JobAction.RESUME))

    p = sub.add_parser("delete-model", help="delete a succeeded job's fine-tuned model on its provider (asks first)")
    p.add_argument("id")
    p.add_argument("--yes", action="store_true", help="delete without asking")
    p.set_defaults(func=_delete_model)

    p = sub.add_parser("import", help="add the jobs of an account that were created elsewhere")
    p.add_argument("--provider", choices=[k.value for k in kinds(having=ListsJobs)], default=DEFAULT_KIND.value)
    p.add_argument("--account", required=True, help="account id (see `accounts list`)")
    p.set_defaults(func=_import)

    try:
        create = importlib.import_module("backend.cli.jobs_create")
    except ModuleNotFoundError as exc:
        if exc.name != "backend.cli.jobs_create":
            raise
    else:
        create.register_create(sub)


def find_job(store: JobStore, ref: str) -> Job:
    """A job by its id, a unique prefix of it, or its provider's id."""
    job = store.get_job(ref)
    if job is not None:
        return job
    matches = [j for j in store.list_jobs() if j.id.startswith(ref) or j.remote_id == ref]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidInput(f"No job “{ref}” in the job store.", hint="`jobs list` shows the ids.")
    raise InvalidInput(f"“{ref}” matches {len(matches)} jobs.", hint="Give more characters of the id.")


def progress_text(job: Job) -> str:
    from backend.monitor import duration_text, eta_seconds

    parts = [job.status.value]
    if job.step is not None and job.total_steps:
        parts.append(f"step {job.step}/{job.total_steps} ({100 * (job.progress or 0):.0f}%)")
    eta = eta_seconds(job)
    if eta is not None:
        parts.append(f"ETA {duration_text(eta)}")
    return ", ".join(parts)


def _list(args) -> int:
    from backend.monitor import refresh_local

    store = JobStore()
    if store.list_jobs(status=[JobStatus.CREATING]):  # a launch a crash left half-done: settle it first
        from backend.launch import reconcile_pending

        reconcile_pending(store)
    refresh_local(store)  # a run's folder says how far it got; the store knows only the last poll's answer
    jobs = store.list_jobs(provider=ProviderKind(args.provider) if args.provider else None,
                           status=[JobStatus(args.status)] if args.status else None)
    if not jobs:
        print("No jobs yet.")
        return 0
    print(f"{'ID':10} {'PROVIDER':10} {'STATUS':16} {'PROGRESS':>8} {'BASE MODEL':28} NAME / MODEL")
    for job in jobs:
        progress = f"{100 * job.progress:.0f}%" if job.progress is not None else "-"
        name = job.fine_tuned_model or job.name or job.remote_id or ""
        print(f"{job.id[:10]:10} {job.provider.value:10} {job.status.value:16} {progress:>8} "
              f"{job.base_model[:28]:28} {name}")
    return 0


def _show(args) -> int:
    from backend.monitor import refresh_local

    store = JobStore()
    job = find_job(store, args.id)
    refresh_local(store, [job])
    job = store.get_job(job.id) or job
    rows = [("Job", job.id), ("Name", job.name), ("Provider", label(job.provider)), ("Remote id", job.remote_id),
            ("Base model", job.base_model), ("Method", job.method), ("Status", progress_text(job)),
            ("Created", job.created_at.isoformat(timespec="seconds")),
            ("Finished", job.finished_at.isoformat(timespec="seconds") if job.finished_at else None),
            ("Model", job.fine_tuned_model and job.fine_tuned_model + (
                f" (deleted {job.model_deleted_at:%Y-%m-%d %H:%M} UTC)" if job.model_deleted_at else "")),
            ("Error", job.error)]
    for title, value in rows:
        if value:
            print(f"{title + ':':12} {value}")
    for fact in job_facts(job):  # the provider's own lines: cost so far, resources, where the results are
        print(fact)
    for checkpoint in store.checkpoints(job.id):
        print(f"{'Checkpoint:':12} step {checkpoint.step}  {checkpoint.model}")
    events = store.events(job.id)
    if events:
        print("Latest events:")
        for event in events[-10:]:
            print(f"  {event.created_at:%Y-%m-%d %H:%M:%S}  {event.message}")
    return 0


def _watch(args) -> int:
    store = JobStore()
    job = find_job(store, args.id)
    for event in store.events(job.id)[-5:]:
        print(f"{event.created_at:%H:%M:%S}  {event.message}")
    return follow(store, job, policy=cli_policy(args.interval))


def cli_policy(interval: float):
    """Polls every ``interval`` s while a job runs, at least every 10 s while it waits, and a failed poll backs
    off from 5 s. Intervals under a second (tests) scale everything down with them."""
    from backend.monitor import PollPolicy

    if interval < 1:
        quick = max(interval, 0.01)
        return PollPolicy(running=interval, waiting=interval, backoff_first=quick, backoff_max=10 * quick)
    return PollPolicy(running=interval, waiting=max(interval, 10.0))


FACTS_EVERY_S = 60.0  # a watched job's cost line, printed to a log (not a terminal) at most this often


def follow(store: JobStore, job: Job, *, policy, open_provider=None) -> int:
    """Poll ``job`` with the monitor's scheduler on this thread until it ends: each new event, a progress line
    on a terminal, and a sentence when a poll fails (the job goes on at the provider; polls back off and
    retry). Exit code 0 when it succeeded."""
    from backend.monitor import Callbacks, Monitor

    interactive = sys.stdout.isatty()
    line = {"text": progress_text(job)}
    told = {"error": None, "facts": None, "facts_at": 0.0}

    def show_events(_job_id, events) -> None:
        for event in events:
            print(("\r\033[K" if interactive else "") + f"{event.created_at:%H:%M:%S}  {event.message}")

    def show_connection(connection) -> None:
        state = connection.describe(monitor.clock())
        line["text"] = progress_text(store.get_job(job.id) or job) + f" ({state})"
        if connection.ok:
            if told["error"]:
                print(f"{label(job.provider)} answers again.", file=sys.stderr, flush=True)
            told["error"] = None
        elif connection.error != told["error"]:
            told["error"] = connection.error
            print(f"Could not check the job: {connection.error} The job itself is not affected: it goes on at "
                  f"{label(job.provider)}. Still watching ({state}); Ctrl-C stops watching, `jobs watch {job.id[:10]}`"
                  " picks it up again.", file=sys.stderr, flush=True)

    def show_job(fresh: Job) -> None:
        facts = job_facts(fresh)  # the provider's own lines (cost so far, resources), as on the Jobs page
        line["text"] = progress_text(fresh) + ("  ·  " + facts[0] if facts else "")
        if not interactive and facts and facts != told["facts"] and (
                told["facts"] is None or time.monotonic() - told["facts_at"] >= FACTS_EVERY_S):
            print("  ".join(facts), flush=True)  # a log: a line when they change, at most once a minute
            told["facts"], told["facts_at"] = facts, time.monotonic()

    kwargs = {"open_provider": open_provider} if open_provider else {}
    monitor = Monitor(store, policy=policy, **kwargs,
                      callbacks=Callbacks(job_changed=show_job, events=show_events, connection=show_connection))
    monitor.track(job)
    try:
        while monitor.tracked():
            monitor.tick()
            if interactive:
                print("\r\033[K" + line["text"], end="", flush=True)
            wait = monitor.next_due_in()
            if wait:
                time.sleep(min(wait, 1.0))
    except KeyboardInterrupt:
        print(f"\nStopped watching; the job goes on (`jobs watch {job.id[:10]}` follows it again).", file=sys.stderr)
        return 130
    final = store.get_job(job.id) or job
    print(("\r\033[K" if interactive else "") + progress_text(final))
    for fact in job_facts(final):
        print(fact)
    if final.fine_tuned_model:
        print(f"Model: {final.fine_tuned_model}")
    if final.error:
        print(f"Reason: {final.error}")
    return 0 if final.status is JobStatus.SUCCEEDED else 1


def _cancel(args) -> int:
    store = JobStore()
    job = find_job(store, args.id)
    if job.status.is_terminal:
        print(f"The job has already {job.status.value}.")
        return 0
    return _control(args, JobAction.CANCEL, store=store, job=job)


_ASKED = {JobAction.CANCEL: "Cancel requested", JobAction.STOP_AND_SAVE: "Stop requested: the trainer saves a "
          "checkpoint at its next step, then ends (`jobs resume` continues from it)", JobAction.RESUME: "Resumed"}


def _control(args, action: JobAction, *, store: JobStore | None = None, job: Job | None = None) -> int:
    """Ask the job's provider, then record its answer: the Jobs page's own call (``backend.control``)."""
    from backend.providers import open_provider

    store = store or JobStore()
    job = job or find_job(store, args.id)
    job = control(store, open_provider(job.provider, job.account_id), job, action)
    print(f"{_ASKED[action]}: {progress_text(job)}")
    return 0


def _delete_model(args) -> int:
    from backend.providers import open_provider

    store = JobStore()
    job = find_job(store, args.id)
    provider = open_provider(job.provider, job.account_id)
    reason = why_not(job, type(provider), JobAction.DELETE_MODEL)
    if reason is not None:
        raise InvalidInput(reason)
    question = (f"Delete the model {job.fine_tuned_model} on {label(job.provider)}? It cannot be used again, and "
                "this cannot be undone. [y/N] ")
    if not args.yes and not _ask(question):
        print("Nothing was deleted.", file=sys.stderr)
        return 1
    _job, event = delete_model(store, provider, job)
    print(event.message)
    return 0


def _ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:  # no terminal and nothing piped in: no answer is no
        print("\nNo answer (add --yes to delete without asking).", file=sys.stderr)
        return False


def _import(args) -> int:
    from backend.monitor import import_jobs
    from backend.providers import open_provider

    store = JobStore()
    added = import_jobs(store, open_provider(ProviderKind(args.provider), args.account))
    print(f"Imported {plural(len(added), 'job')}." if added else "No new jobs on that account.")
    for job in added:
        print(f"  {job.id[:10]}  {job.status.value:16} {job.remote_id}")
    return 0

