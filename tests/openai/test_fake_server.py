"""The fake OpenAI service, spoken to by the real SDK: lifecycle, faults, and the spec checker."""

from __future__ import annotations

import io
import json

import openai
import pytest

from tests.fakes.openai_server import FakeOpenAI

CHAT = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def _upload(client, content=CHAT * 3):
    file = client.files.create(file=("train.jsonl", io.BytesIO(content)), purpose="fine-tune")
    return client.files.wait_for_processing(file.id, poll_interval=0.01)


def test_job_walks_through_its_lifecycle(fake_openai, openai_client):
    file = _upload(openai_client)
    assert file.status == "processed"
    job = openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id,
                                                suffix="demo", metadata={"studio": "k1"})
    assert job.status == "validating_files"
    fake_openai.advance(job.id, times=2)
    assert openai_client.fine_tuning.jobs.retrieve(job.id).status == "running"
    done = fake_openai.finish(job.id)
    assert done["fine_tuned_model"].startswith("ft:gpt-4o-mini-2024-07-18:fake:demo:")
    events = list(openai_client.fine_tuning.jobs.list_events(job.id, limit=3))
    assert any(e.type == "metrics" and e.data["step"] == 6 for e in events)
    assert openai_client.fine_tuning.jobs.checkpoints.list(job.id).data
    models = [m.id for m in openai_client.models.list()]
    assert done["fine_tuned_model"] in models
    csv = openai_client.files.content(done["result_files"][0]).read()
    assert b"step,train_loss" in __import__("base64").b64decode(csv)
    listed = openai_client.fine_tuning.jobs.list(metadata={"studio": "k1"})
    assert [j.id for j in listed.data] == [job.id]
    reply = openai_client.chat.completions.create(model=done["fine_tuned_model"],
                                                  messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in reply if c.choices) == "Hello from the fake model."


def test_the_service_rejects_what_the_real_one_rejects(fake_openai, openai_client):
    file = _upload(openai_client)
    with pytest.raises(openai.BadRequestError, match="not available for fine-tuning"):
        openai_client.fine_tuning.jobs.create(model="gpt-nope", training_file=file.id)
    with pytest.raises(openai.BadRequestError, match="n_epochs"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id,
                                              method={"type": "supervised",
                                                      "supervised": {"hyperparameters": {"n_epochs": 99}}})
    other = openai_client.files.create(file=("b.jsonl", io.BytesIO(CHAT)), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="purpose 'fine-tune'"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=other.id)
    with pytest.raises(openai.BadRequestError, match="invalid training_file"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file="file-nope")
    with pytest.raises(openai.BadRequestError, match="not one of"):
        openai_client.files.create(file=("x.jsonl", io.BytesIO(CHAT)), purpose="bogus")
    with pytest.raises(openai.BadRequestError, match="Invalid file format. Line 1"):
        bad = _upload(openai_client, b"not json\n")
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=bad.id)
    # The checker saw the two requests that break the API description (99 epochs, purpose "bogus").
    assert sorted({v.split(":")[0] for v in fake_openai.violations}) == [
        "POST /files request", "POST /fine_tuning/jobs request"], fake_openai.violations
    fake_openai.violations.clear()


def test_faults_are_retried_by_the_sdk_and_counted(fake_openai, openai_client):
    fake_openai.inject("GET /models", "429", times=1)
    fake_openai.inject("GET /models", "500", times=1)
    assert openai_client.models.list().data
    assert fake_openai.count("GET", "/models") == 3
    fake_openai.inject("GET /models", "drop", times=1)
    assert openai_client.models.list().data
    fake_openai.inject("GET /models", "500", times=5)
    with pytest.raises(openai.InternalServerError):
        openai_client.models.list()


def test_wind_down_refusal_is_a_permission_error(fake_openai, openai_client):
    file = _upload(openai_client)
    fake_openai.refuse_job_creation()
    with pytest.raises(openai.PermissionDeniedError, match="winding down"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id)


def test_azure_routes(fake_openai):
    client = openai.AzureOpenAI(api_key=fake_openai.api_key, azure_endpoint=fake_openai.azure_endpoint,
                                api_version="2025-04-01-preview", max_retries=0)
    assert client.models.list().data
    reply = client.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content == "Hello from the fake model."
    assert client.fine_tuning.jobs.list().data == []


def test_the_checker_catches_a_wrong_response():
    server = FakeOpenAI().start()
    try:
        client = openai.OpenAI(api_key=server.api_key, base_url=server.base_url, max_retries=0)
        server.state.extra_models.append({"id": "broken", "object": "model"})  # no created, no owned_by
        client.models.list()
    finally:
        server.stop()
    assert any("created" in v for v in server.violations), server.violations
    with pytest.raises(AssertionError, match="outside the API description"):
        server.assert_no_violations()
    assert json.dumps(server.violations)


def test_a_slow_answer_times_out_and_is_retried(fake_openai):
    client = openai.OpenAI(api_key=fake_openai.api_key, base_url=fake_openai.base_url, max_retries=1, timeout=0.3)
    fake_openai.inject("GET /models", "slow", times=1, seconds=1.0)
    assert client.models.list().data
    assert fake_openai.count("GET", "/models") == 2
    fake_openai.inject("GET /models", "slow", times=2, seconds=1.0)
    with pytest.raises(openai.APITimeoutError):
        client.models.list()
