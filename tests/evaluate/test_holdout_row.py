"""The data step's "Set aside a test set": the wizard then trains on the remainder, and the config it launches
names a file that holds none of the test questions."""

from __future__ import annotations

from PySide6.QtWidgets import QWizard

from backend.evaluate.testset import held_out_for, load_examples
from backend.models import ProviderKind
from tests.evaluate.conftest import CAPITALS, chat, write_jsonl
from ui.wizard.data_page import DataPage
from ui.wizard.draft import WizardDraft


def test_setting_a_test_set_aside_trains_on_the_rest(qtbot, tmp_path):
    rows = [chat(c) for c in CAPITALS] * 2
    rows = [{"messages": [r["messages"][0], {"role": "user", "content": r["messages"][1]["content"] + f" ({i})"},
                          r["messages"][2]]} for i, r in enumerate(rows)]
    source = write_jsonl(tmp_path / "all.jsonl", rows)
    wizard = QWizard()
    wizard.draft = WizardDraft(provider=ProviderKind.OPENAI, base_model="gpt-4o-mini-2024-07-18")
    page = DataPage()
    wizard.addPage(page)
    qtbot.addWidget(wizard)
    wizard.show()
    page.set_path(str(source))
    qtbot.waitUntil(lambda: page.report is not None, timeout=15000)
    page.holdout.share.setValue(25)
    page.holdout.button.click()
    qtbot.waitUntil(lambda: page.path_edit.text() != str(source), timeout=10000)
    qtbot.waitUntil(lambda: page.report is not None and page.report.path == page.path_edit.text(), timeout=15000)
    assert "6 test examples are set aside" in page.holdout.status.text()
    page.validatePage()
    config = wizard.draft.to_config()
    test = held_out_for(config.training_file)
    assert test is not None
    trained = {e.question for e in load_examples(config.training_file)}
    held = {e.question for e in load_examples(test)}
    assert len(trained) == 18 and len(held) == 6 and not trained & held
    qtbot.waitUntil(lambda: page._task is None, timeout=10000)
    page.path_edit.blockSignals(True)  # its focus-out while the wizard is torn down is not an edit
