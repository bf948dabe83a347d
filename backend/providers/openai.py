"""OpenAI fine-tuning through the official SDK: models, uploads, jobs, events, metrics, chat.

Job creation is the one call that must not be repeated blindly: the API has no idempotency key, so it
runs without the SDK's retries. It is sent again only after an answer that proves nothing was created
(a 429, or no connection at all); after a lost answer (a timeout, a dropped connection, a 5xx) it raises
``Unconfirmed`` and ``backend.launch`` looks for the launch key (in the job's metadata) instead.
Reinforcement fine-tuning is declared absent: it needs graders, which this app does not build.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from backend import bounds, paths
from backend.cancel import CancelToken, ProgressFn
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.errors import InvalidInput, NetworkError, Refused, Unconfirmed
from backend.providers import streaming
from backend.providers.base import (LAUNCH_KEY, RECONCILE_SCAN, AccountNeed, AccountSpec, Cancels,
                                    Chats, Completes, Completion, Checkpoints, ChecksAccount, DeletesModels, FindsLaunch, FromEnvironment,
                                    ListsJobs, Metrics, ModelPage, Pauses, PreviewsRequest, ProviderBase, Resumes,
                                    Trainer, ListsChatModels, WarmsUp)
from backend.staging import discard, staging_dir
from backend.models import (
    Account, AccountKind, BaseModelInfo, ChatMessage, ChatParams, Checkpoint, DataRefs, DataSummary, Job, JobEvent,
    MetricPoint, ProviderKind, TrainingConfig,
)
from backend.providers import openai_jobs as mapping
from backend.providers import openai_sdk, openai_upload

CREATE_ATTEMPTS = 3
#: How long "Test connection" waits for the service.
CHECK_SECONDS = 20.0


_OPENAI_MODEL = re.compile(r"^(ft:)?(gpt-|o\d+(-|$)|(babbage|davinci)-)", re.IGNORECASE)
#: Azure's spellings of the same models: a deployment-era name, or a fine-tuned model's ``.ft-<hex>`` suffix.
AZURE_MODEL = re.compile(r"^gpt-35-|\.ft-[0-9a-f]+$", re.IGNORECASE)


class OpenAIProvider(ProviderBase, Trainer, ChecksAccount, Metrics, Checkpoints, ListsJobs, FindsLaunch, Cancels,
                     Pauses, Resumes, DeletesModels, PreviewsRequest, Chats, Completes, ListsChatModels, WarmsUp,
                     FromEnvironment):
    """OpenAI's fine-tuning API. The optional verbs it has are declared as bases (``backend.providers.base``),
    so that ``issubclass``/``isinstance`` say what the Jobs page and the review page may offer."""

    kind = ProviderKind.OPENAI
    label = "OpenAI"
    description = ("OpenAI trains and hosts the model; you pay per trained token. Self-serve fine-tuning "
                   "is winding down: no new jobs from 2027-01-06.")
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.OPENAI)
    data = DataProfile("OpenAI", Dialect.OPENAI, 10, False, ContextSource.PRICE_TABLE, TokenizerSource.TIKTOKEN,
                       "openai")
    methods = frozenset({"supervised", "dpo"})
    model_page = ModelPage.HOSTED
    hyperparameter_ranges = bounds.OPENAI
    recommended_model = mapping.RECOMMENDED
    #: Body fields of the create call that the SDK has no argument for: sent through ``extra_body``.
    body_extensions: tuple[str, ...] = ()
    runs_on = "On OpenAI's servers; the fine-tuned model stays in your OpenAI account."
    launch_sentence = ("Launch checks the data, uploads it to OpenAI and starts the fine-tuning job; OpenAI bills "
                       "the trained tokens, and you can follow or cancel the job in Jobs.")
    #: How "Test connection" names the account's address, and what it says of a wrong one.
    address_field = "base URL"

    @classmethod
    def auto_epochs(cls, examples: int) -> int | None:
        from backend.data.pricing import default_epochs

        return default_epochs(examples)

    address_hint = "The base URL usually ends in /v1; leave it empty for OpenAI itself."
    #: Tests lower these to send a small file through the multipart path and to poll quickly.
    simple_upload_limit = openai_upload.SIMPLE_UPLOAD_LIMIT
    part_size = openai_upload.PART_SIZE
    poll_seconds = 2.0
    retry_pause = 1.0
    #: The create call's own timeout, and how much longer a create the client gave up on may still land at
    #: the service: together, how long a launch looks for its key before it calls the job unconfirmed.
    create_timeout = 60.0
    in_flight_margin = 60.0

    def __init__(self, account: Account | None = None, secret: str | None = None):
        super().__init__(account, secret)
        self._secret = secret
        self._client = None
        self._sent_once = None  # the client without SDK retries (``complete``)

    @classmethod
    def claims_model(cls, model: str) -> bool:
        return bool(_OPENAI_MODEL.match(model)) and not AZURE_MODEL.search(model)

    @classmethod
    def from_environment(cls) -> OpenAIProvider | None:
        """The provider with the SDK's own environment variables (OPENAI_API_KEY, OPENAI_BASE_URL, ...), or
        None when the key is unset: what "no saved account" means for scripts and CI. ``jobs create`` launches
        with it, and the monitor, ``jobs watch``/``cancel`` and the reconciling of unconfirmed launches reach
        such jobs through it again."""
        secret = paths.env(paths.OPENAI_API_KEY)
        if not secret:
            return None
        account = Account(name="environment", kind=AccountKind.OPENAI, base_url=paths.env(paths.OPENAI_BASE_URL),
                          organization=paths.env(paths.OPENAI_ORG_ID), project=paths.env(paths.OPENAI_PROJECT_ID))
        return cls._from_environment(account, secret, account.base_url)

    @classmethod
    def _from_environment(cls, account: Account, secret: str, where: str | None) -> OpenAIProvider:
        """The key is never stored; ``credentials_tag`` (a one-way fingerprint of key and address) goes on the
        jobs it launches, so that another key in the environment later is never taken for the one they ran
        under."""
        provider = cls(account=account, secret=secret)
        provider.account_id = None  # no saved account: jobs record None, and are reopened through this method
        provider.credentials_tag = "environment:" + openai_sdk.key_fingerprint(secret, where)
        return provider

    @property
    def create_in_flight_seconds(self) -> float:
        return self.create_timeout + self.in_flight_margin

    @property
    def client(self):
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self, **options):
        return openai_sdk.openai_client(self.account, self._secret, **options)

    def _address(self) -> str:
        """Where the account's requests go, as "Test connection" names it."""
        return (self.account.base_url if self.account else None) or "https://api.openai.com/v1"

    def _to_job(self, remote, job: Job | None) -> Job:
        """The service's job object as the app's (Azure adds its own reading of failures)."""
        return mapping.to_job(remote, job, self)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # SDK errors become the app's; anything else is a bug and propagates
            if type(exc).__module__.startswith("openai"):
                raise openai_sdk.translate(exc, self.label) from None
            raise

    # -- account and models -------------------------------------------------------------------------
    def check_account(self, *, timeout: float = CHECK_SECONDS) -> str:
        """"Test connection": list the models, once (one retry), within ``timeout`` seconds."""
        models = self._checked(lambda client: list(client.models.list()), timeout)
        tunable = mapping.base_models(models)
        return f"Connected to {self.label}: {len(models)} models visible, {len(tunable)} can be fine-tuned."

    def _checked(self, call, timeout: float):
        """``call(client)`` on a client of its own (closed after), its failure in words that name the address."""
        client = self._new_client(max_retries=1, timeout=timeout)
        try:
            return call(client)
        except Exception as exc:  # noqa: BLE001 - every failure of a connection test is a sentence
            raise self._account_error(exc) from None
        finally:
            client.close()

    def _account_error(self, exc: Exception):
        """A failed connection test: an address that cannot be reached or is not this service says which field
        of the account to check; anything else is the SDK's error in words."""
        import openai

        where = self._address()
        if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
            return NetworkError(f"Could not reach {self.label} at {where}.",
                                hint=f"Check the internet connection and the account's {self.address_field}.")
        if isinstance(exc, openai.NotFoundError):
            return NetworkError(f"{where} answered, but not as {self.label} (HTTP 404: {openai_sdk.api_message(exc)}).",
                                hint=f"Check the account's {self.address_field}. {self.address_hint}")
        return openai_sdk.translate(exc, self.label)

    def list_base_models(self) -> list[BaseModelInfo]:
        return mapping.base_models(self._call(lambda: list(self.client.models.list())))

    # -- launch -------------------------------------------------------------------------------------
    def prepare_data(self, config: TrainingConfig, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> DataRefs:
        """Validate and convert the data as the data page set it up (``prepare_for``: format, column mapping,
        dedupe, drop invalid, split, seed), upload it (resumably), and wait until the service has processed it.
        The summary's cost is ``training_cost`` of the training share: the figure the review page shows."""
        folder = staging_dir()
        try:  # the converted copy is not kept: a retry converts again, to the same bytes, and resumes by content
            prepared, refs = self._upload(config, folder, progress, cancel)
        finally:
            discard(folder)
        for role, file_id in refs.items():
            self._call(openai_upload.wait_until_processed, self.client, file_id, f"the {role} file",
                       cancel=cancel, poll_seconds=self.poll_seconds)
        return DataRefs(training=refs["training"], validation=refs.get("validation"),
                        summary=self._summary(config, prepared))

    def _summary(self, config: TrainingConfig, prepared) -> dict:
        from backend.data.cost import training_cost

        stats = prepared.report.stats
        cost = training_cost(stats, training_examples=prepared.train_examples,
                             epochs=config.hyperparameters.n_epochs, profile=self.data,
                             model=mapping.base_of(config.base_model))
        summary = DataSummary(source=config.training_file, training_examples=prepared.train_examples,
                              validation_examples=prepared.validation_examples,
                              dropped_duplicates=prepared.dropped.get("duplicates"),
                              dropped_invalid=prepared.dropped.get("invalid"),
                              tokens=cost.tokens_per_epoch, longest_tokens=stats.tokens.max, cost=cost)
        return summary.model_dump(mode="json", exclude_none=True)

    def _upload(self, config: TrainingConfig, folder, progress: ProgressFn | None, cancel: CancelToken | None):
        from backend.data.prepare import prepare_for
        from backend.accounts import hub_dataset_token

        prepared = prepare_for(config, self.data, folder, model=mapping.base_of(config.base_model),
                               progress=progress, cancel=cancel, hub_token=hub_dataset_token)
        if prepared.report.method != config.method:
            raise InvalidInput(f"{config.training_file} holds {prepared.report.method} examples, but the method is "
                               f"{config.method}.", hint="Choose the matching method on the model page.")
        refs = {}
        for role, path in (("training", prepared.train_path), ("validation", prepared.validation_path)):
            if path is None:
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            refs[role] = self._call(openai_upload.upload_file, self.client, path, progress=progress, cancel=cancel,
                                    simple_limit=self.simple_upload_limit, part_size=self.part_size,
                                    pause=self.retry_pause)
        return prepared, refs

    def job_request(self, config: TrainingConfig, data: DataRefs, job: Job) -> dict:
        """The body of the create call, as it will be sent (shown on the review page)."""
        hyper = {k: v for k, v in config.hyperparameters.model_dump().items() if v is not None}
        if config.method != "dpo":
            hyper.pop("beta", None)
        request = {"model": config.base_model, "training_file": data.training,
                   "method": {"type": config.method, config.method: {"hyperparameters": hyper}},
                   "metadata": {**config.metadata, **job.metadata}}
        for name, value in (("validation_file", data.validation), ("suffix", config.suffix), ("seed", config.seed)):
            if value is not None and value != "":
                request[name] = value
        return request

    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job:
        import openai

        if config.method == "reinforcement":
            raise InvalidInput("Reinforcement fine-tuning is not available in Fine-Tune Studio.",
                               hint="Use supervised or DPO.")
        request = self.job_request(config, data, job)
        # No blind retries (see the module docstring), and a timeout of its own: ``create_in_flight_seconds``.
        once = self.client.with_options(max_retries=0, timeout=self.create_timeout)
        last: Exception | None = None
        for attempt in range(CREATE_ATTEMPTS):
            try:
                body = dict(request)
                # Fields the SDK has no argument for (Azure's ``trainingType``) travel in the body as they are.
                extra = {name: body.pop(name) for name in self.body_extensions if name in body}
                remote = once.fine_tuning.jobs.create(**body, extra_body=extra or None)
                return self._to_job(remote, job)
            except openai.APIError as exc:
                if openai_sdk.outcome_unknown(exc):  # the job may exist: never send it again from here
                    raise Unconfirmed(f"{openai_sdk.lost_answer(exc, self.label)}, so whether it created the job "
                                      "is not known") from None
                if self.kind is ProviderKind.OPENAI and openai_sdk.is_fine_tuning_closed(exc):
                    raise openai_sdk.FineTuningClosed(openai_sdk.api_message(exc)) from None  # the wind-down
                if not (isinstance(exc, openai.RateLimitError) or openai_sdk.never_sent(exc)):
                    raise openai_sdk.translate(exc, self.label) from None
                last = exc  # refused before anything was created, or never sent: safe to repeat
            time.sleep(self.retry_pause * (attempt + 1))
        raise openai_sdk.translate(last, self.label)

    def find_launched(self, key: str) -> list[Job]:
        """Every remote job created by the launch with this key (our metadata marks it), oldest first.

        One request without the SDK's retries: the callers (a launch confirming itself, the monitor)
        ask again on their own schedule."""
        once = self.client.with_options(max_retries=0)

        def search() -> list:
            found = []
            for count, remote in enumerate(once.fine_tuning.jobs.list(metadata={LAUNCH_KEY: key}, limit=50)):
                if count >= RECONCILE_SCAN:
                    break
                if (remote.metadata or {}).get(LAUNCH_KEY) == key:  # also where a service ignores the filter
                    found.append(remote)
            return found

        return [self._to_job(remote, None) for remote in reversed(self._call(search))]

    # -- reading jobs -------------------------------------------------------------------------------
    def get_job(self, job: Job) -> Job:
        remote = self._call(self.client.fine_tuning.jobs.retrieve, job.remote_id)
        updated = self._to_job(remote, job)
        if updated.status.is_active:
            latest = self._call(self.client.fine_tuning.jobs.list_events, job.remote_id, limit=20).data
            for event in latest:
                if event.type == "metrics" and isinstance(event.data, dict) and "step" in event.data:
                    updated = updated.model_copy(update={"step": int(event.data["step"]),
                                                         "total_steps": event.data.get("total_steps")})
                    break
        return updated

    def list_jobs(self) -> Iterator[Job]:
        pages = self._call(self.client.fine_tuning.jobs.list, limit=50)
        try:
            for remote in pages:  # further pages are fetched while iterating
                yield self._to_job(remote, None)
        except Exception as exc:
            if type(exc).__module__.startswith("openai"):
                raise openai_sdk.translate(exc, self.label) from None
            raise

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        """Events newer than ``after``, oldest first. The API lists newest first, so read until ``after``."""
        newer = []
        for remote in self._call(self.client.fine_tuning.jobs.list_events, job.remote_id, limit=100):
            if remote.id == after:
                break
            newer.append(mapping.to_event(remote))
        return newer[::-1]

    def metrics(self, job: Job) -> list[MetricPoint]:
        from_events = [p for e in self.list_events(job) if (p := mapping.metric_from_event(e)) is not None]
        remote = self._call(self.client.fine_tuning.jobs.retrieve, job.remote_id)
        from_file: list[MetricPoint] = []
        for file_id in remote.result_files or []:
            content = self._call(self.client.files.content, file_id).read()
            from_file += mapping.metrics_from_result_file(content)
        return mapping.merge_metrics(from_events, from_file)

    def list_checkpoints(self, job: Job) -> list[Checkpoint]:
        found = self._call(lambda: list(self.client.fine_tuning.jobs.checkpoints.list(job.remote_id, limit=100)))
        return sorted((mapping.to_checkpoint(c) for c in found), key=lambda c: c.step)

    def cancel(self, job: Job) -> Job:
        return mapping.to_job(self._call(self.client.fine_tuning.jobs.cancel, job.remote_id), job, self)

    def pause(self, job: Job) -> Job:
        return mapping.to_job(self._call(self.client.fine_tuning.jobs.pause, job.remote_id), job, self)

    def resume(self, job: Job) -> Job:
        return mapping.to_job(self._call(self.client.fine_tuning.jobs.resume, job.remote_id), job, self)

    def delete_model(self, model: str) -> None:
        """``DELETE /models/{model}``: only a fine-tuned model of the account's organisation (its Owner role)."""
        deleted = self._call(self.client.models.delete, model)
        if not deleted.deleted:
            raise Refused(f"{self.label} did not delete the model {model}.")

    # -- chat ---------------------------------------------------------------------------------------
    def chat_models(self) -> list[BaseModelInfo]:
        """The account's models, its fine-tuned ones marked (``ListsChatModels``)."""
        return self.list_base_models()

    def warm_up(self) -> None:
        """Builds the client and its chat resource (SDK imports, TLS setup) before the first reply (``WarmsUp``)."""
        _ = self.client.chat.completions  # built on first access

    def complete(self, model: str, messages: list[ChatMessage], params: ChatParams, *,
                 tools: list[dict] | None = None) -> Completion:
        """One whole reply and its ``usage`` as reported; sent once (the evaluation paces its own retries)."""
        import openai

        options = streaming.options(params)
        if tools:
            options["tools"] = tools
        if self._sent_once is None:  # one copy without retries, not one per request (it is copied deeply)
            self._sent_once = self.client.with_options(max_retries=0)
        try:
            answer = self._sent_once.chat.completions.create(model=model, messages=[m.model_dump() for m in messages],
                                                  **options)
        except openai.RateLimitError as exc:
            error = openai_sdk.translate(exc, self.label)
            error.retry_after = openai_sdk.retry_after(exc)
            raise error from None
        except openai.APIError as exc:
            raise openai_sdk.translate(exc, self.label) from None
        message = answer.choices[0].message if answer.choices else None
        calls = [{"name": c.function.name, "arguments": c.function.arguments}
                 for c in (message.tool_calls or []) if c.type == "function"] if message else []
        usage = answer.usage
        return Completion(text=(message.content or "") if message else "", tool_calls=calls or None,
                          prompt_tokens=usage.prompt_tokens if usage else None,
                          completion_tokens=usage.completion_tokens if usage else None)

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        options = streaming.options(params)
        stream = self._call(self.client.chat.completions.create, model=model, stream=True,
                            messages=[m.model_dump(include={"role", "content"}) for m in messages], **options)
        try:
            yield from streaming.deltas(stream, cancel)
        except Exception as exc:
            if type(exc).__module__.startswith("openai") or "httpx" in type(exc).__module__:
                raise openai_sdk.translate(exc, self.label) from None
            raise
        finally:
            stream.close()
