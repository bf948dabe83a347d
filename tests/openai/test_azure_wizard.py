"""The wizard on an Azure account (pytest-qt, against the fake's Azure routes): the model list with Azure's
retirement dates, the training type explained in one line and sent as ``trainingType``."""

from __future__ import annotations

import pytest

from backend.models import Account, AccountKind, ProviderKind
from backend.providers.azure import TRAINING_TYPES, AzureProvider
from tests.openai.test_wizard import click_next, context, launch, page  # noqa: F401 - the fixtures, reused
from ui.wizard import wizard as W


@pytest.fixture
def account(fake_openai):
    return Account(name="Fake Azure", kind=AccountKind.AZURE, endpoint=fake_openai.azure_endpoint,
                   api_version="2025-04-01-preview")


@pytest.fixture
def accounts(account):
    return [account]


@pytest.fixture
def provider(fake_openai, account, monkeypatch):
    monkeypatch.setattr(AzureProvider, "poll_seconds", 0.01)
    return AzureProvider(account=account, secret=fake_openai.api_key)


def test_azure_models_dates_and_training_type_in_the_wizard(qtbot, page, fake_openai, chat_file):  # noqa: F811
    wizard = page.wizard
    first = wizard.page(W.PROVIDER)
    first.provider_combo.setCurrentIndex(first.provider_combo.findData(ProviderKind.AZURE.value))
    click_next(qtbot, wizard)
    assert wizard.draft.provider is ProviderKind.AZURE
    data = wizard.page(W.DATA)
    data.set_path(chat_file)
    qtbot.waitUntil(data.isComplete, timeout=15000)
    click_next(qtbot, wizard)
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15000)
    model.model_combo.setCurrentIndex(model.model_combo.findData("gpt-4.1-2025-04-14"))
    info = model.model_info.text()
    assert "training possible until 2027-04-14" in info and "deployments possible until 2027-10-14" in info
    assert model.model_combo.findData("text-embedding-3-small") < 0
    assert model.tier_combo.isVisible()
    assert [model.tier_combo.itemText(i) for i in range(model.tier_combo.count())] == [
        t.label for t in TRAINING_TYPES.values()]
    model.tier_combo.setCurrentIndex(model.tier_combo.findData("developer"))
    assert model.tier_note.text() == TRAINING_TYPES["developer"].explanation and "cheapest" in model.tier_note.text()
    click_next(qtbot, wizard)
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15000)
    launch(qtbot, review)
    assert fake_openai.jobs()[-1]["trainingType"] == "developerTier"
