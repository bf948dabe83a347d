"""Hugging Face on this computer: fine-tune open models with TRL and PEFT in a detached child process.

The provider is a thin face over ``backend.training``: ``create_job`` writes a run folder and
starts the trainer; every read (status, events, metrics, checkpoints) comes from that folder, so
a restarted app re-attaches to a run that is still going. A Hugging Face token is optional:
it is only needed for gated models and for pushing to the Hub.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from backend import accounts, bounds, hub, paths
from backend.cancel import CancelToken, ProgressFn
from backend.errors import CapabilityMissing, InvalidInput, NotFound
from backend.log import register_secret
from backend.models import (Account, AccountKind, BaseModelInfo, ChatMessage, ChatParams, Checkpoint, DataRefs, Job, JobEvent,
                            JobStatus, MetricPoint, ModelRef, ProviderKind, TrainingConfig)
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.providers.base import (AccountNeed, AccountSpec, Cancels, Chats, Checkpoints, ChecksAccount,
                                    CompletesBatch, Completion, CostKind, Exports, ListsJobs, Metrics, ModelPage,
                                    PollCadence, ProviderBase, Resumes,
                                    StopsAndSaves, Trainer, LoadsModel, JobModels)
from backend.training import events as ev
from backend.training import process
from backend.training.spec import RunFolder
from backend.training.status import RunView


def _autotrain(config: TrainingConfig) -> bool:
    """The wizard's trainer choice: AutoTrain Advanced in its own environment instead of the app's TRL trainer."""
    return config.options.get("trainer") == "autotrain"


def _autotrain_run(job: Job) -> bool:
    """A run that AutoTrain trains (its folder holds the config AutoTrain runs)."""
    return bool(job.run_dir) and (Path(job.run_dir) / "autotrain.yml").is_file()


_HUB_MODEL = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


class LocalProvider(ProviderBase, Trainer, ChecksAccount, Metrics, Checkpoints, ListsJobs, Cancels, Resumes,
                    StopsAndSaves, Exports, Chats, CompletesBatch, LoadsModel, JobModels):
    """Training on this computer. No ``Pauses``: a local run stops and saves, and resumes from there."""

    kind = ProviderKind.HF_LOCAL
    label = "Hugging Face (this computer)"
    description = ("An open model from Hugging Face, trained on this computer with TRL and LoRA. "
                   "Free, private, slower without a GPU.")
    account = AccountSpec(AccountNeed.OPTIONAL, AccountKind.HUGGINGFACE, none_choice="None (public models only)",
                          secret_noun="token")
    data = DataProfile("Hugging Face (this computer)", Dialect.TRL, 1, True, ContextSource.MODEL_CONFIG,
                       TokenizerSource.MODEL_FOLDER, None)
    methods = frozenset({"supervised", "dpo"})
    model_page = ModelPage.LOCAL
    poll = PollCadence.FREE
    hyperparameter_ranges = bounds.LOCAL
    ranges_named = bounds.LOCAL_NAMED
    runs_local_folders = True
    cost_kind = CostKind.THIS_COMPUTER
    runs_on = "On this computer, in a separate process: the app can be closed while it trains."
    launch_sentence = ("Launch checks the data, prepares it in a run folder (downloading the base model first if "
                       "needed) and starts training here in the background; follow, stop and save it in Jobs.")

    def __init__(self, account: Account | None = None, secret: str | None = None):
        super().__init__(account, secret)
        register_secret(self.secret)
        self._views: dict[str, RunView] = {}

    @classmethod
    def auto_epochs(cls, examples: int) -> int | None:
        from backend.training.defaults import auto_epochs

        return auto_epochs(examples)

    @classmethod
    def claims_model(cls, model: str) -> bool:
        """A model folder on this computer, or an ``owner/name`` Hub id."""
        return Path(model).expanduser().is_dir() or bool(_HUB_MODEL.match(model))

    # account and models
    def check_account(self, *, timeout: float = 20.0) -> str:
        """The token's owner on the Hub (``hub.whoami``; the caller's deadline bounds it: the Hub client takes
        no timeout for this call)."""
        if not self.secret:
            return "No account needed: training runs on this computer. A Hugging Face token is only needed for gated models."
        return hub.whoami(self.account.endpoint if self.account else None, self.secret)

    def list_base_models(self) -> list[BaseModelInfo]:
        """Suggested models, then models already downloaded, then models fine-tuned here."""
        found = {m.id: m for m in hub.SUGGESTED}
        for model in hub.cached_models():
            found.setdefault(model.id, model)
        for job in self.list_jobs():
            if job.fine_tuned_model:
                found[job.fine_tuned_model] = BaseModelInfo(id=job.fine_tuned_model, fine_tuned=True,
                                                            label=f"{job.name} (fine-tuned here)")
        return list(found.values())

    # launch
    def prepare_data(self, config: TrainingConfig, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> DataRefs:
        """Check the settings, download the base model if needed, then stage the data as TRL's JSON lines.

        A wrong setting or a folder that holds no model is said here, before any download or job record. The
        staged copy lives until the run folder has its own (``DataRefs.staged``: the launch removes it)."""
        from backend.staging import discard, staging_dir
        from backend.training.data import stage_data
        from backend.training.defaults import check_options
        from backend.training.hardware import model_facts

        check_options(config)
        folder = hub.local_path(config.base_model) or hub.download_model(
            config.base_model, token=self.secret, progress=progress, cancel=cancel)
        check_options(config, model_facts(folder))
        if _autotrain(config):  # AutoTrain's own environment, built on first use (progress, cancellable)
            from backend.autotrain import env

            env.ensure(progress=progress, cancel=cancel)
        staged = staging_dir()
        try:
            refs = stage_data(config, staged, profile=self.data, hub_token=accounts.hub_dataset_token, progress=progress, cancel=cancel)
        except BaseException:
            discard(staged)
            raise
        return refs.model_copy(update={"staged": str(staged)})

    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job:
        if _autotrain(config):
            from backend.autotrain.start import create_run
        else:
            from backend.training.start import create_run

        folder, chosen = create_run(config, data, job.id)
        updated = job.model_copy(update=dict(
            run_dir=str(folder.path), remote_id=folder.path.name, base_model=config.base_model, method=config.method,
            status=JobStatus.QUEUED, name=job.name or f"{config.base_model.rstrip('/').split('/')[-1]} "
            f"({chosen.settings.adapter})", total_steps=chosen.total_steps, data_summary=data.summary,
            config={**job.config, "local_settings": chosen.settings.model_dump()}))
        return self.get_job(updated)

    # reading a run
    def _view(self, job: Job) -> RunView:
        if not job.run_dir:
            raise NotFound(f"The job “{job.name or job.id}” has no run folder.")
        if job.run_dir not in self._views:
            self._views[job.run_dir] = RunView(job.run_dir)
        return self._views[job.run_dir]

    def get_job(self, job: Job) -> Job:
        if not Path(job.run_dir or "").is_dir():
            return job.model_copy(update={"status": JobStatus.FAILED, "error": f"The run folder “{job.run_dir}” is gone."})
        return self._view(job).refresh(job)

    def list_jobs(self) -> Iterator[Job]:
        """Runs found in the runs folder, newest first (to re-import them if the job store was lost)."""
        for spec_file in sorted(paths.runs_dir().glob("*/config.json"), reverse=True):
            try:
                spec = RunFolder(spec_file.parent).read_spec()
            except (OSError, ValueError, InvalidInput):
                continue
            job = Job(id=spec.job_id or spec_file.parent.name, provider=self.kind, run_dir=str(spec_file.parent),
                      remote_id=spec_file.parent.name, data_summary=spec.data.summary,
                      name=spec_file.parent.name, base_model=spec.config.base_model, method=spec.config.method,
                      config=json.loads(spec.config.model_dump_json()))
            yield self.get_job(job)

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        return self._view(job).job_events(after)

    def metrics(self, job: Job) -> list[MetricPoint]:
        return self._view(job).metrics()

    def list_checkpoints(self, job: Job) -> list[Checkpoint]:
        return self._view(job).checkpoints()

    # control
    def cancel(self, job: Job) -> Job:
        """"Stop": end the trainer now; what was learned since the last checkpoint is lost."""
        if process.kill(job.run_dir):
            log = ev.EventLog(RunFolder(job.run_dir).events)
            log.emit(ev.FINISHED, "Stopped by you", status="cancelled")
            log.close()
        return self.get_job(job)

    def stop_and_save(self, job: Job) -> Job:
        """"Stop and save": the trainer saves a checkpoint at its next step and exits; resume continues there."""
        if _autotrain_run(job):
            raise InvalidInput("AutoTrain cannot save a checkpoint on request, so this run can only be stopped.",
                               hint="Use Stop: what it learned since its last saved epoch is lost.")
        if not process.request_stop_and_save(job.run_dir):
            raise InvalidInput("This run is not training, so there is nothing to stop.")
        return self.get_job(job)

    def resume(self, job: Job) -> Job:
        from backend.training.start import start

        folder = RunFolder(job.run_dir)
        if _autotrain_run(job):
            raise InvalidInput("An AutoTrain run cannot be resumed: AutoTrain saves no checkpoint the app can continue from.",
                               hint="Clone it in the wizard to train it again.")
        if process.is_running(folder.path) and not self._exits_after_finishing(job):
            raise InvalidInput("This run is still training.")
        if self.get_job(job).status is JobStatus.SUCCEEDED:
            raise InvalidInput("This run has finished; there is nothing to resume.",
                               hint="Clone it in the wizard to train again.")
        if folder.last_checkpoint() is None:
            raise InvalidInput("This run has no checkpoint to resume from yet.", hint="Start it again from the wizard.")
        start(folder, resume=True)
        return self.get_job(job)

    def _exits_after_finishing(self, job: Job, timeout: float = 60.0) -> bool:
        """A trainer that has written its last event (stopped and saved) may still be exiting: wait for it."""
        if not any(e.type == ev.FINISHED for e in self._view(job).session()):
            return False
        return process.wait(job.run_dir, timeout)

    # after training
    @classmethod
    def job_models(cls, job: Job) -> list[ModelRef]:
        """A run's models to chat with, read from its folder whatever its state: the final model first, then its
        checkpoints, newest first (``JobModels``)."""
        if not job.run_dir:
            return []
        run, name = RunFolder(job.run_dir), job.name or job.fine_tuned_model or job.id[:8]
        refs = [ModelRef(provider=cls.kind, model=str(folder), label=f"{name} · {folder.name}", kind="checkpoint")
                for folder in reversed(run.checkpoint_dirs())]
        if run.final.is_dir():
            refs.insert(0, ModelRef(provider=cls.kind, model=str(run.final), label=f"{name} (fine-tuned)",
                                    kind="fine-tuned"))
        return refs

    @classmethod
    def base_model_ref(cls, job: Job) -> ModelRef | None:
        """The model a run started from, run here too (no account)."""
        if not job.base_model:
            return None
        return ModelRef(provider=cls.kind, model=job.base_model, label=f"{job.base_model} (base)", kind="local")

    def load(self, model: str, *, adapter: str | None = None, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None):
        """Load (and cache) ``model`` before a reply, so that its first-token time is the reply's (``LoadsModel``)."""
        from backend import local_chat

        return local_chat.load(model, adapter, progress=progress, cancel=cancel)

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        try:
            from backend import local_chat
        except ImportError:
            raise CapabilityMissing("Chatting with local models is not available in this version.") from None
        return local_chat.stream_reply(model, messages, params, cancel=cancel)

    def complete_batch(self, model: str, conversations: list[list[ChatMessage]], params: ChatParams,
                       cancel: CancelToken | None = None) -> list[Completion]:
        """Replies to many conversations from one batched ``generate`` (``local_chat.complete_batch``)."""
        try:
            from backend import local_chat
        except ImportError:
            raise CapabilityMissing("Local models are not available in this version.") from None
        return [Completion(text=text, prompt_tokens=prompt, completion_tokens=made)
                for text, prompt, made in local_chat.complete_batch(model, conversations, params, cancel=cancel)]

    def export(self, job: Job, request, *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None):
        """Export the trained model (an adapter merged onto its base) to a folder and/or a Hub repository with
        its card, and the TRL recipe, as ``request`` (an ``ExportRequest``) asks; returns an ``ExportResult``.
        A ``GgufRequest`` exports GGUF (with its Ollama Modelfile) instead and returns a ``GgufResult``."""
        from backend.training.export import export_job
        from backend.training.gguf import GgufRequest, export_gguf

        def push_as():
            return accounts.hub_push_account(request.account, preferred=job.account_id)

        if isinstance(request, GgufRequest):
            return export_gguf(RunFolder(job.run_dir), request, push_as=push_as, progress=progress, cancel=cancel)
        return export_job(RunFolder(job.run_dir), request, push_as=push_as, progress=progress, cancel=cancel)
