"""An Azure OpenAI account wired to two fakes: the data plane (``fake_openai``'s Azure routes, API key) and the
management plane (``FakeAzureManagement``, a static Entra token through ``azure_signin.install``, the one seam)."""

from __future__ import annotations

import pytest

from backend import accounts, paths
from backend.models import Account, AccountKind
from backend.providers import azure_deploy, azure_mgmt, azure_signin
from tests.fakes.azure_mgmt import FakeAzureManagement, StaticTokenCredential

FT_MODEL = "gpt-4o-mini-2024-07-18.ft-0123456789abcdef"


@pytest.fixture
def fake_mgmt(monkeypatch):
    server = FakeAzureManagement().start()
    server.models.add(FT_MODEL)
    monkeypatch.setenv(paths.FTS_AZURE_MANAGEMENT_URL, server.base_url)
    monkeypatch.setattr(azure_mgmt, "POLL_STEP_S", 0.01)
    monkeypatch.setattr(azure_deploy, "PROBE_INTERVAL_S", 0.01)
    credential = StaticTokenCredential(claims={"upn": "ada@contoso.example", "oid": "x"})
    credential.token = server.token = credential.token  # the fake accepts the JWT-shaped token
    server.credential = credential
    azure_signin.install(lambda method, prompt: server.credential)
    try:
        yield server
    finally:
        azure_signin.install(None)
        server.stop()
    server.assert_no_violations()


def link(fake_openai, fake_mgmt) -> None:
    """One Azure resource seen through both fakes: the management plane can deploy the data plane's fine-tuned
    models, and the data plane serves chat only for deployments the management plane has brought up."""
    from tests.fakes import azure_routes

    def fine_tuned() -> set[str]:
        with fake_openai.state.lock:
            return {m["id"] for m in azure_routes.models(fake_openai.state) if ".ft-" in m["id"]}

    fake_mgmt.model_source = fine_tuned
    fake_openai.state.azure_serving = fake_mgmt.serving


@pytest.fixture
def azure_account(fake_openai, fake_mgmt) -> Account:
    link(fake_openai, fake_mgmt)
    account = Account(name="Contoso", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                      subscription_id=fake_mgmt.subscription, resource_group=fake_mgmt.resource_group,
                      resource_name=fake_mgmt.account, azure_sign_in="cli")
    return accounts.save_account(account, fake_openai.api_key)
