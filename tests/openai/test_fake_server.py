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
    other = openai_client.files.create(file=("b.jsonl", io.BytesIO(CHAT)), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="purpose 'fine-tune'"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=other.id)
    with pytest.raises(openai.BadRequestError, match="invalid training_file"):
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file="file-nope")
    with pytest.raises(openai.BadRequestError, match="Invalid file format. Line 1"):
        bad = _upload(openai_client, b"not json\n")
        openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=bad.id)
    # Refusals of requests the description allows are the service's answers, not violations.
    assert fake_openai.violations == [] and fake_openai.refused == []


def test_requests_outside_the_description_are_refused_in_the_services_words(fake_openai, openai_client):
    file = _upload(openai_client)
    with fake_openai.expect_invalid() as refused:
        with pytest.raises(openai.BadRequestError) as caught:
            openai_client.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=file.id,
                                                  method={"type": "supervised",
                                                          "supervised": {"hyperparameters": {"n_epochs": 99}}})
        assert caught.value.code == "integer_above_max_value"
        assert caught.value.param == "method.supervised.hyperparameters.n_epochs"
        assert "Expected a value <= 50, but got 99 instead" in caught.value.message
        with pytest.raises(openai.BadRequestError, match="'bogus' is not one of .* - 'purpose'"):
            openai_client.files.create(file=("x.jsonl", io.BytesIO(CHAT)), purpose="bogus")
    assert fake_openai.jobs() == [] and len(fake_openai.state.files) == 1  # refused before any work
    assert sorted({v.split(":")[0] for v in refused}) == ["POST /files request", "POST /fine_tuning/jobs request"]
    assert fake_openai.violations == []


@pytest.fixture
def bare_server():
    """A fake whose violations the test reads itself (the ``fake_openai`` fixture would fail on them)."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


def test_each_check_catches_its_violation_and_the_fake_refuses_it(bare_server):
    import urllib.error
    import urllib.request

    client = openai.OpenAI(api_key=bare_server.api_key, base_url=bare_server.base_url, max_retries=0)
    file = _upload(client)
    refused: dict[str, openai.APIStatusError] = {}

    def refusal(name, call):
        with pytest.raises(openai.APIStatusError) as caught:
            call()
        refused[name] = caught.value

    # Query parameters: type and enum.
    refusal("query type", lambda: client.fine_tuning.jobs.list(extra_query={"limit": "ten"}))
    refusal("query enum", lambda: client.files.list(extra_query={"order": "sideways"}))
    # Unknown body fields: where the description closes the body, and where only the service does.
    refusal("closed schema", lambda: client.uploads.create(bytes=3, filename="a.jsonl", mime_type="text/jsonl",
                                                           purpose="fine-tune", extra_body={"colour": "red"}))
    refusal("unknown job argument", lambda: client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=file.id, extra_body={"epochs": 3}))
    refusal("unknown chat argument", lambda: client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], extra_body={"top_k": 5}))
    # The security scheme: a bearer key in the Authorization header.
    with pytest.raises(urllib.error.HTTPError) as no_key:
        urllib.request.urlopen(bare_server.base_url + "/models", timeout=10)

    assert {k: (e.status_code, e.code, e.param) for k, e in refused.items()} == {
        "query type": (400, "invalid_type", "limit"), "query enum": (400, "invalid_value", "order"),
        "closed schema": (400, "unknown_parameter", "colour"), "unknown job argument": (400, "unknown_parameter",
                                                                                        "epochs"),
        "unknown chat argument": (400, "unknown_parameter", "top_k")}
    assert refused["unknown chat argument"].body["message"] == "Unknown parameter: 'top_k'."
    assert refused["query type"].body["message"] == ("Invalid type for 'limit': expected an integer, but got a string "
                                             "instead.")
    assert no_key.value.code == 401
    assert "You didn't provide an API key" in json.loads(no_key.value.read())["error"]["message"]
    assert bare_server.jobs() == [] and bare_server.state.uploads == {}  # nothing was done
    assert [v.split(": ", 1)[1] for v in bare_server.violations] == [
        "query limit: 'ten' is not of type 'integer'", "query order: 'sideways' is not one of ['asc', 'desc']",
        "colour: Additional properties are not allowed ('colour' was unexpected)",
        "epochs: unknown parameter 'epochs' (the service refuses arguments it does not know)",
        "top_k: unknown parameter 'top_k' (the service refuses arguments it does not know)",
        "header Authorization: the ApiKeyAuth scheme needs 'Authorization: Bearer <key>'"]
    assert bare_server.refused == []  # none was announced with expect_invalid
    client.close()


def test_required_and_typed_query_and_header_parameters():
    from tests.fakes.openapi_check import SpecChecker

    spec = {"openapi": "3.1.0", "components": {"schemas": {}}, "paths": {"/things": {"get": {
        "responses": {"200": {"description": "OK"}},
        "parameters": [
            {"name": "kind", "in": "query", "required": True, "schema": {"type": "string", "enum": ["a", "b"]}},
            {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
            {"name": "OpenAI-Beta", "in": "header", "required": True,
             "schema": {"type": "string", "enum": ["assistants=v2"]}},
            {"name": "X-Count", "in": "header", "schema": {"type": "integer", "minimum": 1}}]}}}}
    checker = SpecChecker(spec)

    def check(query, headers):
        return checker.check_request("GET", "/things", "", None, query=query, headers=headers)

    assert check([("kind", "a"), ("tags", "1"), ("tags", "2")], {"openai-beta": "assistants=v2", "X-Count": "3"}) == []
    assert check([], {}) == ["GET /things request: query kind: required query parameter is missing",
                             "GET /things request: header OpenAI-Beta: required header parameter is missing"]
    assert check([("kind", "c"), ("tags", "x")], {"OpenAI-Beta": "v1", "X-Count": "0"}) == [
        "GET /things request: query kind: 'c' is not one of ['a', 'b']",
        "GET /things request: query tags[0]: 'x' is not of type 'integer'",
        "GET /things request: header OpenAI-Beta: 'v1' is not one of ['assistants=v2']",
        "GET /things request: header X-Count: 0 is less than the minimum of 1"]


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
