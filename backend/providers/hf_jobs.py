"""Hugging Face (cloud): the local trainer's recipe on Hugging Face Jobs, watched live, billed, resumable.

``prepare_data`` stages the data as a local run does, resolves the settings for the chosen flavor with the local
plan, and uploads spec, data and this app's trainer code once to a private dataset repo named after its content.
``create_job`` starts ``hf_jobs_script.command()`` on the flavor with the saved account's token as a secret; the
job trains with ``backend.training.cloud`` and pushes checkpoints and the adapter to a private model repo. Every
read comes from the job's mirror folder, which a log follower fills from ``fetch_job_logs(follow=True)``
(``hf_jobs_stream``); status, cost and resources come from ``inspect_job`` / ``fetch_job_metrics`` at most every
few seconds. A budget cancels the job when the spend would pass it before the next check.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from backend import accounts, bounds, hub
from backend.cancel import CancelToken, ProgressFn
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.errors import CredentialsError, InvalidInput, NetworkError, NotFound, Refused, Unconfirmed
from backend.log import register_secret
from backend.models import (Account, AccountKind, BaseModelInfo, Checkpoint, DataRefs, Job,
                            JobEvent, JobStatus, MetricPoint, ProviderKind, TrainingConfig)
from backend.providers import hf_jobs_autotrain as autotrain
from backend.providers import hf_jobs_script as script
from backend.providers import hf_jobs_result as result
from backend.providers.base import (LAUNCH_KEY, AccountNeed, AccountSpec, Cancels, Chats, Checkpoints, ChecksAccount,
                                    Exports, FindsLaunch, JobModels, ListsJobs, LoadsModel, Metrics, ModelPage,
                                    PollCadence, ProviderBase, Resumes, StatesFacts, StopsAndSaves,
                                    Trainer)
from backend.training.rented import Flavor, money, timeout_for
from backend.providers.hf_jobs_stream import Mirror, follow, mirror_dir
from backend.training import events as ev
from backend.training.cloud import RESUME_STEP
from backend.training.status import RunView

_STAGES = {"SCHEDULING": JobStatus.QUEUED, "RUNNING": JobStatus.RUNNING, "COMPLETED": JobStatus.SUCCEEDED,
           "CANCELED": JobStatus.CANCELLED, "ERROR": JobStatus.FAILED, "DELETED": JobStatus.FAILED}
_INSPECT_EVERY = 3.0  # seconds between status calls per job (polls in between read the mirror only)
_RESOURCES_EVERY = 15.0
DEFAULT_FLAVOR = "a10g-small"


class HFJobsProvider(ProviderBase, Trainer, ChecksAccount, Metrics, Checkpoints, ListsJobs, FindsLaunch, Cancels,
                     StopsAndSaves, Resumes, result.PushedResult, JobModels, LoadsModel, Chats, Exports, StatesFacts):
    """Training on Hugging Face's machines. Stop and save is a cancel: the job gets SIGTERM, the trainer saves and
    pushes a checkpoint if the container lives long enough; resume starts a new remote job from the last pushed
    checkpoint, recorded on the same job."""

    kind = ProviderKind.HF_JOBS
    label = "Hugging Face (cloud)"
    description = ("An open model trained with TRL and LoRA on Hugging Face's GPUs (Jobs), billed by the minute to "
                   "your Hugging Face account. The result lands in a private repository of yours.")
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, secret_noun="token",
                          missing="Hugging Face (cloud) needs a Hugging Face account with a token.",
                          missing_hint="Add one on the Accounts page (a token with write access).")
    data = DataProfile("Hugging Face (cloud)", Dialect.TRL, 1, True, ContextSource.MODEL_CONFIG,
                       TokenizerSource.MODEL_FOLDER, None)
    methods = frozenset({"supervised", "dpo"})
    model_page = ModelPage.LOCAL
    poll = PollCadence.FREE  # a poll reads the mirror; the network is asked at most every few seconds
    hyperparameter_ranges = bounds.LOCAL
    ranges_named = bounds.LOCAL_NAMED
    create_in_flight_seconds = 120.0
    rents_hardware = True

    def __init__(self, account: Account | None = None, secret: str | None = None):
        super().__init__(account, secret)
        register_secret(self.secret)
        self._asked: dict[str, tuple[float, object]] = {}
        self._resources_at: dict[str, float] = {}
        self._user: str | None = None
        self._flavors: tuple[float, list[Flavor]] | None = None

    # the Hub
    def api(self):
        from huggingface_hub import HfApi

        return HfApi(endpoint=(self.account.endpoint if self.account else None) or None, token=self.secret)

    def user(self) -> str:
        if self._user is None:
            try:
                self._user = self.api().whoami()["name"]
            except Exception as exc:  # noqa: BLE001 - said in a sentence
                raise self._error(exc, "checking the token") from exc
        return self._user

    def _error(self, exc: Exception, doing: str, flavor: str | None = None) -> Exception:
        """A Jobs API failure as a sentence: a refused token, a flavor the account may not use, a quota."""
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        said = ""
        if response is not None:
            try:
                said = str(response.json().get("error") or "")
            except Exception:  # noqa: BLE001 - not JSON
                said = ""
        who = f"the token of the account “{self.account.name}”" if self.account else "the token"
        if status == 401:
            return CredentialsError(f"Hugging Face refused {who} while {doing}.",
                                    hint="Open Accounts and enter a valid token with write access.")
        if status == 403 and flavor and "flavor" in said.lower():
            return Refused(f"Your Hugging Face account may not use the hardware “{flavor}”: {said}",
                           hint="Choose another flavor, or add a payment method at huggingface.co/settings/billing.")
        if status in (402, 429) or "quota" in said.lower():
            return Refused(f"Hugging Face refused the job while {doing}: {said or 'quota exceeded'}.",
                           hint="Check your Jobs quota and billing at huggingface.co/settings/billing.")
        if status is not None:
            return Refused(f"Hugging Face answered {status} while {doing}: {said or exc}.")
        return hub.hub_error(exc, subject="token", name="Jobs", token_source=who,
                             endpoint=self.account.endpoint if self.account else None)

    def check_account(self, *, timeout: float = 20.0) -> str:
        return f"Connected as {self.user()}; Hugging Face Jobs bill this account."

    def flavors(self) -> list[Flavor]:
        """The hardware ``list_jobs_hardware`` offers now, with live prices, cheapest first (asked again after a
        minute: prices are live, but a chooser or an import asks for each flavor)."""
        if self._flavors and time.monotonic() - self._flavors[0] < 60.0:
            return self._flavors[1]
        try:
            infos = self.api().list_jobs_hardware()
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "listing the hardware") from exc
        found = sorted((Flavor.from_info(info) for info in infos), key=lambda f: f.price_per_hour)
        self._flavors = (time.monotonic(), found)
        return found

    def flavor(self, name: str) -> Flavor:
        found = next((f for f in self.flavors() if f.name == name), None)
        if found is None:
            raise InvalidInput(f"Hugging Face Jobs has no hardware named “{name}”.",
                               hint="Known: " + ", ".join(f.name for f in self.flavors()))
        return found

    def list_base_models(self) -> list[BaseModelInfo]:
        return list(hub.SUGGESTED)

    # launch
    def model_facts(self, base_model: str):
        """The base model's shape from its config files alone (a few KB from the Hub, no weights)."""
        from huggingface_hub import snapshot_download

        from backend.training.hardware import model_facts

        local = hub.local_path(base_model)
        if local is None:
            try:
                local = Path(snapshot_download(base_model, token=self.secret, endpoint=self.account.endpoint or None
                                               if self.account else None,
                                               allow_patterns=["config.json", "tokenizer_config.json", "*.jinja"]))
            except Exception as exc:  # noqa: BLE001
                raise hub.hub_error(exc, subject="model", name=base_model) from exc
        return model_facts(local)

    def plan(self, config: TrainingConfig, summary: dict, flavor: Flavor):
        from backend.training.defaults import resolve

        return resolve(config, self.model_facts(config.base_model), flavor.hardware(), examples=summary.get("examples"),
                       tokens=summary.get("tokens"), longest=summary.get("longest_tokens"),
                       has_validation=bool(summary.get("validation_examples")))

    def prepare_data(self, config: TrainingConfig, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> DataRefs:
        """Stage and check the data, plan the run for its flavor, and upload it once to a private dataset repo."""
        from backend.staging import discard, staging_dir
        from backend.training.data import stage_data
        from backend.training.defaults import check_options
        from backend.training.spec import RunSpec

        check_options(config)
        flavor = self.flavor(config.options.get("flavor") or DEFAULT_FLAVOR)
        staged = staging_dir()
        try:
            refs = stage_data(config, staged / "prepared", profile=self.data, hub_token=accounts.hub_dataset_token,
                              progress=progress, cancel=cancel)
            chosen = self.plan(config, refs.summary, flavor)
            spec = RunSpec(config=config, data=refs, model_path=config.base_model, settings=chosen.settings)
            key = script.write_bundle(spec, refs, staged / "bundle")
            if autotrain.chosen(config):  # the same repo, plus AutoTrain's config and data
                autotrain.write_files(config, refs, chosen.settings, staged / "bundle")
                key = script.content_key(staged / "bundle")
            repo = f"{self.user()}/fts-data-{key[:16]}"
            self._upload_once(staged / "bundle", repo, progress, cancel)
        except BaseException:
            discard(staged)
            raise
        timeout = int(config.options.get("timeout_seconds") or timeout_for(chosen.seconds))
        summary = {**refs.summary, "flavor": flavor.name, "price_per_hour": flavor.price_per_hour,
                   "estimated_seconds": chosen.seconds, "estimated_cost": flavor.cost((chosen.seconds or 0) + 600),
                   "timeout_seconds": timeout, "total_steps": chosen.total_steps, "fits": chosen.fits}
        if autotrain.chosen(config):
            summary.update(trainer="autotrain", logging_steps=chosen.settings.logging_steps)
        return DataRefs(training=repo, summary=summary, staged=str(staged))

    def _upload_once(self, bundle: Path, repo: str, progress, cancel) -> None:
        from backend.training import push

        api = self.api()
        try:
            if api.file_exists(repo, "run/config.json", repo_type="dataset"):
                return  # the same content went up before (a retry)
        except Exception:  # noqa: BLE001 - not there (or not visible): upload
            pass
        account = self.account or Account(name="Hugging Face", kind=AccountKind.HUGGINGFACE)
        push.push_folder(bundle, repo, account=account, token=self.secret, private=True, repo_type="dataset",
                         report=lambda done, message: progress and progress_note(progress, message), cancel=cancel,
                         message="Fine-Tune Studio: training data and trainer")

    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job:
        return self._run(job.model_copy(update=dict(base_model=config.base_model, method=config.method,
                                                    data_summary=data.summary,
                                                    name=job.name or config.base_model.split("/")[-1] + " (cloud)")),
                         data.training, resume_step=None)

    def _run(self, job: Job, data_repo: str, resume_step: int | None) -> Job:
        from huggingface_hub import Volume  # noqa: F401 - the installed version has Jobs (checked at import)

        summary = job.data_summary
        flavor = summary.get("flavor") or DEFAULT_FLAVOR
        user = self.user()
        output = job.metadata.get("output_repo") or f"{user}/fts-{job.id[:12]}"
        env = {"FTS_DATA_REPO": data_repo, "FTS_OUTPUT_REPO": output, "FTS_DEPS": script.pinned_packages(),
               "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1"}
        if resume_step is not None:
            env[RESUME_STEP] = str(resume_step)
        labels = {"fts_job": job.id}
        if job.metadata.get(LAUNCH_KEY):
            labels[LAUNCH_KEY] = job.metadata[LAUNCH_KEY]
        try:
            runs = autotrain if summary.get("trainer") == "autotrain" else script  # AutoTrain's image, or the app's
            info = self.api().run_job(image=runs.IMAGE, command=runs.command(), env=env,
                                      secrets={"HF_TOKEN": self.secret}, flavor=flavor,
                                      timeout=int(summary.get("timeout_seconds") or timeout_for(None)),
                                      labels=labels, name=f"fts-{job.id[:12]}", namespace=user)
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "response", None) is None and isinstance(self._error(exc, "starting"), NetworkError):
                raise Unconfirmed("The job was sent to Hugging Face but its answer was lost.") from exc
            raise self._error(exc, "starting the job", flavor=flavor) from exc
        earlier = [r for r in job.metadata.get("remote_jobs", "").split(",") if r]
        metadata = {**job.metadata, "namespace": user, "output_repo": output, "data_repo": data_repo,
                    "remote_jobs": ",".join(earlier + [info.id]), "job_url": info.url,
                    "output_url": f"{self.api().endpoint}/{output}", "flavor": flavor,
                    "price_per_hour": str(summary.get("price_per_hour", ""))}
        return self._apply(job.model_copy(update={"remote_id": info.id, "metadata": metadata,
                                                  "run_dir": str(mirror_dir(job.id)), "error": None}), info)

    def find_launched(self, key: str) -> list[Job]:
        found = []
        for info in self.api().list_jobs(labels={LAUNCH_KEY: key}, namespace=self.user()):
            found.append(self._imported(info))
        return sorted(found, key=lambda j: j.created_at)

    # reading a job
    def _fetch_logs(self, job: Job):
        namespace = job.metadata.get("namespace") or self.user()
        return lambda remote_id: self.api().fetch_job_logs(job_id=remote_id, namespace=namespace, follow=True)

    def _inspect(self, job: Job, *, fresh: bool = False):
        asked = self._asked.get(job.remote_id)
        if asked and not fresh and time.monotonic() - asked[0] < _INSPECT_EVERY:
            return asked[1]
        info = self.api().inspect_job(job_id=job.remote_id, namespace=job.metadata.get("namespace") or self.user())
        self._asked[job.remote_id] = (time.monotonic(), info)
        return info

    def get_job(self, job: Job) -> Job:
        if not job.remote_id:
            return job
        try:
            info = self._inspect(job)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "reading the job") from exc
        return self._apply(job, info)

    def _apply(self, job: Job, info) -> Job:
        stage = str(info.status.stage.value if hasattr(info.status.stage, "value") else info.status.stage)
        status = _STAGES.get(stage, JobStatus.UNKNOWN)
        if job.run_dir and (status.is_active or not Mirror.at(job.run_dir).caught_up(job.remote_id)):
            # live, or once more after the end: catching up on what the app missed (a restart, a cut stream)
            follow(job.id, job.remote_id, self._fetch_logs(job), ended=not status.is_active,
                   autotrain_steps=_autotrain_steps(job))
        view = RunView(job.run_dir) if job.run_dir else None
        events = view.events if view else []
        update: dict = {"status": status, "status_raw": stage, "updated_at": datetime.now(timezone.utc),
                        "started_at": info.started_at or job.started_at, "finished_at": info.finished_at}
        stepped = [e for e in events if e.step is not None]
        if stepped:
            update["step"] = stepped[-1].step
            update["total_steps"] = next((e.total_steps for e in reversed(stepped) if e.total_steps), None)
        metadata = dict(job.metadata)
        pushed = Mirror.at(job.run_dir).pushed() if job.run_dir else []
        if status is JobStatus.SUCCEEDED and any(p.get("final") and not p.get("error") for p in pushed):
            update["fine_tuned_model"] = job.metadata.get("output_repo")
        if status is JobStatus.FAILED:
            errors = [e.message for e in events if e.type == ev.ERROR]
            update["error"] = errors[-1] if errors else _failure(info.status.message, Mirror.at(job.run_dir)
                                                                  if job.run_dir else None,
                                                                  autotrain=_autotrain_steps(job) is not None)
        running = info.durations.running_secs if info.durations and info.durations.running_secs is not None else None
        if running is None and info.started_at:
            end = info.finished_at or datetime.now(timezone.utc)
            running = (end - info.started_at).total_seconds()
        price = _float(metadata.get("price_per_hour"))
        if running is not None and price is not None:
            spent = _float(metadata.get("spent_before")) or 0.0
            metadata["cost_usd"] = f"{spent + running / 3600.0 * price:.6f}"
        job = job.model_copy(update={**update, "metadata": metadata})
        if status is JobStatus.RUNNING:
            job = self._resources(self._budget(job), info)
        return job

    def _budget(self, job: Job) -> Job:
        """Cancel the job when the spend would pass the budget before the next check, and say so."""
        budget = _budget_of(job)
        cost, price = _float(job.metadata.get("cost_usd")), _float(job.metadata.get("price_per_hour"))
        if not budget or cost is None or price is None or job.metadata.get("budget_stopped"):
            return job
        if cost + price * _INSPECT_EVERY * 2 / 3600.0 < budget:
            return job
        message = (f"Stopped by the budget: the spend ({money(cost)}) would pass the budget of {money(budget)}. "
                   "The last pushed checkpoint is kept; resume to go on.")
        Mirror.at(job.run_dir).note(ev.WARNING, message, level="warning")
        self.api().cancel_job(job_id=job.remote_id, namespace=job.metadata.get("namespace") or self.user())
        return job.model_copy(update={"metadata": {**job.metadata, "budget_stopped": "1"}})

    def _resources(self, job: Job, info) -> Job:
        """CPU, GPU and memory use from ``fetch_job_metrics``, at most every few seconds."""
        if time.monotonic() - self._resources_at.get(job.remote_id, 0.0) < _RESOURCES_EVERY:
            return job
        self._resources_at[job.remote_id] = time.monotonic()
        try:
            sample = next(iter(self.api().fetch_job_metrics(job_id=job.remote_id,
                                                             namespace=job.metadata.get("namespace"))), None)
        except Exception:  # noqa: BLE001 - resources are a nicety; the job is read anyway
            return job
        if not sample:
            return job
        gpus = list((sample.get("gpus") or {}).values())
        figures = {"cpu_percent": sample.get("cpu_usage_pct"), "memory_used_bytes": sample.get("memory_used_bytes"),
                   "gpu_percent": gpus[0].get("utilization") if gpus else None,
                   "gpu_memory_used_bytes": sum(g.get("memory_used_bytes", 0) for g in gpus) if gpus else None}
        return job.model_copy(update={"metadata": {**job.metadata, **{k: str(v) for k, v in figures.items()
                                                                        if v is not None}}})

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        return RunView(job.run_dir).job_events(after) if job.run_dir else []

    def metrics(self, job: Job) -> list[MetricPoint]:
        return RunView(job.run_dir).metrics() if job.run_dir else []

    def list_checkpoints(self, job: Job) -> list[Checkpoint]:
        """The checkpoints the job pushed (each a folder of the output repo), and the final adapter."""
        found = []
        for pushed in Mirror.at(job.run_dir).pushed() if job.run_dir else []:
            if pushed.get("error"):
                continue
            step = int(pushed.get("step") or 0)
            repo, path = pushed["repo"], pushed.get("path") or ""
            found.append(Checkpoint(id="final" if pushed.get("final") else f"checkpoint-{step}", step=step,
                                    model=f"{repo}/{path}".rstrip("/"), created_at=datetime.now(timezone.utc)))
        return found

    def list_jobs(self) -> Iterator[Job]:
        """Jobs on the account (import): ours keep their mirror; others are shown read-only."""
        try:
            infos = list(self.api().list_jobs(namespace=self.user()))
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "listing the jobs") from exc
        runs: dict[str, list] = {}  # one run: its remote jobs (a resumed run has several), oldest first
        for info in sorted(infos, key=lambda i: i.created_at or datetime.min.replace(tzinfo=timezone.utc)):
            runs.setdefault((info.labels or {}).get("fts_job") or info.id, []).append(info)
        for run in sorted(runs.values(), key=lambda r: r[-1].created_at or datetime.min.replace(tzinfo=timezone.utc),
                          reverse=True):
            yield self._imported(run[-1], earlier=[i.id for i in run[:-1]])

    def _imported(self, info, earlier: list[str] = ()) -> Job:
        labels = info.labels or {}
        ours = "fts_job" in labels
        env = info.environment or {}
        job = Job(id=labels.get("fts_job") or info.id, provider=self.kind, account_id=self.account_id,
                  remote_id=info.id, name=labels.get("name") or info.id, created_at=info.created_at or
                  datetime.now(timezone.utc),
                  metadata={k: v for k, v in {LAUNCH_KEY: labels.get(LAUNCH_KEY), "namespace": info.owner.name,
                                              "output_repo": env.get("FTS_OUTPUT_REPO"), "flavor": info.flavor,
                                              "data_repo": env.get("FTS_DATA_REPO"), "job_url": info.url,
                                              "read_only": None if ours else "1",
                                              "remote_jobs": ",".join([*earlier, info.id]) if ours else None,
                                              "price_per_hour": self._price(info.flavor)}.items() if v})
        if ours:
            job = job.model_copy(update={"run_dir": str(mirror_dir(job.id))})
        return self._apply(job, info)

    def _price(self, flavor: str | None) -> str | None:
        """A flavor's price per hour today (for the cost of a job started elsewhere), None where unknown."""
        try:
            return str(self.flavor(flavor).price_per_hour) if flavor else None
        except Exception:  # noqa: BLE001 - the cost is a nicety of an imported job
            return None

    # control
    def cancel(self, job: Job) -> Job:
        try:
            self.api().cancel_job(job_id=job.remote_id, namespace=job.metadata.get("namespace") or self.user())
            return self._apply(job, self._inspect(job, fresh=True))
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, "cancelling the job") from exc

    def stop_and_save(self, job: Job) -> Job:
        return self.cancel(job)

    def resume(self, job: Job) -> Job:
        """A new remote job from the last checkpoint the run pushed, recorded on this job (its earlier remote jobs
        stay listed in ``remote_jobs``; what they cost stays in the cost)."""
        job = self.get_job(job)
        if job.status.is_active:
            raise InvalidInput("This run is still going on Hugging Face.")
        if job.status is JobStatus.SUCCEEDED:
            raise InvalidInput("This run has finished; there is nothing to resume.")
        steps = [c.step for c in self.list_checkpoints(job) if c.id != "final"]
        if not steps:
            raise NotFound("This run pushed no checkpoint to resume from.", hint="Start it again from the wizard.")
        data_repo = job.metadata.get("data_repo")
        if not data_repo:
            raise InvalidInput("This job was not started by Fine-Tune Studio, so it cannot be resumed here.")
        metadata = {**job.metadata, "spent_before": job.metadata.get("cost_usd", "0"), "budget_stopped": ""}
        Mirror.at(job.run_dir).note(ev.PHASE, f"Resuming from the checkpoint of step {max(steps)}", phase="starting")
        return self._run(job.model_copy(update={"metadata": metadata}), data_repo, resume_step=max(steps))

    @classmethod
    def job_facts(cls, job: Job) -> list[str]:
        """Cost so far (running time x the flavor's price, earlier remote jobs included), the budget, and the
        last resource use ``fetch_job_metrics`` gave."""
        m, lines = job.metadata, []
        cost, price, budget = _float(m.get("cost_usd")), _float(m.get("price_per_hour")), _budget_of(job)
        if cost is not None or price is not None:
            line = f"Cost so far: {money(cost or 0.0)}"
            line += f" on {m.get('flavor', 'Hugging Face')} at {money(price)}/hour" if price is not None else ""
            line += f" · budget {money(budget)}" if budget else ""
            lines.append(line)
        figures = [f"CPU {float(m['cpu_percent']):.0f}%" if m.get("cpu_percent") else "",
                   f"memory {int(m['memory_used_bytes']) / 2**30:.1f} GiB" if m.get("memory_used_bytes") else "",
                   f"GPU {float(m['gpu_percent']):.0f}%" if m.get("gpu_percent") else "",
                   f"GPU memory {int(m['gpu_memory_used_bytes']) / 2**30:.1f} GiB"
                   if m.get("gpu_memory_used_bytes") else ""]
        if any(figures):
            lines.append("Resources: " + " · ".join(f for f in figures if f))
        if m.get("output_url"):
            lines.append(f"Results: {m['output_url']}")
        if _autotrain_steps(job) is not None:
            lines.append("Trainer: AutoTrain Advanced, in its Docker image (it cannot save a checkpoint on request or "
                         "resume)")
        return lines


def _failure(message: str | None, mirror: Mirror | None, *, autotrain: bool = False) -> str:
    """A job that failed without the trainer saying why (before training started: the image, the installs, the
    data download), in a sentence from the last error line of its log; an AutoTrain run's from AutoTrain's last
    lines, with what to do (as a local AutoTrain run says it)."""
    said = (mirror.last_error() if mirror else None) or ""
    where = f" ({message})" if message else ""
    if message and "timeout" in message.lower():
        return ("Hugging Face stopped the job at its timeout. Resume it from its last pushed checkpoint, with a "
                "longer timeout if needed.")
    if autotrain and mirror is not None:
        return f"The job on Hugging Face failed{where}. {mirror.autotrain_failure()}"
    if said:
        return f"The job on Hugging Face failed{where}: {said}"
    return f"The job on Hugging Face ended with an error{where}; its log says no more."


def _autotrain_steps(job: Job) -> int | None:
    """The Trainer's logging interval of a run AutoTrain trains (its log lines become events here), else None."""
    summary = job.data_summary or {}
    return int(summary.get("logging_steps") or 1) if summary.get("trainer") == "autotrain" else None


def _budget_of(job: Job) -> float | None:
    """The job's budget in dollars: set on the job (a test, a later change) or in its launch options."""
    return _float(job.metadata.get("budget_usd") or (job.config.get("options") or {}).get("budget_usd"))


def _float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def progress_note(progress: ProgressFn, message: str) -> None:
    from backend.cancel import Progress

    progress(Progress(done=0, message=message))
