"""The stand-in provider (tests/fakes/standin_provider.py, registered by its one registry line) goes through the
New fine-tune wizard like any provider: nothing in ui/ or backend/ names it, the wizard reads its class."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from backend.models import JobStatus
from ui.context import AppContext
from ui.wizard import wizard as W
from ui.wizard.page import NewFineTunePage

NEXT = QWizard.WizardButton.NextButton


@pytest.fixture
def store(tmp_path):
    from backend.store import JobStore

    job_store = JobStore(tmp_path / "jobs.sqlite3")
    yield job_store
    job_store.close()


@pytest.fixture
def page(qtbot, store, stand_in):
    context = AppContext(store)
    widget = NewFineTunePage(context)  # the registry's open_provider and the saved accounts (none)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.reconciling.running, timeout=10_000)
    review, model = widget.wizard.page(W.REVIEW), widget.wizard.page(W.MODEL)
    qtbot.waitUntil(lambda: review._task is None and review._review_task is None and model._task is None,
                    timeout=10_000)


def click_next(qtbot, wizard, expected: int) -> None:
    button = wizard.button(NEXT)
    qtbot.waitUntil(button.isEnabled, timeout=15_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == expected


def chats(n: int) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Say {i}."}, {"role": "assistant", "content": f"{i}."}]}
            for i in range(n)]


def test_the_stand_in_goes_from_the_first_page_to_a_recorded_job(qtbot, page, store, tmp_path):
    from tests.fakes import standin_provider

    wizard, context = page.wizard, page.context
    step = wizard.page(W.PROVIDER)
    combo = step.provider_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels[-1] == "Stand-in" and "OpenAI" in labels  # after the app's own, in registry order
    combo.setCurrentIndex(labels.index("Stand-in"))
    assert step.about.text() == "Trains nothing (tests)."
    # No account at all: no account row, nothing to add, and the step is complete.
    assert not step.form.isRowVisible(1) and not step.account_combo.isVisible()
    assert not step.add_account.isVisible() and step.isComplete()
    assert wizard.draft.provider == "stand-in" and wizard.draft.account_id is None

    click_next(qtbot, wizard, W.DATA)
    data = wizard.page(W.DATA)
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in chats(2)), encoding="utf-8")
    data.set_path(str(path))
    qtbot.waitUntil(lambda: data._task is None and data.report is not None, timeout=15_000)
    # Its rules: one example is enough (OpenAI would ask for ten).
    assert data.report.ok and data.report.provider == "stand-in" and data.report.minimum_examples == 1
    assert data.isComplete()

    click_next(qtbot, wizard, W.MODEL)  # a hosted service's page: the model list
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15_000)
    assert [model.model_combo.itemData(i) for i in range(model.model_combo.count())] == ["echo-1"]
    assert model.epochs.maximum() == 3  # the stand-in's own range
    model.epochs.setValue(2)

    click_next(qtbot, wizard, W.REVIEW)
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    text = review.card_text()
    assert "Provider: Stand-in\n" in text and "Examples: 2 examples to train on, of 2 read" in text
    assert "Base model: echo-1" in text and "Epochs: 2 (your choice)" in text and "Runs: On Stand-in's servers." in text
    assert not review.request_button.isVisibleTo(review)  # no create request to preview
    cost = review.review.cost
    assert cost.free and cost.price is None and cost.epochs == 2 and cost.training_examples == 2
    assert "Cost: nothing to pay: training with Stand-in costs nothing per token" in text and "$" not in text
    assert text.endswith("Launch checks the data, sends it to Stand-in and starts the fine-tune; follow it in Jobs.")

    with qtbot.waitSignal(context.job_recorded, timeout=20_000) as recorded:
        qtbot.mouseClick(review.launch_button, Qt.MouseButton.LeftButton)
    [job] = store.list_jobs()
    assert recorded.args == [job.id] and review.job is not None and review.job.id == job.id
    assert job.provider == "stand-in" and job.status is JobStatus.QUEUED and job.base_model == "echo-1"
    assert job.remote_id in standin_provider.REMOTE and "Launched" in review.status.text()


def test_the_draft_is_held_to_the_stand_ins_own_ranges(stand_in):
    """``to_config`` builds through the registry, so a provider's class sets its ranges: the stand-in allows 1 to
    3 epochs, where OpenAI allows 50."""
    from pydantic import ValidationError

    from backend.bounds import refusal
    from backend.models import Hyperparameters
    from ui.wizard.draft import WizardDraft

    draft = WizardDraft(provider=stand_in.kind, base_model="echo-1", data_path="t.jsonl",
                        hyperparameters=Hyperparameters(n_epochs=3))
    assert draft.to_config().hyperparameters.n_epochs == 3
    draft.hyperparameters = Hyperparameters(n_epochs=4)
    with pytest.raises(ValidationError) as refused:
        draft.to_config()
    assert str(refusal(refused.value)) == "Epochs 4 is out of range: Stand-in allows 1 to 3."
