"""Export on the Jobs page: a finished local run's Export… opens a dialog that merges the trained adapter into
a folder, pushes it with a model card to the fake Hub and writes the TRL recipe, with progress and an ETA, off
the GUI thread; a cancel during the push commits nothing and leaves nothing; problems read as sentences.

The outputs are checked as the command line's are (tests/local/test_export.py)."""

from __future__ import annotations

import threading

import pytest

from backend import paths
from backend.models import Job, JobStatus, ProviderKind
from tests.fakes.hub import USER, FakeHub
from tests.local.test_export import assert_merged_model, assert_pushed, assert_recipe, hub_account, online  # noqa: F401
from tests.monitor.test_page import page_on  # noqa: F401  (a fixture)
from backend.control import JobAction
from ui.monitor.detail import JobDetail
from ui.monitor.export_dialog import ExportDialog

pytestmark = [pytest.mark.slow,
              pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]  # offscreen, the dialog
LONG = 180_000  # ms: merging and uploading on a shared two-core machine


def open_export(qtbot, page, job: Job) -> ExportDialog:
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    qtbot.waitUntil(lambda: page.detail.buttons["export"].isVisibleTo(page))
    page.detail.buttons["export"].click()
    dialog = page.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_export_from_the_jobs_page_merges_pushes_and_writes_the_recipe(qtbot, trained_run, tiny_model_dir, tmp_path,
                                                                       store, page_on, online):
    job = store.save_job(trained_run)
    with FakeHub(tiny_model_dir) as hub:
        hub_account(hub)
        page = page_on()
        dialog = open_export(qtbot, page, job)
        assert dialog.merged.isChecked() and not dialog.push.isChecked() and not dialog.recipe.isChecked()
        assert dialog.account.currentText() == "Hub" and dialog.private.isChecked()  # private unless unticked
        dialog.merged_path.edit.setText(str(tmp_path / "merged"))
        dialog.push.setChecked(True)
        dialog.repo.setText("tiny-ui")
        dialog.recipe.setChecked(True)
        dialog.recipe_path.edit.setText(str(tmp_path / "tiny.yaml"))
        seen, show = [], dialog._show_progress
        dialog._show_progress = lambda p: (seen.append((p, threading.current_thread())), show(p))
        dialog.export_button.click()
        assert not dialog.export_button.isEnabled() and dialog.cancel_button.isVisibleTo(dialog)
        qtbot.waitUntil(lambda: dialog._task is None, timeout=LONG)
    assert dialog.status.text() == (f"Exported. Saved the model to {tmp_path / 'merged'}. Pushed it to "
                                    f"{hub.url}/{USER}/tiny-ui (private). Wrote the TRL recipe to {tmp_path / 'tiny.yaml'}.")
    assert dialog.progress.value() == dialog.progress.maximum() and not dialog.export_button.isEnabled()
    messages = [p.message for p, _ in seen]
    assert messages[0] == "Loading the base model" and any(m.startswith(f"Uploading to {USER}/tiny-ui") for m in messages)
    assert any(p.eta_seconds is not None for p, _ in seen)  # an ETA once the first step is timed
    assert {thread for _, thread in seen} == {threading.main_thread()}  # shown on the GUI thread, worked elsewhere
    assert_merged_model(tmp_path / "merged", tiny_model_dir)
    assert_pushed(hub, f"{USER}/tiny-ui", tmp_path / "merged", tiny_model_dir)
    assert_recipe(tmp_path / "tiny.yaml", job)


def test_a_cancel_during_the_push_commits_nothing_and_leaves_nothing(qtbot, trained_run, tiny_model_dir, store,
                                                                     online):
    job = store.save_job(trained_run)
    with FakeHub(tiny_model_dir) as hub:
        hub_account(hub)
        hub.lfs_gate = threading.Event()  # the weights' upload waits until the test has pressed Cancel
        dialog = ExportDialog(job)
        qtbot.addWidget(dialog)
        dialog.merged.setChecked(False)
        dialog.push.setChecked(True)
        dialog.repo.setText("tiny-cancel")
        dialog.export_button.click()
        try:
            qtbot.waitUntil(hub.lfs_started.is_set, timeout=LONG)
            qtbot.waitUntil(lambda: dialog.status.text().startswith("Uploading"))
            dialog.cancel_button.click()
            assert dialog.status.text() == "Cancelling: the current step finishes first…"
        finally:
            hub.lfs_gate.set()
        qtbot.waitUntil(lambda: dialog._task is None, timeout=60_000)
    assert dialog.status.text() == "Cancelled: nothing half-written was left behind."
    assert f"{USER}/tiny-cancel" in hub.created and hub.uploaded == {}  # the repository stays empty
    assert list((paths.cache_dir() / "export").iterdir()) == []  # the staged model is gone
    assert dialog.export_button.isEnabled() and not dialog.cancel_button.isVisibleTo(dialog)


def test_the_dialog_says_what_is_wrong_in_a_sentence(qtbot, trained_run, store):
    job = store.save_job(trained_run.model_copy(update={"name": "<b>tiny</b> <img src=/dev/zero>"}))
    dialog = ExportDialog(job)
    qtbot.addWidget(dialog)
    assert not dialog.account.isEnabled()
    assert dialog.account.currentText() == "No Hugging Face account: add one on the Accounts page"
    dialog.merged.setChecked(False)
    dialog.export_button.click()
    assert dialog.status.text() == "Choose at least one thing to export."
    dialog.push.setChecked(True)
    dialog.repo.setText("my model")
    dialog.export_button.click()
    assert dialog._task is None and dialog.status.text().startswith(
        "The repository name “my model” contains a space: only letters, digits")
    dialog.repo.setText("tiny")
    dialog.export_button.click()  # the backend's check: no account to push with
    qtbot.waitUntil(lambda: dialog._task is None, timeout=30_000)
    assert dialog.status.text().startswith("Pushing to the Hugging Face Hub needs a saved Hugging Face account")
    assert "Add one on the Accounts page" in dialog.status.text()
    intro = dialog.findChildren(type(dialog.status))[0]  # the job's name, shown as plain text
    assert "<b>tiny</b> <img src=/dev/zero>" in intro.text() and intro.textFormat().name == "PlainText"


def test_export_is_offered_for_a_finished_local_run_only(qtbot, trained_run):
    detail = JobDetail()
    qtbot.addWidget(detail)
    detail.show_job(trained_run)
    assert detail.buttons["export"].isVisibleTo(detail)
    with qtbot.waitSignal(detail.action_requested) as asked:
        detail.buttons["export"].click()
    assert asked.args == [trained_run.id, JobAction.EXPORT]
    for job in [trained_run.model_copy(update={"status": JobStatus.RUNNING}),
                trained_run.model_copy(update={"status": JobStatus.FAILED, "fine_tuned_model": None}),
                Job(provider=ProviderKind.OPENAI, base_model="gpt-4o-mini-2024-07-18", fine_tuned_model="ft:x",
                    status=JobStatus.SUCCEEDED)]:
        detail.show_job(job)
        assert not detail.buttons["export"].isVisibleTo(detail), job.status
