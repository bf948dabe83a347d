"""The OpenAI and Azure model page holds each hyperparameter to the provider's range and says what it refuses."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard

from backend import bounds, providers
from backend.models import Job, JobStatus, ProviderKind
from ui.context import AppContext
from ui.wizard.draft import WizardDraft
from ui.wizard.model_page import ModelPage
from ui.wizard.page import NewFineTunePage


class BareWizard(QWizard):
    """What the page needs of the wizard: a draft and the provider."""

    def __init__(self, provider, kind: ProviderKind):
        super().__init__()
        self.draft = WizardDraft(provider=kind)
        self._provider = provider

    def provider(self):
        return self._provider


@pytest.fixture
def open_page(qtbot, provider):
    wizards = []  # kept alive for the test: the wizard owns the page

    def opened(kind: ProviderKind) -> ModelPage:
        wizards.append(BareWizard(provider, kind))
        page = ModelPage()
        wizards[-1].addPage(page)
        qtbot.addWidget(wizards[-1])
        wizards[-1].show()
        qtbot.waitUntil(page.isComplete, timeout=15_000)
        return page

    return opened


@pytest.mark.parametrize("kind", [ProviderKind.OPENAI, ProviderKind.AZURE])
def test_the_boxes_hold_only_what_the_provider_allows(qtbot, open_page, kind):
    page = open_page(kind)
    assert (page.epochs.maximum(), page.batch.maximum(), page.beta.maximum()) == (50, 256, 2.0)
    assert page.epochs.minimum() == 0 and page.epochs.text() == "Auto"  # 0 is Auto, not zero epochs
    for box, typed in ((page.epochs, "999"), (page.batch, "4096"), (page.epochs, "-1")):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), typed)
        box.interpretText()
        assert 0 <= box.value() <= box.maximum(), (box.accessibleName(), box.value())
    page.epochs.setValue(1_000_000_000)
    page.batch.setValue(-5)
    assert page.epochs.value() == 50 and page.batch.value() == 0
    hp = page.wizard().draft.hyperparameters
    assert (hp.n_epochs, hp.batch_size) == (50, "auto")
    assert page.limits_note.text() == "" and page.isComplete()


def test_a_value_the_configuration_refuses_is_said_and_blocks_next(open_page, monkeypatch):
    page = open_page(ProviderKind.OPENAI)
    page.epochs.setValue(20)
    assert page.isComplete()
    # The provider lowers its limit (the table changes while the boxes keep their range): the page still checks.
    monkeypatch.setattr(providers.provider_class(ProviderKind.OPENAI), "hyperparameter_ranges",
                        {**bounds.OPENAI, "n_epochs": bounds.Range(1, 10)})
    page.epochs.setValue(21)
    assert page.limits_note.text() == "Epochs 21 is out of range: OpenAI allows 1 to 10."
    assert not page.isComplete() and not page.validatePage()
    page.epochs.setValue(10)
    assert page.limits_note.text() == "" and page.validatePage()


def test_a_job_recorded_before_the_bounds_clones_with_its_wrong_values_on_auto(qtbot, store, provider, account):
    context = AppContext(store)
    old = store.save_job(Job(provider=ProviderKind.OPENAI, status=JobStatus.SUCCEEDED, base_model="gpt-4o-mini",
                             config={"provider": "openai", "base_model": "gpt-4o-mini", "training_file": "t.jsonl",
                                     "suffix": "kept", "seed": -7,
                                     "hyperparameters": {"n_epochs": -1, "batch_size": 8, "beta": 9.0}}))
    page = NewFineTunePage(context, accounts=lambda: [account], open_provider=lambda kind, account_id: provider)
    qtbot.addWidget(page)
    with qtbot.waitSignal(context.navigate):
        context.clone_job.emit(old.id)
    draft = page.wizard.draft
    assert draft.hyperparameters.n_epochs == "auto" and draft.hyperparameters.beta is None and draft.seed is None
    assert draft.hyperparameters.batch_size == 8 and draft.suffix == "kept" and draft.base_model == "gpt-4o-mini"
    qtbot.waitUntil(lambda: not page.reconciling.running, timeout=10_000)
