"""The new fine-tune wizard clicked through with pytest-qt, against the fake OpenAI service."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from backend.models import Account, AccountKind, JobStatus, ProviderKind
from ui.context import AppContext
from ui.wizard import wizard as W
from ui.wizard.page import NewFineTunePage

NEXT = QWizard.WizardButton.NextButton


@pytest.fixture
def context(store):
    return AppContext(store)


@pytest.fixture
def accounts(account):
    return [account]


@pytest.fixture
def page(qtbot, context, accounts, provider):
    widget = NewFineTunePage(context, accounts=lambda: list(accounts), open_provider=lambda kind, account_id: provider)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.reconciling.running, timeout=10000)
    review = widget.wizard.page(W.REVIEW)
    qtbot.waitUntil(lambda: review._task is None and review._review_task is None
                    and widget.wizard.page(W.MODEL)._task is None, timeout=10000)


def click_next(qtbot, wizard):
    button = wizard.button(NEXT)
    qtbot.waitUntil(button.isEnabled, timeout=15000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def to_review(qtbot, page, data_file, *, epochs: int = 0, suffix: str = "", held_out: int = 0):
    wizard = page.wizard
    assert wizard.currentId() == W.PROVIDER
    click_next(qtbot, wizard)
    data = wizard.page(W.DATA)
    data.set_path(data_file)
    qtbot.waitUntil(data.isComplete, timeout=15000)
    if held_out:
        data.ratio_split.setChecked(True)
        data.ratio.setValue(held_out)
    click_next(qtbot, wizard)
    assert wizard.currentId() == W.MODEL
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15000)
    if epochs:
        model.epochs.setValue(epochs)
    if suffix:
        qtbot.keyClicks(model.suffix, suffix)
    click_next(qtbot, wizard)
    assert wizard.currentId() == W.REVIEW
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15000)  # the request and the cost are worked out in a task
    return review


def launch(qtbot, review):
    qtbot.waitUntil(review.launch_button.isEnabled, timeout=15000)  # once the review is shown
    qtbot.mouseClick(review.launch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review._task is None and review.status.text() != "Starting…", timeout=20000)


def test_from_first_page_to_a_launched_job(qtbot, page, context, fake_openai, chat_file, store):
    review = to_review(qtbot, page, chat_file, epochs=2, suffix="wiz")
    text = review.request_view.toPlainText()  # the request, behind "Show the request"
    assert '"model": "gpt-4.1-mini-2025-04-14"' in text and '"n_epochs": 2' in text and '"suffix": "wiz"' in text
    assert review.request_button.isVisibleTo(review) and not review.request_view.isVisibleTo(review)
    card = review.card_text()
    assert "Estimated price: " in card and "Epochs: 2 (your choice)" in card and "Name suffix: wiz" in card
    assert "uploads it to OpenAI" in card and "null" not in card and "{" not in card
    # Launch is the wizard's own primary button, in its button row.
    finish = page.wizard.button(QWizard.WizardButton.FinishButton)
    assert finish is review.launch_button and finish.text() == "Launch" and finish.isEnabled()
    assert finish.isDefault() and finish.isVisible()
    launch(qtbot, review)
    assert review.job is not None, review.status.text()
    [remote] = fake_openai.jobs()
    assert remote["user_provided_suffix"] == "wiz" and remote["hyperparameters"]["n_epochs"] == 2
    [recorded] = store.list_jobs()
    assert recorded.remote_id == remote["id"] and recorded.status is JobStatus.VALIDATING_FILES
    assert "Launched" in review.status.text() and review.open_button.isVisible()
    assert page.wizard.button(QWizard.WizardButton.FinishButton).text() == "Start another"
    with qtbot.waitSignal(context.open_job) as opened, qtbot.waitSignal(context.navigate) as navigated:
        qtbot.mouseClick(review.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [recorded.id] and navigated.args == ["jobs"]
    old = page.wizard
    qtbot.mouseClick(old.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.wizard is not old and page.wizard.currentId() == W.PROVIDER, timeout=5000)


def test_preference_data_selects_dpo_and_reaches_the_service(qtbot, page, fake_openai, dpo_file):
    wizard = page.wizard
    click_next(qtbot, wizard)
    wizard.page(W.DATA).set_path(dpo_file)
    qtbot.waitUntil(wizard.page(W.DATA).isComplete, timeout=15000)
    click_next(qtbot, wizard)
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15000)
    assert model.method_combo.currentData() == "dpo" and model.beta.isEnabled()
    model.beta.setValue(0.3)
    click_next(qtbot, wizard)
    review = wizard.page(W.REVIEW)
    launch(qtbot, review)
    assert review.job is not None, review.status.text()
    assert fake_openai.jobs()[0]["method"]["dpo"]["hyperparameters"]["beta"] == 0.3


def test_the_wind_down_refusal_is_shown_in_words(qtbot, page, fake_openai, chat_file, store):
    fake_openai.refuse_job_creation()
    review = to_review(qtbot, page, chat_file)
    launch(qtbot, review)
    assert review.job is None and review.launch_button.isEnabled()
    assert "no longer available" in review.status.text() and "Hugging Face" in review.status.text()
    assert review.status.textFormat() == Qt.TextFormat.PlainText


def test_no_account_links_to_accounts_and_reacts_to_a_new_one(qtbot, page, context, accounts, account):
    accounts.clear()
    page.restart()
    provider_page = page.wizard.page(W.PROVIDER)
    assert not page.wizard.button(NEXT).isEnabled() and provider_page.add_account.isVisible()
    with qtbot.waitSignal(context.navigate) as navigated:
        qtbot.mouseClick(provider_page.add_account, Qt.MouseButton.LeftButton)
    assert navigated.args == ["accounts"]
    accounts.append(account)
    context.accounts_changed.emit()
    assert page.wizard.button(NEXT).isEnabled() and provider_page.account_combo.currentText() == "Fake OpenAI"


def test_local_training_branches_to_its_own_page_and_reviews_its_configuration(qtbot, context, chat_file,
                                                                               tiny_model_dir):
    from backend.providers.hf_local import LocalProvider

    widget = NewFineTunePage(context, accounts=lambda: [], open_provider=lambda kind, account_id: LocalProvider())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: not widget.reconciling.running, timeout=10000)
    wizard = widget.wizard
    provider_page = wizard.page(W.PROVIDER)
    provider_page.provider_combo.setCurrentIndex(provider_page.provider_combo.findData(ProviderKind.HF_LOCAL.value))
    assert wizard.draft.provider is ProviderKind.HF_LOCAL and wizard.draft.account_id is None
    click_next(qtbot, wizard)
    wizard.page(W.DATA).set_path(chat_file)
    qtbot.waitUntil(wizard.page(W.DATA).isComplete, timeout=15000)
    click_next(qtbot, wizard)
    assert wizard.currentId() == W.LOCAL_MODEL
    local = wizard.page(W.LOCAL_MODEL)
    local.model_edit.setText(str(tiny_model_dir))
    click_next(qtbot, wizard)
    assert wizard.currentId() == W.REVIEW
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15000)
    card = review.card_text()
    assert f"Base model: {tiny_model_dir}" in card and "nothing to pay: it runs on this computer" in card
    assert "Supervised fine-tuning with LoRA" in card and "Memory: about" in card and "Disk: about" in card
    assert "Epochs: 3 (chosen automatically for 16 examples)" in card, card
    for openai_words in ("learning_rate_multiplier", "Billed", "upload", "OpenAI", "null", "{"):
        assert openai_words not in card
    assert not review.request_button.isVisibleTo(review)


def test_clone_restarts_the_wizard_prefilled(qtbot, page, context, fake_openai, chat_file, store):
    review = to_review(qtbot, page, chat_file, epochs=3, suffix="first")
    launch(qtbot, review)
    job_id = review.job.id
    with qtbot.waitSignal(context.navigate):
        context.clone_job.emit(job_id)
    draft = page.wizard.draft
    assert draft.base_model == "gpt-4.1-mini-2025-04-14" and draft.suffix == "first"
    assert draft.hyperparameters.n_epochs == 3 and draft.data_path == chat_file
    assert page.wizard.currentId() == W.PROVIDER


def test_accounts_of_other_kinds_are_not_offered(qtbot, context, provider, account):
    azure = Account(name="Azure one", kind=AccountKind.AZURE, endpoint="https://x.openai.azure.com")
    widget = NewFineTunePage(context, accounts=lambda: [account, azure], open_provider=lambda k, a: provider)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.reconciling.running, timeout=10000)
    combo = widget.wizard.page(W.PROVIDER).account_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Fake OpenAI"]


def test_opening_the_page_adopts_a_launch_a_crash_left_half_done(qtbot, context, provider, account, fake_openai,
                                                                 chat_file, store):
    from backend.launch import launch as launch_job
    from tests.openai.test_launch import _CrashAfterCreate
    from tests.openai.test_provider import config

    with pytest.raises(SystemExit):
        launch_job(config(chat_file), store=store,
                   provider=_CrashAfterCreate(account=account, secret=fake_openai.api_key))
    [pending] = store.list_jobs()
    with qtbot.waitSignal(context.job_changed, timeout=10000) as changed:
        widget = NewFineTunePage(context, accounts=lambda: [account], open_provider=lambda k, a: provider)
        qtbot.addWidget(widget)
    assert changed.args == [pending.id]
    assert store.get_job(pending.id).remote_id == fake_openai.jobs()[0]["id"]


def test_cancel_during_the_upload_starts_nothing(qtbot, page, fake_openai, chat_file, store):
    review = to_review(qtbot, page, chat_file)
    fake_openai.inject("POST /files", "slow", seconds=1.0)
    qtbot.mouseClick(review.launch_button, Qt.MouseButton.LeftButton)
    assert review.cancel_button.isVisible()
    qtbot.mouseClick(review.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review._task is None, timeout=20000)
    assert review.status.text() == "Cancelled before the job was sent: nothing was started."
    assert review.job is None and review.launch_button.isEnabled()
    assert fake_openai.jobs() == [] and store.list_jobs() == []


def test_a_method_that_does_not_match_the_data_blocks_next_with_a_reason(qtbot, page, chat_file):
    wizard = page.wizard
    click_next(qtbot, wizard)
    wizard.page(W.DATA).set_path(chat_file)
    qtbot.waitUntil(wizard.page(W.DATA).isComplete, timeout=15000)
    click_next(qtbot, wizard)
    model = wizard.page(W.MODEL)
    qtbot.waitUntil(model.isComplete, timeout=15000)
    assert not model.beta.isEnabled()
    model.method_combo.setCurrentIndex(model.method_combo.findData("dpo"))
    assert not model.isComplete() and not wizard.button(NEXT).isEnabled()
    assert "Your data holds supervised examples" in model.method_note.text()
    model.model_combo.setCurrentIndex(model.model_combo.findData("gpt-3.5-turbo-0125"))
    assert [model.method_combo.itemData(i) for i in range(model.method_combo.count())] == ["supervised"]
    assert "shutdown date 2026-12-15" in model.model_info.text() and model.isComplete()
    for widget in (model.model_combo, model.method_combo, model.epochs, model.batch, model.lr, model.beta,
                   model.suffix, model.seed):
        assert widget.toolTip(), widget.accessibleName()


def test_each_field_of_the_first_step_has_its_notes_under_it(qtbot, page, accounts):
    """The provider's description and the missing-account note start where their field starts, just
    below it, not in the labels' column nor with a gap above."""
    accounts.clear()
    page.restart()
    step = page.wizard.page(W.PROVIDER)
    qtbot.waitUntil(step.no_account.isVisible)

    def left(widget):
        return widget.mapTo(step, widget.rect().topLeft()).x()

    def gap(upper, lower):
        return lower.mapTo(step, lower.rect().topLeft()).y() - upper.mapTo(step, upper.rect().bottomLeft()).y()

    field = left(step.provider_combo)
    assert left(step.about) == left(step.account_combo) == left(step.no_account) == left(step.add_account) == field
    assert step.about.text() and 0 <= gap(step.provider_combo, step.about) <= 8
    assert 0 <= gap(step.account_combo, step.no_account) <= 8
    assert step.account_combo.currentIndex() == -1 and step.account_combo.placeholderText()


def test_an_unconfirmed_launch_says_the_job_may_exist_and_the_second_click_adopts_it(qtbot, page, fake_openai,
                                                                                    chat_file, store, monkeypatch):
    from backend.providers.openai import OpenAIProvider

    monkeypatch.setattr(OpenAIProvider, "create_timeout", 0.3)
    monkeypatch.setattr(OpenAIProvider, "in_flight_margin", 0.2)
    review = to_review(qtbot, page, chat_file)
    fake_openai.inject("POST /fine_tuning/jobs", "hold")
    launch(qtbot, review)
    assert review.job is None and review.launch_button.isEnabled()
    assert "The job may exist" in review.status.text() and "Launching it again is safe" in review.status.text()
    fake_openai.release()
    assert fake_openai.wait_until(lambda: len(fake_openai.jobs()) == 1)
    launch(qtbot, review)
    assert review.job is not None and review.job.remote_id == fake_openai.jobs()[0]["id"]
    assert fake_openai.count("POST", "/fine_tuning/jobs") == 1 and len(store.list_jobs()) == 1


def test_the_price_is_that_of_the_training_share_computed_by_the_backend(qtbot, page, fake_openai, chat_file):
    """A fifth held out for validation: 13 of the 16 examples are trained on, and the review's figure is
    ``training_cost`` of those 13 (the one cost function the job record uses too)."""
    from backend.data.cost import training_cost
    from backend.providers.openai import OpenAIProvider

    review = to_review(qtbot, page, chat_file, epochs=2, held_out=20)
    stats = page.wizard.draft.report.stats
    cost = review.review.cost
    assert (cost.training_examples, cost.epochs) == (13, 2) and not cost.free
    assert cost == training_cost(stats, training_examples=13, epochs=2, profile=OpenAIProvider.data,
                                 model="gpt-4.1-mini-2025-04-14")
    assert cost.tokens_per_epoch < stats.billed_tokens_per_epoch and cost.price.amount_usd > 0
    card = review.card_text()
    assert f"Billed tokens: about {cost.billed_tokens:,} (2 epochs" in card and "Estimated price: less than a cent at $" in card
    assert "Held out: 20% (3 examples)" in card and "Examples: 13 examples to train on, of 16 read" in card


def test_a_provider_that_cannot_be_opened_leaves_the_review_with_its_reason_and_the_configuration():
    """The review opens the provider in its task (the keyring may be slow or locked): a refusal is a sentence on
    the page, with the configuration to read instead of the request; nothing else is swallowed."""
    from backend.errors import CredentialsError
    from backend.models import TrainingConfig
    from ui.wizard.review_page import compute_review

    def locked(kind, account_id):
        raise CredentialsError("The account “Work” has no saved key.")

    config = TrainingConfig(provider=ProviderKind.OPENAI, account_id="a1", base_model="gpt-4o-mini",
                            training_file="t.jsonl")
    found = compute_review(locked, config, None, False)
    assert found.request is None and found.cost is None and found.problem == "The account “Work” has no saved key."

    def broken(kind, account_id):
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        compute_review(broken, config, None, False)


def test_back_from_review_to_data_shows_figures_for_the_chosen_model(qtbot, page, fake_openai, chat_file):
    """Back on the review page shows the data step checked against the model chosen since (its context length
    and price), not the first check's "(no model given)"."""
    review = to_review(qtbot, page, chat_file)
    wizard = page.wizard
    wizard.back()  # review -> model
    wizard.back()  # model -> data
    assert wizard.currentId() == W.DATA
    data = wizard.page(W.DATA)
    qtbot.waitUntil(lambda: data.report is not None and data._task is None, timeout=15000)
    figures = data.stats.figures
    shown = " ".join(label.text() for label in figures.values())
    assert "no model given" not in shown, shown
    assert data.report.model == wizard.draft.base_model
    assert figures["price"].text().startswith("about $"), figures["price"].text()
    assert review.job is None
