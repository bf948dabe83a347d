"""A provider that trains nothing: the proof that a provider is one module plus one registry line.

It is registered only by the ``stand_in`` fixture (tests/fakes/plugin.py), with one
``monkeypatch.setitem(providers.PROVIDERS, STAND_IN, ...)``; nothing under backend/ or ui/ names it. Its jobs
live in ``REMOTE`` (module state, cleared by the fixture): queued when created, running at the first poll,
succeeded with the model ``echo-1:tuned`` at the second. Chat echoes the last user message.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from backend import bounds
from backend.cancel import CancelToken, ProgressFn
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.models import (BaseModelInfo, ChatMessage, ChatParams, DataRefs, Job, JobEvent, JobStatus, ProviderKind,
                            TrainingConfig, utcnow)
from backend.providers.base import AccountNeed, AccountSpec, ModelPage, PollCadence, ProviderBase
from backend.staging import discard, staging_dir

STAND_IN = ProviderKind("stand-in")
TARGET = "tests.fakes.standin_provider:StandInProvider"
MODEL = "echo-1"
#: remote id -> {"status": JobStatus, "polls": int, "model": str, "events": [JobEvent]}
REMOTE: dict[str, dict] = {}
_ids = itertools.count(1)


class StandInProvider(ProviderBase):
    kind = STAND_IN
    label = "Stand-in"
    description = "Trains nothing (tests)."
    account = AccountSpec(AccountNeed.NONE)
    methods = frozenset({"supervised"})
    data = DataProfile("Stand-in", Dialect.OPENAI, 1, False, ContextSource.NONE, TokenizerSource.TIKTOKEN, None)
    model_page = ModelPage.HOSTED
    poll = PollCadence.FREE
    hyperparameter_ranges = {"n_epochs": bounds.Range(1, 3)}

    # Trainer
    def list_base_models(self) -> list[BaseModelInfo]:
        return [BaseModelInfo(id=MODEL, label="Echo 1")]

    def prepare_data(self, config: TrainingConfig, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None) -> DataRefs:
        from backend.data.prepare import prepare_for

        folder = staging_dir()
        try:
            prepared = prepare_for(config, self.data, folder, progress=progress, cancel=cancel)
        except BaseException:
            discard(folder)
            raise
        return DataRefs(training=prepared.train_path, validation=prepared.validation_path, staged=str(folder),
                        summary={"source": config.training_file, "training_examples": prepared.train_examples,
                                 "validation_examples": prepared.validation_examples})

    def create_job(self, config: TrainingConfig, data: DataRefs, job: Job) -> Job:
        remote_id = f"si-{next(_ids)}"
        REMOTE[remote_id] = {"status": JobStatus.QUEUED, "polls": 0, "model": f"{config.base_model}:tuned",
                             "events": [JobEvent(id=f"{remote_id}-1", created_at=utcnow(), message="Queued")]}
        return job.model_copy(update={"remote_id": remote_id, "status": JobStatus.QUEUED,
                                      "base_model": config.base_model})

    def get_job(self, job: Job) -> Job:
        remote = REMOTE[job.remote_id]
        if remote["status"] in (JobStatus.QUEUED, JobStatus.RUNNING):
            remote["polls"] += 1
            remote["status"] = JobStatus.RUNNING if remote["polls"] == 1 else JobStatus.SUCCEEDED
            remote["events"].append(JobEvent(id=f"{job.remote_id}-{len(remote['events']) + 1}", created_at=utcnow(),
                                             message=f"Now {remote['status'].value}"))
        done = remote["status"] is JobStatus.SUCCEEDED
        return job.model_copy(update={"status": remote["status"], "fine_tuned_model": remote["model"] if done else None,
                                      "finished_at": utcnow() if remote["status"].is_terminal else None})

    def list_events(self, job: Job, after: str | None = None) -> list[JobEvent]:
        events = REMOTE[job.remote_id]["events"]
        ids = [e.id for e in events]
        return events[ids.index(after) + 1:] if after in ids else list(events)

    # Cancels
    def cancel(self, job: Job) -> Job:
        REMOTE[job.remote_id]["status"] = JobStatus.CANCELLED
        return job.model_copy(update={"status": JobStatus.CANCELLED, "finished_at": utcnow()})

    # Chats, ListsChatModels
    def chat_models(self) -> list[BaseModelInfo]:
        return [BaseModelInfo(id=MODEL, label="Echo 1")]

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        last = next((m.content for m in reversed(messages) if m.role == "user"), "")
        for piece in ("echo: ", last):
            if cancel is not None and cancel.cancelled:
                return
            yield piece
