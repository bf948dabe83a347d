"""The provider contract: facts on the classes, optional verbs as Protocols, one registry line per provider.

The stand-in provider (tests/fakes/standin_provider.py) is registered only by its fixture's one line, and from
there it is a kind like any other: listed, labelled, opened, launched."""

from __future__ import annotations

import json
import pickle

import pytest
from pydantic import ValidationError

from backend import bounds, providers
from backend.bounds import refusal
from backend.chat import Conversation, open_conversation
from backend.errors import CredentialsError, InvalidInput
from backend.models import (Account, AccountKind, ChatParams, DataSummary, Job, JobStatus, ModelRef, ProviderKind,
                            TrainingConfig)
from backend.providers import base
from backend.providers.base import (LAUNCH_KEY, AccountNeed, Cancels, Chats, ChecksAccount, DeletesModels, Exports,
                                    FindsLaunch, ListsChatModels, ListsJobs, ModelPage, Pauses, PollCadence,
                                    PreviewsRequest, ProviderBase, Resumes, StopsAndSaves, Trainer)
from backend.store import JobStore
from tests.fakes.standin_provider import STAND_IN, StandInProvider

BUILT_IN = [ProviderKind.OPENAI, ProviderKind.AZURE, ProviderKind.HF_LOCAL, ProviderKind.HF_INFERENCE,
            ProviderKind.HF_ENDPOINTS, ProviderKind.OLLAMA, ProviderKind.HF_JOBS]


# -- kinds -------------------------------------------------------------------------------------------------
def test_a_kind_is_an_interned_string_that_pydantic_reads_and_writes_as_one():
    assert ProviderKind("openai") is ProviderKind.OPENAI and ProviderKind.OPENAI == "openai"
    assert ProviderKind.OPENAI.value == "openai" and ProviderKind(ProviderKind.AZURE) is ProviderKind.AZURE
    assert pickle.loads(pickle.dumps(ProviderKind.HF_LOCAL)) is ProviderKind.HF_LOCAL
    job = Job(provider="azure")
    assert job.provider is ProviderKind.AZURE
    assert json.loads(job.model_dump_json())["provider"] == "azure"
    assert Job.model_validate_json(job.model_dump_json()).provider is ProviderKind.AZURE
    assert job.model_copy(deep=True).provider is ProviderKind.AZURE
    for bad in ("", "  ", 3):
        with pytest.raises(ValidationError):
            Job(provider=bad)


def test_a_job_of_a_kind_no_provider_has_loads_reads_as_its_value_and_offers_nothing():
    store = JobStore()
    store.save_job(Job(id="later", provider="hf-autotrain", status=JobStatus.RUNNING))
    [job] = store.list_jobs(provider=ProviderKind("hf-autotrain"))
    assert job.provider is ProviderKind("hf-autotrain")
    assert providers.label(job.provider) == "hf-autotrain" and providers.account_spec(job.provider) is None
    assert not providers.has(job.provider, Cancels) and job.provider not in providers.kinds()
    with pytest.raises(InvalidInput, match="hf-autotrain is not available in this version"):
        providers.open_provider(job.provider)


def test_hub_chat_has_its_own_kind_and_old_conversations_still_open(tmp_path):
    assert ModelRef(provider="hf-jobs", model="org/m", kind="hub").provider is ProviderKind.HF_INFERENCE
    assert ModelRef(provider="hf-jobs", model="org/m").provider is ProviderKind.HF_JOBS  # only Hub refs moved
    assert ModelRef(provider=None, model="").key == (None, None, "")
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps({"id": "c1", "title": "Old", "panes": [
        {"model": {"provider": "hf-jobs", "account_id": "hf1", "model": "org/m", "kind": "hub"}, "turns": []},
        {"model": {"provider": "openai", "model": "gpt-4o-mini"}, "turns": []}]}), encoding="utf-8")
    conversation = open_conversation(saved)
    assert isinstance(conversation, Conversation)
    assert [p.model.provider for p in conversation.panes] == [ProviderKind.HF_INFERENCE, ProviderKind.OPENAI]
    # hf-jobs is the cloud trainer now: it chats only with what its runs pushed (loaded here), named by its job refs
    assert providers.has(ProviderKind.HF_JOBS, Chats) and not providers.provider_class(ProviderKind.HF_JOBS).model_id_prompt


# -- facts and verbs ---------------------------------------------------------------------------------------
def test_the_registry_names_a_class_for_each_built_in_kind_and_reads_facts_from_it():
    assert providers.kinds() == BUILT_IN and providers.DEFAULT_KIND is ProviderKind.OPENAI
    for kind in BUILT_IN:
        cls = providers.provider_class(kind)
        assert issubclass(cls, ProviderBase) and cls.kind is kind and cls.label and providers.label(kind) == cls.label
    facts = {k: (c.account.need, c.account.kind, c.model_page, c.poll, c.data and (c.data.dialect.value,
                 c.data.min_examples, c.data.plain_text, c.data.price_table))
             for k in BUILT_IN for c in [providers.provider_class(k)]}
    assert facts == {
        ProviderKind.OPENAI: (AccountNeed.REQUIRED, AccountKind.OPENAI, ModelPage.HOSTED, PollCadence.REMOTE,
                              ("openai", 10, False, "openai")),
        ProviderKind.AZURE: (AccountNeed.REQUIRED, AccountKind.AZURE, ModelPage.HOSTED, PollCadence.REMOTE,
                             ("openai", 10, False, "azure")),
        ProviderKind.HF_LOCAL: (AccountNeed.OPTIONAL, AccountKind.HUGGINGFACE, ModelPage.LOCAL, PollCadence.FREE,
                                ("trl", 1, True, None)),
        ProviderKind.HF_INFERENCE: (AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, None, PollCadence.REMOTE, None),
        ProviderKind.HF_ENDPOINTS: (AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, None, PollCadence.REMOTE, None),
        ProviderKind.OLLAMA: (AccountNeed.NONE, None, None, PollCadence.REMOTE, None),
        ProviderKind.HF_JOBS: (AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, ModelPage.LOCAL, PollCadence.FREE,
                               ("trl", 1, True, None)),
    }


def test_optional_verbs_are_protocols_decided_from_the_class_and_checked_on_the_instance():
    def verbs(kind):
        cls = providers.provider_class(kind)
        return {v.__name__ for v in base.VERBS if issubclass(cls, v)}

    hosted = {"Trainer", "ChecksAccount", "Metrics", "Checkpoints", "ListsJobs", "FindsLaunch", "Cancels", "Pauses",
              "Resumes", "DeletesModels", "PreviewsRequest", "Chats", "Completes", "ListsChatModels",
              "WarmsUp", "FromEnvironment"}
    assert verbs(ProviderKind.OPENAI) == hosted and verbs(ProviderKind.AZURE) == hosted | {"Deploys"}
    assert verbs(ProviderKind.HF_LOCAL) == {"Trainer", "ChecksAccount", "Metrics", "Checkpoints", "ListsJobs",
                                            "Cancels", "Resumes", "StopsAndSaves", "Exports", "Chats", "CompletesBatch",
                                            "LoadsModel",
                                            "JobModels"}
    assert verbs(ProviderKind.HF_INFERENCE) == {"Chats", "ChecksAccount", "ListsChatModels", "WarmsUp"}
    local = providers.open_provider(ProviderKind.HF_LOCAL)  # optional account: no keyring, no network
    assert isinstance(local, StopsAndSaves) and isinstance(local, Exports) and not isinstance(local, Pauses)
    assert not isinstance(local, PreviewsRequest) and not isinstance(local, DeletesModels)
    assert providers.has(ProviderKind.OPENAI, FindsLaunch) and not providers.has(ProviderKind.HF_LOCAL, FindsLaunch)
    assert providers.kinds(having=Trainer) == BUILT_IN[:3] + [ProviderKind.HF_JOBS]
    assert verbs(ProviderKind.HF_JOBS) == {"Trainer", "ChecksAccount", "Metrics", "Checkpoints", "ListsJobs",
                                           "FindsLaunch", "Cancels", "StopsAndSaves", "Resumes", "JobModels",
                                           "LoadsModel", "Chats", "Exports", "StatesFacts"}
    assert providers.kinds(model_page=ModelPage.LOCAL) == [ProviderKind.HF_LOCAL, ProviderKind.HF_JOBS]


def test_the_request_preview_is_the_create_request_with_placeholders_or_none():
    openai = providers.provider_class(ProviderKind.OPENAI)(Account(name="a", kind=AccountKind.OPENAI), "sk-x")
    config = TrainingConfig(provider="openai", base_model="gpt-4o-mini-2024-07-18", training_file="t.jsonl",
                            validation_split=0.1)
    request = base.request_preview(openai, config)
    assert request["metadata"] == {LAUNCH_KEY: "<set at launch>"} and request["model"] == config.base_model
    assert request["training_file"].startswith("<") and request["validation_file"].startswith("<")
    assert base.request_preview(providers.open_provider(ProviderKind.HF_LOCAL), config) is None


def test_the_launch_search_scans_recent_jobs_where_the_provider_cannot_search_by_key():
    class Lister:
        def list_jobs(self):
            yield Job(provider="openai", remote_id="r2", metadata={LAUNCH_KEY: "other"})
            yield Job(id="mine", provider="openai", remote_id="r1")
            yield Job(provider="openai", remote_id="r0", metadata={LAUNCH_KEY: "k"})

    assert isinstance(Lister(), ListsJobs) and not isinstance(Lister(), FindsLaunch)
    found = base.launched_jobs(Lister(), Job(id="mine", provider="openai", metadata={LAUNCH_KEY: "k"}))
    assert [j.remote_id for j in found] == ["r1", "r0"]
    assert base.launched_jobs(object(), Job(provider="openai")) == []  # neither: nothing can be found


def test_accounts_models_and_folders_map_to_kinds(tmp_path):
    assert providers.for_account_kind(AccountKind.OPENAI) is ProviderKind.OPENAI
    assert providers.for_account_kind(AccountKind.AZURE) is ProviderKind.AZURE
    assert providers.for_account_kind(AccountKind.HUGGINGFACE) is ProviderKind.HF_LOCAL
    assert providers.local_runner() is ProviderKind.HF_LOCAL
    assert [providers.infer_kind(m) for m in ("gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini:org::abc", "o3-mini",
                                              "gpt-35-turbo-0125", "gpt-4o-mini.ft-0123abcd", "Qwen/Qwen2.5-0.5B",
                                              str(tmp_path), "llama", None)] == \
        ["openai", "openai", "openai", "azure", "azure", "hf-local", "hf-local", None, None]


def test_opening_follows_the_account_spec(monkeypatch):
    with pytest.raises(CredentialsError, match="^OpenAI needs an account"):
        providers.open_provider(ProviderKind.OPENAI)
    with pytest.raises(CredentialsError, match="Inference Providers, which need a token"):
        providers.open_provider(ProviderKind.HF_INFERENCE)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    opened = providers.open_provider(ProviderKind.OPENAI)
    assert opened.account_id is None and opened.credentials_tag.startswith("environment:")


# -- hyperparameter ranges ---------------------------------------------------------------------------------
def test_ranges_live_on_the_classes_and_training_config_holds_a_config_to_them():
    for kind in BUILT_IN[:3]:
        cls = providers.provider_class(kind)
        assert providers.hyperparameter_ranges(kind) == (cls.ranges_named or cls.label, cls.hyperparameter_ranges)
    assert not hasattr(bounds, "PROVIDERS")  # the classes are the one map from a kind to its ranges
    with pytest.raises(ValidationError) as caught:
        providers.training_config(provider="openai", base_model="m", training_file="t.jsonl",
                                  hyperparameters={"n_epochs": 51})
    assert str(refusal(caught.value)) == "Epochs 51 is out of range: OpenAI allows 1 to 50."
    with pytest.raises(ValidationError) as caught:
        providers.training_config(provider="hf-local", base_model="m", training_file="t.jsonl",
                                  hyperparameters={"n_epochs": 101})
    assert "Training on this computer allows 1 to 100" in str(refusal(caught.value))
    assert providers.training_config(provider="hf-local", base_model="m", training_file="t.jsonl",
                                     hyperparameters={"n_epochs": 80}).hyperparameters.n_epochs == 80


# -- the stand-in --------------------------------------------------------------------------------------------
def test_the_stand_in_is_one_registry_line_away(stand_in):
    assert stand_in is StandInProvider and providers.kinds()[-1] is STAND_IN
    assert providers.label("stand-in") == "Stand-in"
    for verb in (Trainer, Cancels, Chats, ListsChatModels):
        assert STAND_IN in providers.kinds(having=verb)
    for verb in (PreviewsRequest, Pauses, Resumes, ChecksAccount):
        assert STAND_IN not in providers.kinds(having=verb)
    assert STAND_IN in providers.kinds(model_page=ModelPage.HOSTED)
    opened = providers.open_provider("stand-in", "an-account-it-ignores")  # needs none: the keyring is not read
    assert isinstance(opened, StandInProvider) and opened.account is None
    assert [m.id for m in opened.chat_models()] == ["echo-1"]
    reply = "".join(opened.chat_stream("echo-1", [_user("hello")], ChatParams()))
    assert reply == "echo: hello"
    with pytest.raises(ValidationError) as caught:  # its own ranges, named by its label
        providers.training_config(provider="stand-in", base_model="echo-1", training_file="t.jsonl",
                                  hyperparameters={"n_epochs": 4})
    assert str(refusal(caught.value)) == "Epochs 4 is out of range: Stand-in allows 1 to 3."


def test_the_stand_in_launches_and_finishes_through_the_registry(stand_in, tmp_path):
    from backend.launch import launch
    from tests.data.conftest import chats

    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in chats(5)), encoding="utf-8")
    store = JobStore()
    config = providers.training_config(provider="stand-in", base_model="echo-1", training_file=str(data),
                                       validation_split=0.2)
    job = launch(config, store=store)
    assert job.provider is STAND_IN and job.status is JobStatus.QUEUED and job.remote_id.startswith("si-")
    summary = DataSummary.model_validate(job.data_summary)
    assert (summary.training_examples, summary.validation_examples) == (4, 1)
    provider = providers.open_provider(job.provider)
    assert provider.get_job(job).status is JobStatus.RUNNING
    done = provider.get_job(job)
    assert done.status is JobStatus.SUCCEEDED and done.fine_tuned_model == "echo-1:tuned"
    assert [e.message for e in provider.list_events(job)][-1] == "Now succeeded"


def test_without_its_fixture_the_stand_in_is_unknown():
    assert STAND_IN not in providers.kinds() and providers.label(STAND_IN) == "stand-in"


def _user(text):
    from backend.models import ChatMessage

    return ChatMessage(role="user", content=text)
