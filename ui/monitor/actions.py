"""What the user can do to a job from the Jobs page; every provider call runs in a worker.

Which actions exist depends on the provider's declared capabilities (read from its class, so no
account or network is needed to decide what to show).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from backend.models import Job, ProviderKind
from backend.providers.base import Capability
from ui.tasks import Task

if TYPE_CHECKING:
    from ui.monitor.page import JobsPage

log = logging.getLogger(__name__)
_capabilities: dict[ProviderKind, frozenset[Capability]] = {}


def capabilities(kind: ProviderKind) -> frozenset[Capability]:
    if kind not in _capabilities:
        from backend.providers import provider_class

        try:
            _capabilities[kind] = frozenset(provider_class(kind).capabilities)
        except Exception:  # noqa: BLE001 - a provider missing from this build can do nothing
            log.info("no provider class for %s", kind)
            _capabilities[kind] = frozenset()
    return _capabilities[kind]


def connect(page: "JobsPage") -> None:
    detail = page.detail
    detail.cancel_requested.connect(lambda job_id: cancel(page, job_id))
    detail.pause_requested.connect(lambda job_id: control(page, job_id, "pause"))
    detail.stop_and_save_requested.connect(lambda job_id: control(page, job_id, "stop_and_save"))
    detail.resume_requested.connect(lambda job_id: control(page, job_id, "resume"))
    detail.clone_requested.connect(page.context.clone_job.emit)
    detail.playground_requested.connect(lambda job_id, model: open_in_playground(page, job_id, model))
    detail.remove_requested.connect(lambda job_id: remove(page, job_id))
    detail.delete_model_requested.connect(lambda job_id: delete_model(page, job_id))
    detail.export_requested.connect(lambda job_id: export(page, job_id))


def _call(page: "JobsPage", job: Job, verb: str) -> Job:
    """Worker: ask the provider, then record what it answered (the command line's way too)."""
    from backend.control import control as ask

    return ask(page.store, page.driver.monitor.open_provider(job.provider, job.account_id), job, verb)


def control(page: "JobsPage", job_id: str, verb: str) -> None:
    job = page.store.get_job(job_id)
    if job is None:
        return
    page.message.setText(f"Asking {job.provider.label} to {verb.replace('_', ' ')} the job…")

    def done(fresh: Job) -> None:
        page.message.setText(f"{job.provider.label} answered: the job is {fresh.status.value}.")
        page._job_updated(fresh)
        page.driver.track(fresh)

    Task(_call, page, job, verb, name=f"job {verb}").on_success(done).on_error_message(page.message.setText).start()


def cancel(page: "JobsPage", job_id: str) -> None:
    job = page.store.get_job(job_id)
    if job is None or not page.confirm("Cancel the job?", f"Cancel “{job.name or job.remote_id}” on "
                                       f"{job.provider.label}? A cancelled job cannot be restarted."):
        return
    control(page, job_id, "cancel")


def open_in_playground(page: "JobsPage", job_id: str, model: str) -> None:
    """The model (or checkpoint) beside the base it was trained from, ready to compare."""
    from backend.chat_catalog import base_ref

    job = page.store.get_job(job_id)
    if job is None:
        return
    kind = "fine-tuned" if model == job.fine_tuned_model else "checkpoint"
    tuned = {"provider": job.provider.value, "account_id": job.account_id, "model": model, "job_id": job.id,
             "kind": kind, "label": f"{job.name or job.base_model} ({kind})"}
    base = base_ref(job)
    page.context.open_in_playground.emit([base.model_dump(), tuned] if base is not None else [tuned])


def export(page: "JobsPage", job_id: str) -> None:
    """The export dialog for a finished local run (window-modal; it runs the export itself)."""
    from ui.monitor.export_dialog import ExportDialog

    job = page.store.get_job(job_id)
    if job is None:
        return
    dialog = ExportDialog(job, page, open_provider=page.driver.monitor.open_provider)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def remove(page: "JobsPage", job_id: str) -> None:
    job = page.store.get_job(job_id)
    if job is None or not page.confirm("Remove from the list?", "Remove this job from Fine-Tune Studio's list? "
                                       "Nothing is deleted on the provider; you can import it again."):
        return
    page.store.remove_job(job_id)
    page.context.job_changed.emit(job_id)  # the page (and others) drop it


def delete_model(page: "JobsPage", job_id: str) -> None:
    """Delete a succeeded job's fine-tuned model on its provider, after a confirmation that names it."""
    from backend import model_deletion

    job = page.store.get_job(job_id)
    if job is None or not model_deletion.can_delete(job, capabilities(job.provider)) or not page.confirm(
            "Delete the model?", f"Delete the model {job.fine_tuned_model} on {job.provider.label}? It cannot be "
                                 "used again (in the playground or by your apps), and this cannot be undone."):
        return
    page.message.setText(f"Deleting {job.fine_tuned_model} on {job.provider.label}…")

    def worker():
        provider = page.driver.monitor.open_provider(job.provider, job.account_id)
        return model_deletion.delete_job_model(page.store, provider, job)

    def done(result) -> None:
        fresh, event = result
        page._job_updated(fresh)
        page.history.events_added(fresh.id, [event])
        page.message.setText(event.message)

    Task(worker, name="delete model").on_success(done).on_error_message(page.message.setText).start()


def _import_all(store, open_provider) -> list[Job]:
    from backend import accounts
    from backend.monitor import import_jobs

    added: list[Job] = []
    for account in accounts.list_accounts():
        for kind in ProviderKind:
            if kind.account_kind == account.kind and Capability.IMPORT_JOBS in capabilities(kind):
                added += import_jobs(store, open_provider(kind, account.id))
    return added


def import_jobs(page: "JobsPage") -> None:
    page.import_button.setEnabled(False)
    page.message.setText("Looking for jobs created outside Fine-Tune Studio…")

    def done(added: list[Job]) -> None:
        for job in added:
            page.model.upsert(job)
            page.driver.track(job)
        page.message.setText(f"Imported {len(added)} job(s)." if added else "No new jobs on your accounts.")

    Task(_import_all, page.store, page.driver.monitor.open_provider, name="import jobs").on_success(done) \
        .on_error_message(page.message.setText).on_finished(lambda: page.import_button.setEnabled(True)).start()
