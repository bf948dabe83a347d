"""The wizard's "Import AutoTrain config…" lands on the review page, through each page's own Next (so the draft
is what clicking through gives), and says plainly what it could not map."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWizard

from tests.local.conftest import distinct_chats, write_jsonl
from ui.context import AppContext
from ui.wizard import wizard as W
from ui.wizard.page import NewFineTunePage

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen, the message


@pytest.fixture
def store():
    from backend.store import JobStore

    job_store = JobStore()
    yield job_store
    job_store.close()


def test_import_lands_on_the_review_with_the_configs_settings(qtbot, tiny_model_dir, tmp_path, store, monkeypatch):
    data = tmp_path / "data"
    write_jsonl(data.mkdir() or data / "train.jsonl", distinct_chats(12))
    config = tmp_path / "at.yml"
    config.write_text(yaml.safe_dump({
        "task": "llm-sft", "base_model": str(tiny_model_dir), "project_name": "p",
        "data": {"path": str(data), "train_split": "train", "chat_template": "tokenizer",
                 "column_mapping": {"text_column": "messages"}},
        "params": {"epochs": 2, "batch_size": 2, "lr": 0.0002, "peft": True, "block_size": 64,
                   "mixed_precision": "fp16", "scheduler": "cosine"}}), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(config), ""))
    new = NewFineTunePage(AppContext(store), accounts=lambda: [])
    qtbot.addWidget(new)
    new.resize(1200, 860)
    new.show()
    first = new.wizard
    assert first.currentId() == W.PROVIDER

    qtbot.mouseClick(first.button(QWizard.WizardButton.CustomButton1), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: new.wizard is not first, timeout=30_000)
    wizard = new.wizard
    qtbot.waitUntil(lambda: wizard.currentId() == W.REVIEW, timeout=60_000)
    # every page on the way was visited (initialised, then validated by its Next), as clicking through does
    assert set(wizard.visitedIds()) == {W.PROVIDER, W.DATA, W.LOCAL_MODEL, W.REVIEW}
    assert wizard.steps.done(2) and wizard.steps.buttons[0].isEnabled()
    draft = wizard.draft.to_config()
    assert draft.base_model == str(tiny_model_dir) and draft.method == "supervised"
    assert draft.training_file == str(data / "train.jsonl") and wizard.draft.report is not None
    assert draft.options["trainer"] == "autotrain" and draft.options["learning_rate"] == 0.0002
    assert draft.options["max_length"] == 64 and draft.hyperparameters.n_epochs == 2
    qtbot.waitUntil(lambda: wizard.import_walk.ended, timeout=5_000)
    box = wizard.import_message
    qtbot.waitUntil(box.isVisible, timeout=5_000)
    assert "could not be mapped" in box.text() and "mixed_precision: fp16" in box.text()
    assert box.textFormat().name == "PlainText"
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=30_000)
    shots = Path(os.environ.get("FTS_SHOTS") or tmp_path)  # to look at the screens (under Xvfb)
    new.grab().save(str(shots / "import-review.png"))
    box.grab().save(str(shots / "import-message.png"))
    box.accept()
    qtbot.waitUntil(lambda: not new.reconciling.running, timeout=10_000)


def test_the_walk_stops_where_a_page_refuses_and_leaves_the_user_there(qtbot, tmp_path, store, monkeypatch):
    data = tmp_path / "data"
    write_jsonl(data.mkdir() or data / "train.jsonl", distinct_chats(12))
    config = tmp_path / "at.yml"
    missing = tmp_path / "no-such-model"
    config.write_text(yaml.safe_dump({"task": "llm-sft", "base_model": str(missing), "data": {
        "path": str(data), "train_split": "train", "column_mapping": {"text_column": "messages"}},
        "params": {"peft": True}}), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(config), ""))
    new = NewFineTunePage(AppContext(store), accounts=lambda: [])
    qtbot.addWidget(new)
    new.show()
    first = new.wizard
    qtbot.mouseClick(first.button(QWizard.WizardButton.CustomButton1), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: new.wizard is not first, timeout=30_000)
    wizard = new.wizard
    qtbot.waitUntil(lambda: wizard.import_walk.ended, timeout=60_000)
    assert wizard.currentId() == W.LOCAL_MODEL  # its folder does not exist: the page says so, the user chooses
    assert wizard.draft.data_path == str(data / "train.jsonl")
    wizard.import_message.accept()
    qtbot.waitUntil(lambda: not new.reconciling.running, timeout=10_000)
