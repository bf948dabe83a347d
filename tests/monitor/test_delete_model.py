"""Deleting a succeeded job's remote model: ``jobs delete-model`` and the Jobs page's action, against the fake."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from backend.chat_catalog import build_catalog
from backend.cli import run
from backend.models import JobStatus, ProviderKind
from tests.monitor.test_page import page_on, wait_status  # noqa: F401 - page_on is a fixture

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen dialogs


@pytest.fixture
def succeeded(launched, fake_openai, store):
    """A job that finished with a fine-tuned model, as the monitor recorded it."""

    def make(name: str = "Support bot", **options):
        job = launched(name, **options)
        done = fake_openai.finish(job.remote_id)
        return store.save_job(job.model_copy(update={"status": JobStatus.SUCCEEDED,
                                                     "fine_tuned_model": done["fine_tuned_model"]}))

    return make


def answer_next_dialog(button: QMessageBox.StandardButton, seen: list):
    """Click ``button`` in the next modal box, after noting its text and text format."""
    def click():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, click)
            return
        seen.append((dialog.text(), dialog.textFormat()))
        dialog.button(button).click()
    QTimer.singleShot(0, click)


# -- command line ---------------------------------------------------------------------------------------
def test_delete_model_asks_first_and_records_it(succeeded, fake_openai, store, capsys, monkeypatch):
    job = succeeded()
    model = job.fine_tuned_model
    asked = []
    monkeypatch.setattr("builtins.input", lambda question: asked.append(question) or "n")
    assert run(["jobs", "delete-model", job.id[:8]]) == 1
    assert asked == [f"Delete the model {model} on OpenAI? It cannot be used again, and this cannot be undone. "
                     "[y/N] "]
    assert "Nothing was deleted." in capsys.readouterr().err and fake_openai.count("DELETE", "/models/*") == 0
    monkeypatch.setattr("builtins.input", lambda question: "y")
    assert run(["jobs", "delete-model", job.id[:8]]) == 0
    assert f"Deleted the fine-tuned model {model} on OpenAI" in capsys.readouterr().out
    assert model in fake_openai.state.deleted_models and store.get_job(job.id).model_deleted_at is not None
    assert run(["jobs", "show", job.id]) == 0
    out = capsys.readouterr().out
    assert f"{model} (deleted " in out and f"Deleted the fine-tuned model {model}" in out  # the job's events
    assert run(["jobs", "delete-model", job.id, "--yes"]) == 1
    assert "already deleted" in capsys.readouterr().err and fake_openai.count("DELETE", "/models/*") == 1


def test_delete_model_without_an_answer_or_a_model(succeeded, launched, fake_openai, capsys, monkeypatch):
    def no_terminal(question):
        raise EOFError

    job = succeeded()
    monkeypatch.setattr("builtins.input", no_terminal)
    assert run(["jobs", "delete-model", job.id]) == 1
    assert "add --yes" in capsys.readouterr().err and fake_openai.count("DELETE", "/models/*") == 0
    assert run(["jobs", "delete-model", job.id, "--yes"]) == 0  # no question asked
    queued = launched("Still queued")
    assert run(["jobs", "delete-model", queued.id, "--yes"]) == 1
    assert "no fine-tuned model to delete (it is validating_files)" in capsys.readouterr().err
    assert fake_openai.count("DELETE", "/models/*") == 1


def test_a_refusal_is_one_sentence(succeeded, fake_openai, store, capsys):
    job = succeeded()
    fake_openai.state.deleted_models.add(job.fine_tuned_model)  # deleted elsewhere meanwhile
    assert run(["jobs", "delete-model", job.id, "--yes"]) == 1
    err = capsys.readouterr().err
    assert "error: OpenAI could not find it: The model" in err and "Traceback" not in err
    assert store.get_job(job.id).model_deleted_at is None  # nothing recorded that did not happen


# -- the Jobs page --------------------------------------------------------------------------------------
def test_the_jobs_page_deletes_a_model_after_a_plain_text_confirmation(qtbot, succeeded, fake_openai, store,
                                                                       page_on):  # noqa: F811
    job = succeeded("Markup bot", suffix="<b>bold</b>")
    model = job.fine_tuned_model
    assert "<b>bold</b>" in model
    page = page_on()
    wait_status(qtbot, page, JobStatus.SUCCEEDED)
    delete, playground = page.detail.buttons["delete"], page.detail.buttons["playground"]
    assert delete.isVisibleTo(page) and playground.isVisibleTo(page)
    seen: list = []
    answer_next_dialog(QMessageBox.StandardButton.No, seen)
    delete.click()
    assert seen == [(f"Delete the model {model} on OpenAI? It cannot be used again (in the playground or by your "
                     "apps), and this cannot be undone.", Qt.TextFormat.PlainText)]
    assert fake_openai.count("DELETE", "/models/*") == 0
    answer_next_dialog(QMessageBox.StandardButton.Yes, seen)
    delete.click()
    qtbot.waitUntil(lambda: page.detail.job.model_deleted_at is not None, timeout=10_000)
    assert model in fake_openai.state.deleted_models and fake_openai.count("DELETE", "/models/*") == 1
    assert page.detail.event_lines()[-1].endswith(f"Deleted the fine-tuned model {model} on OpenAI; it can no "
                                                  "longer be used.")
    assert page.message.text().startswith(f"Deleted the fine-tuned model {model}")
    assert not delete.isVisibleTo(page) and not playground.isVisibleTo(page)  # no longer offered
    assert page.detail.status.text().endswith(f"{model} (deleted)")
    assert store.get_job(job.id).model_deleted_at is not None
    assert model not in [r.model for r in build_catalog(store, with_accounts=False).models]


def test_the_action_is_offered_only_for_a_succeeded_job_with_a_model(qtbot, launched, fake_openai, page_on):  # noqa: F811
    job = launched()
    fake_openai.advance(job.remote_id, times=2)
    page = page_on()
    wait_status(qtbot, page, JobStatus.RUNNING)
    assert not page.detail.buttons["delete"].isVisibleTo(page)
    fake_openai.finish(job.remote_id)
    wait_status(qtbot, page, JobStatus.SUCCEEDED)
    qtbot.waitUntil(lambda: page.detail.buttons["delete"].isVisibleTo(page))
    local = page.detail.job.model_copy(update={"provider": ProviderKind.HF_LOCAL})
    page.detail.show_job(local)
    assert not page.detail.buttons["delete"].isVisibleTo(page)  # training on this computer: nothing remote
