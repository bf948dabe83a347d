"""The Evaluate page with pytest-qt: set up, run in the background against the fake OpenAI service, read
the report, filter where the fine-tune lost, export; "Evaluate" on a finished job preselects its models."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from backend.evaluate.spec import Candidate
from backend.evaluate.testset import set_aside
from backend.models import Job, JobStatus, ProviderKind
from tests.evaluate.conftest import BASE, CAPITALS, JUDGE, TUNED, chat, opener, ref, reply, write_jsonl


@pytest.fixture
def page(qtbot, fake):
    from ui.context import AppContext
    from ui.evaluate.page import EvaluatePage

    widget = EvaluatePage(AppContext())
    qtbot.addWidget(widget)
    widget.open_provider = opener(fake)
    qtbot.waitUntil(lambda: widget.past.count() > 0)  # the catalog and earlier runs have arrived
    return widget


def test_a_run_on_the_page_reports_and_filters_where_the_fine_tune_lost(qtbot, page, fake, files, tmp_path):
    def judged(body):  # the fine-tune gives a wrong city for Italy; the judge sees it
        text = reply(body)
        if body["model"] == TUNED and "Italy" in body["messages"][-1]["content"]:
            text = body["_reply"] = "Milan."
        return text

    fake.state.reply_fn = judged
    test, train = files
    page.setup.test_edit.setText(str(test))
    page.setup.train_edit.setText(str(train))
    page.setup.add_candidate(Candidate(ref=ref(TUNED, "fine-tuned")))
    page.setup.add_candidate(Candidate(ref=ref(BASE), strategy="few-shot", shots=2))
    page.setup.set_models([ref(JUDGE)])
    page.setup.judge_box.setCurrentIndex(1)
    page.run()
    assert page.stop_button.isEnabled() and not page.run_button.isEnabled()
    qtbot.waitUntil(lambda: page.results.candidates.rowCount() == 2, timeout=20000)
    assert page.run_button.isEnabled() and page.message.text() == "Done."
    table = page.results.candidates
    texts = [table.item(0, c).text() for c in range(table.columnCount())]
    assert texts[0] == f"{TUNED} · fine-tuned" and "0.75" in texts  # three of four exact
    verdict = page.results.verdicts.text()
    assert verdict.startswith("The fine-tuned model wins 0% (0% to 49%) of comparisons against 2-shot prompting")
    page.results.filter.setCurrentIndex(1)  # where the fine-tune lost
    assert page.results.shown_questions == ["What is the capital of Italy?"]
    page.results.filter.setCurrentIndex(0)
    assert len(page.results.shown_questions) == 4
    page.export_to("html", str(tmp_path / "r.html"))
    assert "Milan." in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.message.text().startswith("Saved ")


def test_stop_keeps_what_was_answered_and_run_finishes_it(qtbot, page, fake, files):
    fake.inject("POST /chat/completions", "slow", times=100, seconds=0.3)
    test, _ = files
    page.setup.test_edit.setText(str(test))
    page.setup.add_candidate(Candidate(ref=ref(TUNED, "fine-tuned")))
    page.setup.concurrency.setValue(1)
    page.run()
    qtbot.waitUntil(lambda: page.progress.value() >= 1, timeout=10000)
    page.stop()
    qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=10000)
    assert page.message.text().startswith("Stopped")
    asked = len(fake.state.chat_requests)
    assert asked < 4
    fake.clear_faults()
    page.past.addItem("this run", page.spec.id)
    page.past.setCurrentIndex(page.past.count() - 1)
    page.run()  # the stored run, finished
    qtbot.waitUntil(lambda: page.message.text() == "Done.", timeout=10000)
    assert len(fake.state.chat_requests) == 4  # nothing asked twice


def test_settings_that_cannot_run_are_a_sentence(page):
    page.run()
    assert page.message.text() == "Choose at least one model to evaluate."


def test_evaluate_on_a_finished_job_preselects_its_models(qtbot, page, tmp_path):
    from backend.store import JobStore

    split = set_aside(write_jsonl(tmp_path / "all.jsonl", [chat(c) for c in CAPITALS]), 0.25)
    job = JobStore().save_job(Job(provider=ProviderKind.OPENAI, status=JobStatus.SUCCEEDED, fine_tuned_model=TUNED,
                                  base_model=BASE, trained_tokens=100000, name="capitals",
                                  config={"training_file": str(split.train_path)}))
    page.evaluate_job(job.id)
    qtbot.waitUntil(lambda: page.setup.table.rowCount() == 4)
    rows = [page.setup.table.item(r, 1).text() for r in range(4)]
    assert rows == ["fine-tuned", "zero-shot", "5-shot prompting", "retrieval (5 examples)"]
    assert page.setup.test_edit.text() == str(split.test_path)
    assert page.setup.train_edit.text() == str(split.train_path)
    assert page.setup.candidates[0].training_cost_usd == pytest.approx(0.3)  # 100,000 tokens at $3 per million


def test_the_jobs_page_evaluate_button_opens_the_page_with_the_job_chosen(qtbot, tmp_path):
    from backend.store import JobStore
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.monitor.detail import JobDetail

    job = JobStore().save_job(Job(provider=ProviderKind.OPENAI, status=JobStatus.SUCCEEDED, fine_tuned_model=TUNED,
                                  base_model=BASE, config={"training_file": str(tmp_path / "t.jsonl")}))
    detail = JobDetail()
    qtbot.addWidget(detail)
    detail.show_job(job)
    assert not detail.buttons["evaluate"].isHidden()
    context = AppContext()
    window = MainWindow(context)
    qtbot.addWidget(window)
    detail.evaluate_requested.connect(context.open_in_evaluation.emit)  # as the Jobs page connects it
    detail.buttons["evaluate"].click()
    assert window.current_key == "evaluate"
    page = window.page("evaluate")
    qtbot.waitUntil(lambda: page.setup.table.rowCount() == 4)
    assert page.setup.candidates[0].ref.model == TUNED and page.setup.candidates[1].ref.model == BASE
    assert "no test set" in page.message.text() or "Choose the test set" in page.message.text()
    detail.show_job(job.model_copy(update={"fine_tuned_model": None, "status": JobStatus.RUNNING}))
    assert detail.buttons["evaluate"].isHidden()  # nothing to evaluate yet


# -- seen under Xvfb: errors look like errors, empty results say so, nothing widens the window -------------------
LONG = "/home/someone/" + "/".join(f"projects-{i:03d}" for i in range(30)) + "/test.jsonl"  # ~400 characters


def test_an_error_is_styled_as_one_and_news_is_not(page):
    page.run()  # no candidates
    assert page.message.property("role") == "error" and page.message.isVisibleTo(page)
    page._say("Saved r.html.")
    assert page.message.property("role") == ""


def test_results_say_there_are_none_yet_instead_of_a_blank_table(page):
    from ui.evaluate.results import NO_RESULTS

    results = page.results
    assert results.verdicts.text() == NO_RESULTS and results.candidates.isHidden()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_an_earlier_run_with_a_long_test_path_does_not_widen_the_page(qtbot, page):
    from backend.evaluate.spec import EvalSpec

    spec = EvalSpec(test_path=LONG, candidates=[Candidate(ref=ref(TUNED, "fine-tuned"))])
    page._choices_loaded(([ref("a-very-long-model-name-" * 6 + "end")], [spec]))  # before the page is first shown
    page.resize(1000, 700)
    page.show()
    qtbot.waitExposed(page)
    assert page.minimumSizeHint().width() < 1000 and page.sizeHint().width() < 1300
    text = page.past.itemText(1)
    assert " · 1 candidate · " in text and "…" in text and text.endswith("test.jsonl")
    assert page.past.itemData(1, Qt.ItemDataRole.ToolTipRole) == LONG  # the whole path, as plain data
    assert page.setup.model_box.lineEdit().cursorPosition() == 0  # a long model name shows its start


def test_every_settings_row_has_its_label(page):
    form = page.setup.layout()
    assert form.labelForField(page.setup.concurrency).text() == "Requests at once"
    assert page.setup.concurrency.prefix() == ""
