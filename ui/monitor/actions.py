"""What the user can do to a job from the Jobs page: a small object built from the store, the monitor driver and
a confirm callable. Every provider call runs in a worker (``backend.control``, the command line's own "ask, then
save"); results go to the driver, which alone announces job changes; the rest is said through signals.

Which actions a job offers is ``backend.control.available``: read from its provider's class, so no account or
network is needed to decide what to show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from backend import control
from backend.control import JobAction
from backend.errors import StudioError
from backend.models import Job, JobStatus
from backend.providers import label
from backend.store import JobStore
from backend.words import plural
from ui.monitor.driver import MonitorDriver
from ui.tasks import Task

#: The actions asked through ``backend.control.control`` (a worker), with the progress sentence's verb.
_ASKED = {JobAction.CANCEL: "cancel", JobAction.PAUSE: "pause", JobAction.STOP_AND_SAVE: "stop and save",
          JobAction.RESUME: "resume"}


class JobActions(QObject):
    message = Signal(str)  # a sentence for the page's note
    #: A sentence about a job as it stands (the Job): true while the job keeps that status, so the page takes it
    #: down when the status moves on (after "Stop and save" the answer "running" stayed up on a paused job).
    job_message = Signal(str, object)
    import_busy = Signal(bool)  # an import is running
    open_in_playground = Signal(list)  # model references (dicts) for the playground
    clone = Signal(str)  # job id: start the wizard from its configuration
    export = Signal(object)  # Job: the page opens the export dialog

    def __init__(self, store: JobStore, driver: MonitorDriver, confirm: Callable[[str, str], bool],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.store, self.driver, self.confirm = store, driver, confirm

    @staticmethod
    def available(job: Job, resumable: bool = False) -> frozenset[JobAction]:
        return control.available(job, control.job_class(job), resumable=resumable)

    def request(self, job_id: str, action: JobAction) -> None:
        """Do ``action`` to the job, asking first where it cannot be taken back."""
        job = self.store.get_job(job_id)
        if job is None:
            return
        who = label(job.provider)
        if action is JobAction.EXPORT:
            self.export.emit(job)
        elif action is JobAction.DEPLOY:  # the Deploy dialog runs the deployment itself (ui/deployments)
            from ui.deployments.deploy_dialog import open_deploy_dialog

            parent = self.parent()
            self.deploy_dialog = open_deploy_dialog(job, self.store, parent if isinstance(parent, QWidget) else None)
        elif action is JobAction.DELETE_MODEL:
            self._delete_model(job)
        elif action is JobAction.CANCEL and not self.confirm(
                "Cancel the job?", f"Cancel “{job.name or job.remote_id}” on {who}? A cancelled job cannot be "
                                   "restarted."):
            return
        elif action in _ASKED:
            self._ask(job, action)

    def _ask(self, job: Job, action: JobAction) -> None:
        who = label(job.provider)
        self.message.emit(f"Asking {who} to {_ASKED[action]} the job…")

        def done(fresh: Job) -> None:
            self.job_message.emit(answer_text(who, action, fresh), fresh)
            self.driver.record(fresh)

        Task(_control, self.store, self.driver.monitor.open_provider, job, action, name=f"job {action.value}") \
            .on_success(done).on_error_message(self.message.emit).start()

    def _delete_model(self, job: Job) -> None:
        """Delete a succeeded job's fine-tuned model on its provider, after a confirmation that names it."""
        who = label(job.provider)
        if JobAction.DELETE_MODEL not in self.available(job) or not self.confirm(
                "Delete the model?", f"Delete the model {job.fine_tuned_model} on {who}? It cannot be used again "
                                     "(in the playground or by your apps), and this cannot be undone."):
            return
        self.message.emit(f"Deleting {job.fine_tuned_model} on {who}…")

        def done(result) -> None:
            fresh, event = result
            self.driver.record(fresh)
            self.driver.add_events(fresh.id, [event])
            self.message.emit(event.message)

        Task(_delete, self.store, self.driver.monitor.open_provider, job, name="delete model").on_success(done) \
            .on_error_message(self.message.emit).start()

    def remove(self, job_id: str) -> None:
        """Drop the job from the list (nothing is deleted on the provider)."""
        job = self.store.get_job(job_id)
        if job is None or not self.confirm("Remove from the list?", "Remove this job from Fine-Tune Studio's list? "
                                           "Nothing is deleted on the provider; you can import it again."):
            return
        self.store.remove_job(job_id)
        self.driver.job_recorded(job_id)  # the driver forgets it and announces the removal

    def rename(self, job_id: str, name: str) -> None:
        """Give the job the user's name (unique among the jobs: the store refuses a taken one, with a sentence)."""
        try:
            job = self.store.rename_job(job_id, name)
        except StudioError as exc:
            self.message.emit(str(exc))
            return
        self.driver.record(job)
        self.message.emit(f"Renamed the job to “{job.name}”.")

    def playground(self, job_id: str, model: str) -> None:
        """The model (or checkpoint) beside the base it was trained from, ready to compare."""
        from backend.chat_catalog import base_ref

        job = self.store.get_job(job_id)
        if job is None:
            return
        kind = "fine-tuned" if model == job.fine_tuned_model else "checkpoint"
        tuned = {"provider": job.provider.value, "account_id": job.account_id, "model": model, "job_id": job.id,
                 "kind": kind, "label": f"{job.name or job.base_model} ({kind})"}
        base = base_ref(job)
        self.open_in_playground.emit([base.model_dump(), tuned] if base is not None else [tuned])

    def import_all(self) -> None:
        """Add the jobs of every saved account that were created outside this app."""
        self.import_busy.emit(True)
        self.message.emit("Looking for jobs created outside Fine-Tune Studio…")

        def done(added: list[Job]) -> None:
            for job in added:
                self.driver.record(job)
            self.message.emit(f"Imported {plural(len(added), 'job')}." if added else "No new jobs on your accounts.")

        Task(_import_all, self.store, self.driver.monitor.open_provider, name="import jobs").on_success(done) \
            .on_error_message(self.message.emit).on_finished(lambda: self.import_busy.emit(False)).start()


def answer_text(who: str, action: JobAction, job: Job) -> str:
    """What the provider's answer means for the user, as it stands now (the page drops it when the status moves)."""
    if action is JobAction.STOP_AND_SAVE and job.status is JobStatus.RUNNING:
        return "Stopping: the trainer saves what it learned at its next step, then the job pauses."
    if action is JobAction.RESUME and not job.status.is_terminal and job.status is not JobStatus.RUNNING:
        return f"Resuming: the job is {job.status.value}; it runs again shortly."
    return f"{who} answered: the job is {job.status.value}."


# -- workers ----------------------------------------------------------------------------------------------
def _control(store: JobStore, open_provider, job: Job, action: JobAction) -> Job:
    return control.control(store, open_provider(job.provider, job.account_id), job, action)


def _delete(store: JobStore, open_provider, job: Job):
    return control.delete_model(store, open_provider(job.provider, job.account_id), job)


def _import_all(store: JobStore, open_provider) -> list[Job]:
    from backend import accounts
    from backend.monitor import import_jobs
    from backend.providers import kinds, provider_class
    from backend.providers.base import ListsJobs

    added: list[Job] = []
    for account in accounts.list_accounts():
        for kind in kinds(having=ListsJobs):
            if provider_class(kind).account.kind == account.kind:
                added += import_jobs(store, open_provider(kind, account.id))
    return added
