"""Launch a fine-tune on any provider so that one click gives at most one remote job, whatever the network does.

The order is the point: prepare (validate, upload), record the job as CREATING with a fresh launch key in
its metadata, call create, record the answer. The create call is never repeated blindly:

* When its answer is lost (a timeout, a dropped connection, a 5xx: the provider raises ``Unconfirmed``),
  the launch looks for its key until no request with that key can still be under way (the provider's
  ``create_in_flight_seconds``) and adopts what it finds. If nothing has shown up by then, it says that the
  job may exist and leaves the record CREATING.
* A CREATING record is settled by key (``settle``) by the monitor's polls, ``reconcile_pending`` (app start,
  ``jobs list``, ``jobs create``) and the retry below. Every remote job that carries the key is tracked;
  when there are several, each gets an event saying so (none is dropped).
* Launching the same configuration again after a launch whose answer was never handed to anyone (an
  ``Unconfirmed`` launch, a crash) is a retry of that launch: it looks for the key first and adopts, or
  hands back the job that was settled meanwhile; it sends again, with the same record and key, only once
  nothing can still be in flight. A record stays open to such a retry until a launch has returned it
  (``UNCONFIRMED``), for at most ``RETRY_WINDOW_SECONDS``.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from backend.cancel import CancelToken, Progress, ProgressFn
from backend.errors import StudioError, Unconfirmed
from backend.models import HISTORY_COMPLETE, Job, JobEvent, JobStatus, TrainingConfig, new_id, utcnow
from backend.providers import label as provider_label
from backend.providers.base import LAUNCH_KEY, RECONCILE_SCAN, ProviderBase, launched_jobs  # noqa: F401  (re-exported)
from backend.staging import discard, staging_dir  # noqa: F401  (staging_dir: re-exported)
from backend.store import JobStore
from backend.words import plural

#: A CREATING job younger than this may belong to a launch still under way (another window, the CLI).
RECONCILE_GRACE_SECONDS = 180
#: A job's extra field: the provider's ``credentials_tag`` at launch (None for a saved account), so that a
#: job launched with a key from the environment is never settled with another key found there later.
LAUNCHED_WITH = "launched_with"
#: Job extra fields: the launch's answer was never handed back (a retry adopts the job instead of sending
#: again), and when its create request was last sent (what "may still be in flight" is measured from).
UNCONFIRMED = "launch_unconfirmed"
SENT_AT = "create_sent_at"
#: Launching the same configuration this long after an unconfirmed launch is a new launch, not its retry.
RETRY_WINDOW_SECONDS = 24 * 3600
#: The longest pause between two looks for a launch whose answer was lost.
CONFIRM_PAUSE_SECONDS = 2.0
#: Event type of the note that one launch made several remote jobs.
DUPLICATES_EVENT = "duplicate_launch"
_INTERRUPTED = ("The launch was interrupted before the provider created the job; nothing is running. "
                "Clone this job to launch it again.")
_log = logging.getLogger(__name__)


def job_name(config: TrainingConfig) -> str:
    model = config.base_model.rstrip("/").split("/")[-1]
    return f"{model} · {config.suffix}" if config.suffix else model


def launch(config: TrainingConfig, *, store: JobStore, progress: ProgressFn | None = None,
           cancel: CancelToken | None = None, provider=None, open_provider: Callable | None = None) -> Job:
    """Prepare the data, then create the job on the provider; returns the recorded job.

    ``provider`` is the opened provider, or None to open it here with ``open_provider`` (the registry's by
    default): a screen passes the opener so that the keyring is read in its worker, never on the GUI thread.
    Raises ``Unconfirmed`` when the job may exist but could not be confirmed (the record stays CREATING
    and is settled later); any other error means that nothing was created.
    """
    if provider is None:
        if open_provider is None:
            from backend.providers import open_provider

        provider = open_provider(config.provider, config.account_id)
    earlier = _earlier_try(store, config, provider)
    if earlier is not None:
        settled = _retry(store, provider, earlier)
        if settled is not None:
            return settled
    data = provider.prepare_data(config, progress=progress, cancel=cancel)
    try:
        if cancel is not None:
            cancel.raise_if_cancelled()  # the last moment a launch can be cancelled without leaving a job
        job = store.save_job(_record(config, data, provider, earlier))
        sent = time.monotonic()
        try:
            created = provider.create_job(config, data, job)
        except Unconfirmed as lost:
            return _confirm(store, provider, job, lost, sent, progress, cancel)
        except StudioError as exc:
            # The provider answered and refused (or was never reached): nothing was created.
            store.save_job(_failed(job, str(exc)).model_copy(update={UNCONFIRMED: False}))
            raise
        return _claimed(store, created.model_copy(update={"id": job.id}))
    finally:
        discard(data.staged)


def reconcile_pending(store: JobStore, *, open_provider: Callable | None = None,
                      grace_seconds: float = RECONCILE_GRACE_SECONDS, account: tuple | None = None) -> list[Job]:
    """Settle every CREATING job (or only those of ``account``, a (provider kind, account id) pair).
    Returns the jobs it changed or added; accounts that cannot be reached are left for the next time."""
    if open_provider is None:
        from backend.providers import open_provider
    by_account: dict[tuple, list[Job]] = {}
    for job in store.list_jobs(status=[JobStatus.CREATING]):
        if account is None or (job.provider, job.account_id) == tuple(account):
            by_account.setdefault((job.provider, job.account_id), []).append(job)
    changed: list[Job] = []
    for (kind, account_id), jobs in by_account.items():
        try:
            provider = open_provider(kind, account_id)
            for job in jobs:
                changed += settle(store, provider, job, grace_seconds=grace_seconds)
        except StudioError as exc:
            _log.warning("Could not settle %s on %s: %s", plural(len(jobs), "launch"), kind.value, exc)
    return changed


def settle(store: JobStore, provider, job: Job, *, grace_seconds: float = RECONCILE_GRACE_SECONDS) -> list[Job]:
    """Check one CREATING record with the provider: adopt every remote job with its key, or, once no request
    with the key can still land (``grace_seconds`` after it was sent, never less than the provider's
    in-flight time), mark it failed. Returns the records changed or added: none while it is undecided.
    Raises the provider's error when it cannot be asked."""
    if _tag(job) and _tag(job) != provider.credentials_tag:
        _log.warning("Launch %s ran with other credentials than %s has now; it is left for those credentials.",
                     job.id, provider.label)
        return []
    found = launched_jobs(provider, job)
    if found:
        return adopt(store, job, found)
    if _age(job) >= max(grace_seconds, in_flight_seconds(provider)):
        return [store.save_job(_failed(job, _INTERRUPTED))]
    return []


def adopt(store: JobStore, job: Job, found: list[Job]) -> list[Job]:
    """``job`` (a CREATING record) becomes the oldest of the remote jobs its launch created; every other one
    gets a record of its own (the same one each time: its id derives from both). Several jobs from one launch
    are each billed, so each record gets an event saying so. Returns the records saved."""
    found = sorted(found, key=lambda r: r.created_at)  # stable: same-second jobs keep the finder's order
    job = store.get_job(job.id) or job  # the latest record: the launcher and the monitor may both adopt it
    records = []
    for number, remote in enumerate(found):
        update = {**(job.model_extra or {}), "id": job.id, "name": job.name, "created_at": job.created_at} \
            if number == 0 else {"id": _derived_id(store, job, remote),
                                 "name": f"{job.name} (job {number + 1} of one launch)"}
        config = {**job.config, **{k: v for k, v in remote.config.items() if k != "imported"}}
        records.append(store.save_job(remote.model_copy(update={
            **update, "account_id": job.account_id, "config": config, "data_summary": job.data_summary,
            "metadata": {**remote.metadata, **job.metadata}, LAUNCHED_WITH: _tag(job)})))
    if len(records) > 1:
        service = provider_label(job.provider)
        message = (f"One launch created {len(records)} jobs on {service} "
                   f"({', '.join(r.remote_id or r.id for r in records)}); each is billed. All of them are tracked "
                   "here: cancel the ones you do not want.")
        _log.warning(message)
        for record in records:
            store.add_events(record.id, [JobEvent(id=f"{DUPLICATES_EVENT}-{len(records)}", level="warning",
                                                  type=DUPLICATES_EVENT, created_at=record.created_at,
                                                  message=message)])
    return records


def duplicates_note(store: JobStore, job: Job) -> str | None:
    """The note that ``job``'s launch created several remote jobs, if it did."""
    notes = [e.message for e in store.events(job.id) if e.type == DUPLICATES_EVENT]
    return notes[-1] if notes else None


def in_flight_seconds(provider: ProviderBase) -> float:
    """How long after it was sent a create request may still land (0: the provider creates synchronously)."""
    return float(provider.create_in_flight_seconds)


# -- the pieces of a launch -------------------------------------------------------------------------------
def _record(config: TrainingConfig, data, provider, earlier: Job | None) -> Job:
    fields = dict(provider=config.provider, account_id=config.account_id, name=job_name(config),
                  base_model=config.base_model, method=config.method, status=JobStatus.CREATING,
                  config={**config.model_dump(mode="json"), "data_refs": data.model_dump(mode="json",
                                                                                          exclude={"staged"})},
                  data_summary=data.summary, error=None, finished_at=None,
                  **{UNCONFIRMED: True, SENT_AT: utcnow().isoformat()})
    if earlier is not None:  # the same launch again: its record and its key
        return earlier.model_copy(update={**fields, HISTORY_COMPLETE: False})
    return Job(**fields, metadata={LAUNCH_KEY: new_id()},
               **{LAUNCHED_WITH: provider.credentials_tag})


def _earlier_try(store: JobStore, config: TrainingConfig, provider) -> Job | None:
    """The record of a launch of this very configuration (same account and credentials) whose outcome no
    launch has handed back yet: this launch is its retry."""
    wanted = config.model_dump(mode="json")
    tag = provider.credentials_tag
    for job in store.list_jobs(provider=config.provider):
        if ((job.model_extra or {}).get(UNCONFIRMED) or job.status is JobStatus.CREATING) \
                and job.metadata.get(LAUNCH_KEY) and job.account_id == config.account_id and _tag(job) == tag \
                and {k: job.config.get(k) for k in wanted} == wanted \
                and _age(job) < RETRY_WINDOW_SECONDS:
            return job
    return None


def _retry(store: JobStore, provider, earlier: Job) -> Job | None:
    """The earlier try's job if it exists; None when sending again is safe; else ``Unconfirmed``."""
    if earlier.remote_id or earlier.run_dir:  # settled meanwhile (the monitor, the app's start, `jobs list`)
        _log.info("Launch %s: the earlier try had created %s; handed back", earlier.id, earlier.remote_id)
        return _claimed(store, earlier)
    if earlier.status is not JobStatus.CREATING:
        return None  # settled meanwhile as never created: send again, with the same record and key
    service = _service(provider)
    try:
        found = launched_jobs(provider, earlier)
    except StudioError as exc:
        raise Unconfirmed(f"The last launch of this job was not confirmed, and {service} cannot be asked now "
                          f"whether it created it: {exc.message}",
                          hint=f"Nothing was sent again. The app keeps checking; launch it again once {service} "
                               "answers.") from None
    if found:
        _log.info("Launch %s: the earlier try had created %s; adopted", earlier.id, found[0].remote_id)
        return _claimed(store, adopt(store, earlier, found)[0])
    wait = in_flight_seconds(provider) - _age(earlier)
    if wait > 0:
        raise Unconfirmed(f"The last launch of this job may still be under way at {service}.",
                          hint=f"Nothing was sent again. The app keeps checking for it; if it is not in Jobs within "
                               f"{math.ceil(wait)} s, launch it again.")
    return None


def _confirm(store: JobStore, provider, job: Job, lost: Unconfirmed, sent: float, progress: ProgressFn | None,
             cancel: CancelToken | None) -> Job:
    """After a lost answer: look for the key until nothing can still land, then adopt or raise ``Unconfirmed``."""
    service = _service(provider)
    deadline = sent + in_flight_seconds(provider)
    # About twenty looks within the window, never more often than every 10 ms nor less than every 2 s.
    pause = min(CONFIRM_PAUSE_SECONDS, max(0.01, in_flight_seconds(provider) / 20))
    asked = False
    while True:
        try:
            found = launched_jobs(provider, job)
            asked = True
        except StudioError as exc:
            found = []
            _log.info("Launch %s: could not look for its job yet: %s", job.id, exc)
        if found:
            return _claimed(store, adopt(store, job, found)[0])
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if progress is not None:
            progress(Progress(0, None, f"{service} did not confirm the job; checking whether it was created "
                                       f"(up to {math.ceil(left)} s more)…"))
        if cancel is not None:
            if cancel.wait(min(pause, left)):
                break  # the user stopped waiting: the job may still exist, so say so below
        else:
            time.sleep(min(pause, left))
    _log.warning("Launch %s not confirmed: %s", job.id, lost.message)
    unasked = "" if asked else f" (and {service} could not be asked either)"
    raise Unconfirmed(f"{lost.message}{unasked}. The job may exist: it is listed in Jobs as “creating” and the app "
                      "keeps checking for it.",
                      hint="Launching it again is safe: the app first looks for this job and adopts it if it "
                           "exists.") from None


def _claimed(store: JobStore, job: Job) -> Job:
    """``job`` as a launch hands it back: from now on, the same configuration launched again is a new job."""
    return store.save_job(job.model_copy(update={UNCONFIRMED: False}))


def _failed(job: Job, reason: str) -> Job:
    # Nothing exists at the provider, so there is no history to fetch: the monitor stops at once.
    return job.model_copy(update={"status": JobStatus.FAILED, "error": reason, "finished_at": utcnow(),
                                  HISTORY_COMPLETE: True})


def _derived_id(store: JobStore, job: Job, remote: Job) -> str:
    known = store.find_remote(remote.provider, remote.remote_id) if remote.remote_id else None
    return known.id if known else uuid.uuid5(uuid.NAMESPACE_URL, f"{job.id}/{remote.remote_id}").hex


def _tag(job: Job) -> str | None:
    return (job.model_extra or {}).get(LAUNCHED_WITH)


def _age(job: Job) -> float:
    """Seconds since the job's create request was last sent (records from before that was noted: last saved)."""
    sent = (job.model_extra or {}).get(SENT_AT)
    try:
        since = datetime.fromisoformat(sent) if sent else job.updated_at
    except (TypeError, ValueError):
        since = job.updated_at
    return (utcnow() - since).total_seconds()


def _service(provider: ProviderBase) -> str:
    return provider.label
