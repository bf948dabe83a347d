"""OpenAIProvider through the real SDK against the fake service."""

from __future__ import annotations

import pytest

from backend.cancel import CancelToken
from backend.errors import Cancelled, CredentialsError, InvalidInput
from backend.launch import launch
from backend.models import ChatMessage, ChatParams, JobStatus, TrainingConfig, ProviderKind


def config(path, **kw) -> TrainingConfig:
    return TrainingConfig(provider=ProviderKind.OPENAI, base_model=kw.pop("model", "gpt-4o-mini-2024-07-18"),
                          training_file=str(path), **kw)


def test_base_models_include_own_models_and_shutdown_dates(provider, fake_openai, chat_file, store):
    models = {m.id: m for m in provider.list_base_models()}
    assert models["gpt-4o-mini-2024-07-18"].context_length == 65536
    assert models["gpt-3.5-turbo-0125"].shutdown_date == "2026-12-15"
    assert "whisper-1" not in models
    job = launch(config(chat_file, suffix="mine"), store=store, provider=provider)
    fake_openai.finish(job.remote_id)
    mine = [m for m in provider.list_base_models() if m.fine_tuned]
    assert [m.id for m in mine] == [provider.get_job(job).fine_tuned_model]
    assert mine[0].methods == ("supervised", "dpo")
    assert "Connected to OpenAI" in provider.check_account()


def test_a_job_from_launch_to_model_with_metrics_and_chat(provider, fake_openai, chat_file, store):
    progress = []
    job = launch(config(chat_file, validation_split=0.25, suffix="demo", seed=7), store=store,
                 provider=provider, progress=progress.append)
    assert progress and progress[-1].fraction == 1.0
    assert job.status is JobStatus.VALIDATING_FILES and store.get_job(job.id).remote_id == job.remote_id
    sent = fake_openai.jobs()[0]
    assert sent["validation_file"] and sent["seed"] == 7 and sent["metadata"]["fts_launch"]
    assert job.data_summary["training_examples"] == 12 and job.data_summary["validation_examples"] == 4
    fake_openai.advance(job.remote_id, times=3)
    running = provider.get_job(job)
    assert running.status is JobStatus.RUNNING and running.step == 3 and running.total_steps == 6
    first = provider.list_events(job)
    fake_openai.advance(job.remote_id, times=1)
    newer = provider.list_events(job, after=first[-1].id)
    assert newer and {e.id for e in newer}.isdisjoint({e.id for e in first})
    assert "successfully completed" in newer[-1].message
    done = provider.get_job(job)
    assert done.status is JobStatus.SUCCEEDED and done.fine_tuned_model.startswith("ft:gpt-4o-mini")
    points = provider.metrics(done)
    assert [p.step for p in points] == [1, 2, 3, 4, 5, 6]
    assert all(p.valid_loss is not None and p.train_accuracy is not None for p in points)
    checkpoints = provider.list_checkpoints(done)
    assert [c.step for c in checkpoints] == [2, 4] and checkpoints[0].model.endswith("ckpt-step-2")
    fake_openai.set_reply("Four, of course.", chunks=3)
    reply = "".join(provider.chat_stream(done.fine_tuned_model, [ChatMessage(role="user", content="2+2?")],
                                         ChatParams(temperature=0.2)))
    assert reply == "Four, of course."


def test_pause_resume_cancel_and_import(provider, fake_openai, chat_file, store):
    job = launch(config(chat_file), store=store, provider=provider)
    fake_openai.advance(job.remote_id, times=2)
    paused = provider.pause(job)
    assert paused.status is JobStatus.PAUSED and paused.status_raw == "paused"
    assert provider.resume(paused).status is JobStatus.RUNNING
    assert provider.cancel(job).status is JobStatus.CANCELLED
    with pytest.raises(InvalidInput, match="Cannot pause"):
        provider.pause(job)
    imported = list(provider.list_jobs())
    assert [j.remote_id for j in imported] == [job.remote_id] and imported[0].config["imported"]


def test_dpo_through_the_whole_flow(provider, fake_openai, dpo_file, store):
    cfg = config(dpo_file, method="dpo")
    cfg.hyperparameters.beta = 0.2
    job = launch(cfg, store=store, provider=provider)
    sent = fake_openai.jobs()[0]
    assert sent["method"]["type"] == "dpo" and sent["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
    uploaded = fake_openai.state.file_bytes[sent["training_file"]]
    assert b"preferred_output" in uploaded and b"non_preferred_output" in uploaded
    assert provider.get_job(job).method == "dpo"
    with pytest.raises(InvalidInput, match="method is supervised"):
        launch(config(dpo_file), store=store, provider=provider)


def test_processing_error_in_plain_words(provider, fake_openai, chat_file, store):
    fake_openai.fail_next_file("Invalid file format. Line 3: messages must end with an assistant message.")
    with pytest.raises(InvalidInput, match="could not process the training file: Invalid file format. Line 3"):
        launch(config(chat_file), store=store, provider=provider)
    assert store.list_jobs() == [] and fake_openai.jobs() == []


def test_wrong_key_and_cancel(fake_openai, account, chat_file, store, provider):
    from backend.providers.openai import OpenAIProvider

    with pytest.raises(CredentialsError):  # the sentence comes from backend.clients once it exists
        OpenAIProvider(account=account, secret="sk-wrong").check_account()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        launch(config(chat_file), store=store, provider=provider, cancel=token)
    assert fake_openai.jobs() == [] and store.list_jobs() == []


def test_chat_stream_stops_when_cancelled(provider, fake_openai):
    fake_openai.set_reply("one two three four five six seven eight", chunks=8)
    fake_openai.state.stream_delay = 0.05
    token = CancelToken()
    received = []
    for delta in provider.chat_stream("gpt-4o-mini-2024-07-18", [ChatMessage(role="user", content="count")],
                                      ChatParams(max_tokens=20), cancel=token):
        received.append(delta)
        token.cancel()
    assert len(received) == 1 and received[0].startswith("one")  # the rest was never read
    assert fake_openai.state.chat_requests[-1]["max_tokens"] == 20


def test_every_declared_verb_is_implemented_by_the_class_not_by_the_protocols_stub():
    """The built-in providers declare their optional verbs as bases; a verb declared but not written would
    inherit the Protocol's empty method and answer None, so each method must come from a provider class."""
    from backend import providers
    from backend.providers import base

    for kind in providers.kinds():
        cls = providers.provider_class(kind)
        for verb in (v for v in base.VERBS if issubclass(cls, v)):
            for name in (n for n, value in vars(verb).items() if callable(value) and not n.startswith("_")):
                owner = next(k for k in cls.__mro__ if name in vars(k))
                assert not vars(owner).get("_is_protocol", False), f"{cls.__name__}.{name} ({verb.__name__})"
