"""Deploy, list, probe, chat through the catalog and delete, against the fakes of both Azure planes."""

from __future__ import annotations

import pytest

from backend import deployments
from backend.chat_catalog import build_catalog
from backend.errors import CredentialsError, InvalidInput, Refused, StudioError
from backend.store import JobStore
from tests.azure.conftest import FT_MODEL


def test_developer_deployment_from_deploy_to_delete(azure_account, fake_mgmt, fake_openai):
    manager = deployments.manager(azure_account)
    seen = []
    info = manager.deploy(FT_MODEL, "ft-dev", "DeveloperTier", 50, progress=seen.append)
    assert info.state == "Succeeded" and info.type_label == "Developer"
    assert info.expires is not None and (info.expires - info.created).total_seconds() == 24 * 3600
    assert any("Azure says" in p.message for p in seen)
    [put] = [body for body in fake_mgmt.requests if body[0] == "PUT"]
    assert put[1].endswith("/deployments/ft-dev")
    # Succeeded, not yet probed: not in the playground
    [view] = manager.list()
    assert view.status == "Succeeded, not probed"
    assert not any(ref.model == "ft-dev" for ref in build_catalog(JobStore()).models)
    assert manager.probe("ft-dev") is True
    assert manager.list()[0].status == "Ready"
    [ref] = [r for r in build_catalog(JobStore()).models if r.model == "ft-dev"]
    assert ref.account_id == azure_account.id and "deployment of" in ref.label
    assert fake_openai.state.chat_requests[-1]["max_tokens"] == 1
    manager.delete("ft-dev")
    assert fake_mgmt.deployments == {} and manager.list() == []
    assert not any(r.model == "ft-dev" for r in build_catalog(JobStore()).models)


def test_a_second_click_adopts_the_deployment_instead_of_creating_another(azure_account, fake_mgmt):
    manager = deployments.manager(azure_account)
    manager.deploy(FT_MODEL, "ft-std", "Standard", 1)
    manager.deploy(FT_MODEL, "ft-std", "Standard", 1)
    assert [m for m, _ in fake_mgmt.requests].count("PUT") == 1
    with pytest.raises(InvalidInput, match="already has a deployment named “ft-std”"):
        fake_mgmt.models.add("gpt-4o-2024-08-06.ft-other")
        manager.deploy("gpt-4o-2024-08-06.ft-other", "ft-std", "Standard", 1)


def test_a_lost_answer_is_looked_up_before_anything_is_sent_again(azure_account, fake_mgmt):
    fake_mgmt.lose_answer.add("PUT ft-lost")
    info = deployments.manager(azure_account).deploy(FT_MODEL, "ft-lost", "GlobalStandard", 1)
    assert info.name == "ft-lost" and len(fake_mgmt.deployments) == 1


def test_a_failed_deployment_is_a_sentence(azure_account, fake_mgmt):
    fake_mgmt.fail["ft-bad"] = ("QuotaExceeded", "Insufficient quota for GlobalStandard in swedencentral.")
    with pytest.raises(StudioError, match="Insufficient quota"):
        deployments.manager(azure_account).deploy(FT_MODEL, "ft-bad", "GlobalStandard", 1)
    assert fake_mgmt.state("ft-bad") == "Failed"


def test_azure_refusals_come_in_azures_words(azure_account, fake_mgmt):
    with pytest.raises(Refused, match="DeploymentModelNotSupported"):
        deployments.manager(azure_account).deploy("gpt-4o-2024-08-06.ft-unknown", "ft-x", "Standard", 1)


def test_a_deployment_that_never_answers_is_shown_and_can_be_deleted(azure_account, fake_mgmt, fake_openai):
    manager = deployments.manager(azure_account)
    manager.deploy(FT_MODEL, "ft-mute", "DeveloperTier", 50)
    fake_openai.inject("POST /deployments/ft-mute/chat/completions", "500", times=1000)
    assert manager.probe("ft-mute", timeout=0.05, interval=0.01) is False
    [view] = manager.list()
    assert view.status == "Not answering" and view.problem
    assert not any(r.model == "ft-mute" for r in build_catalog(JobStore()).models)
    manager.delete("ft-mute")
    assert fake_mgmt.deployments == {}


def test_a_refused_sign_in_is_a_sentence(azure_account, fake_mgmt):
    fake_mgmt.credential.refuse = "AADSTS50126: Error validating credentials due to invalid username or password."
    with pytest.raises(CredentialsError, match="refused or cancelled the sign-in.*AADSTS50126"):
        deployments.manager(azure_account).list()
    assert [a for a in deployments.list_all() if a.problem and "AADSTS50126" in a.problem]


def test_sign_in_keeps_method_and_identity_on_the_account(azure_account, fake_mgmt):
    saved = deployments.sign_in(azure_account, method="device_code")
    assert saved.azure_sign_in == "device_code" and saved.azure_identity == "ada@contoso.example"


def test_the_resource_is_found_from_the_endpoint(azure_account, fake_mgmt, fake_openai):
    from backend import accounts

    fake_mgmt.endpoint = fake_openai.azure_endpoint
    bare = accounts.save_account(azure_account.model_copy(update={"resource_group": None, "resource_name": None}))
    with pytest.raises(InvalidInput, match="resource group, resource name"):
        deployments.manager(bare).list()
    found = deployments.find_resource(bare)
    assert (found.resource_group, found.resource_name) == (fake_mgmt.resource_group, fake_mgmt.account)
