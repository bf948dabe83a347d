"""The wizard page for local training, in a bare QWizard with a draft."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard

from backend.models import ProviderKind
from backend.training.defaults import resolve
from backend.training.hardware import Hardware
from ui.wizard.draft import WizardDraft
from ui.wizard.local_model_page import LocalModelPage


@pytest.fixture
def page(qtbot, tiny_model_dir):
    wizard = QWizard()
    wizard.draft = WizardDraft(provider=ProviderKind.HF_LOCAL, base_model=str(tiny_model_dir))
    page = LocalModelPage()
    wizard.addPage(page)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: page.hardware is not None and page.facts is not None, timeout=60_000)
    yield page  # the wizard (which owns the page) stays alive for the test


def adapters(page) -> list[str]:
    return [page.method.itemData(i)[1] for i in range(page.method.count())]


def test_page_shows_the_device_and_plan_and_writes_the_draft(page):
    draft = page.wizard().draft
    assert page.device_label.text().startswith("Trains on: ")
    assert page.model_note.text() == "A model folder on this computer."
    assert "Memory needed: about" in page.memory_label.text() and page.warning_label.text() == ""
    assert page.isComplete()
    assert draft.method == "supervised" and draft.options["adapter"] == "lora"
    assert page.epochs.specialValueText() == "Auto (3)"
    assert page.plan.settings.precision == "fp32"  # this machine has no GPU


def test_choices_reach_the_draft_and_a_valid_configuration(page, qtbot):
    page.method.setCurrentIndex(adapters(page).index("full"))
    page.learning_rate.setText("1e-4")
    page.learning_rate.editingFinished.emit()
    page.epochs.setValue(2)
    draft = page.wizard().draft
    assert draft.options["adapter"] == "full" and draft.options["learning_rate"] == 1e-4
    assert "lora_r" not in draft.options and not page.lora_box.isVisible()
    assert draft.hyperparameters.n_epochs == 2
    draft.training_file = "t.jsonl"
    plan = resolve(draft.to_config(), page.facts, page.hardware)
    assert (plan.settings.adapter, plan.settings.learning_rate, plan.settings.epochs) == ("full", 1e-4, 2.0)


def test_qlora_is_offered_only_with_cuda_and_bitsandbytes(page):
    assert "qlora" not in adapters(page)
    page.set_hardware(Hardware(device="cuda", name="NVIDIA test GPU", memory_bytes=24 * 2**30, bf16=True,
                               fp16=True, quantization=True))
    assert "qlora" in adapters(page)
    assert "bf16" in page.memory_label.text()


def test_a_run_that_will_not_fit_is_warned_about(page):
    page.method.setCurrentIndex(adapters(page).index("full"))
    page.set_hardware(Hardware(device="cpu", name="CPU", memory_bytes=50 * 2**20))
    assert "GiB is free" in page.warning_label.text() and "LoRA" in page.warning_label.text()


def test_a_missing_folder_is_refused_on_next(page, tmp_path):
    page.model_edit.setText(str(tmp_path / "nowhere"))
    assert not page.validatePage()
    assert "does not exist" in page.warning_label.text()


def test_a_hub_model_not_downloaded_says_it_will_be(page, qtbot):
    page.model_edit.setText("HuggingFaceTB/SmolLM2-360M-Instruct")
    page.model_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: page.model_note.text().startswith("Downloads"), timeout=30_000)
    assert "(0.7 GB)" in page.model_note.text()
    qtbot.waitUntil(lambda: page.facts is not None and page.facts.parameters == 362_000_000, timeout=30_000)
    assert "362M parameters" in page.memory_label.text()


def test_the_boxes_hold_what_local_training_allows(page, qtbot):
    assert (page.epochs.maximum(), page.batch.maximum(), page.accumulation.maximum()) == (100, 1024, 1024)
    assert (page.lora_r.minimum(), page.lora_alpha.minimum()) == (1, 1)
    assert page.max_length.maximum() == 512  # the tiny model's context
    page.epochs.setValue(1_000_000_000)
    page.lora_r.setValue(0)
    assert page.epochs.value() == 100 and page.lora_r.value() == 1
    page.batch.lineEdit().selectAll()
    qtbot.keyClicks(page.batch.lineEdit(), "99999")
    page.batch.interpretText()
    assert page.batch.value() <= 1024


def test_a_learning_rate_out_of_range_or_not_a_number_is_refused_on_next(page):
    for text, sentence in (("5", "Learning rate 5 is out of range: Training on this computer allows more than 0 "
                                 "and at most 1."),
                           ("-1e-4", "Learning rate -0.0001 is out of range: Training on this computer allows more "
                                     "than 0 and at most 1."),
                           ("fast", "The learning rate “fast” is not a number: write one such as 2e-4, or leave the "
                                    "field empty for Auto.")):
        page.learning_rate.setText(text)
        page.learning_rate.editingFinished.emit()
        assert page.warning_label.text() == sentence  # said at once
        assert not page.validatePage()
        assert page.warning_label.text() == sentence
    page.learning_rate.setText("1e-4")
    page.learning_rate.editingFinished.emit()
    assert page.validatePage() and page.wizard().draft.options["learning_rate"] == 1e-4


def test_a_maximum_length_below_the_least_is_refused_on_next(page):
    page.max_length.setValue(8)
    assert not page.validatePage()
    assert page.warning_label.text() == ("Maximum length 8 is out of range: Training on this computer allows 16 to "
                                         "1,048,576.")
    page.max_length.setValue(0)  # Auto
    assert page.validatePage()


def test_a_model_name_that_is_no_hub_id_is_refused_on_next(page, qtbot):
    page.model_edit.setText("a b;rm")
    page.model_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: "is not a Hugging Face model id" in page.model_note.text(), timeout=30_000)
    assert not page.validatePage()
    assert page.warning_label.text().startswith("“a b;rm” is not a Hugging Face model id: repo id must use")


def test_the_suggested_box_names_what_the_model_field_holds(page, qtbot, tiny_model_dir):
    """It once still said SmolLM2 after a folder was chosen."""
    assert page.suggestions.currentData() == "__folder__"  # the fixture's draft holds the tiny model's folder
    page.model_edit.setText("HuggingFaceTB/SmolLM2-360M-Instruct")
    page.model_edit.editingFinished.emit()
    assert page.suggestions.currentData() == "HuggingFaceTB/SmolLM2-360M-Instruct"
    page.model_edit.setText(str(tiny_model_dir))
    page.model_edit.editingFinished.emit()
    assert page.suggestions.currentData() == "__folder__" and "SmolLM2" not in page.suggestions.currentText()
    page.model_edit.setText("someone/another-model")
    page.model_edit.editingFinished.emit()
    assert page.suggestions.currentText() == "Another Hub model (typed below)"


def test_packing_says_why_it_is_off(page):
    assert not page.packing.isEnabled()  # no flash attention on this machine
    assert page.packing_note.isVisibleTo(page) and "flash attention" in page.packing_note.text()
    assert "flash attention" in page.packing.toolTip()
    page.set_hardware(Hardware(device="cuda", name="GPU", memory_bytes=24 * 2**30, bf16=True, flash_attention=True))
    assert page.packing.isEnabled() and not page.packing_note.isVisibleTo(page)


def test_the_estimated_time_follows_the_epochs(page, qtbot, tmp_path):
    """With data known, 40 epochs estimate about 40/3 as long as 3 (it once said "about a minute" for both)."""
    from backend.data import validate_file
    from backend.providers.hf_local import LocalProvider
    from tests.tiny_model import sample_chats
    import json

    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in sample_chats(40)), encoding="utf-8")
    page.wizard().draft.report = validate_file(data, profile=LocalProvider.data, provider="hf-local")
    page.epochs.setValue(3)
    three, three_text = page.plan.seconds, page.duration_label.text()
    page.epochs.setValue(40)
    assert page.plan.seconds / three == pytest.approx(40 / 3, rel=0.01)
    assert page.duration_label.text() != three_text and "40 epochs" in page.duration_label.text()


def test_a_long_folder_in_a_warning_does_not_widen_the_page(page, tmp_path):
    long = tmp_path / ("a-very-long-folder-name-" * 12) / "model"
    page.model_edit.setText(str(long))
    assert not page.validatePage()
    assert "does not exist" in page.warning_label.text() and "…" in page.warning_label.text()
    assert str(long) in page.warning_label.toolTip() or page.warning_label.toolTip().count("a-very-long") == 12
    assert page.minimumSizeHint().width() < 1000
