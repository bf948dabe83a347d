"""Every cross-page action works on first use: the page it targets is built on demand, then takes the request.

Before, a page connected the request's signal in its constructor, so "Open model in playground" did nothing until
the user had once opened the Playground. Each test starts a fresh main window that never showed the target page.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThreadPool

from backend.models import Checkpoint, Job, JobStatus, ProviderKind
from ui.context import REQUESTS, AppContext
from ui.main_window import PAGES, MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
TUNED = "ft:gpt-4o-mini-2024-07-18:org:kept:abc123"


@pytest.fixture
def window(qtbot, store):
    windows = []

    def make() -> MainWindow:
        window = MainWindow(AppContext(store))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:  # no poll or load may outlive the store
        window.context.stop()
        if window.context._monitor is not None:
            window.context._monitor.pool.waitForDone(10_000)
    QThreadPool.globalInstance().waitForDone(10_000)


def _succeeded(store, name: str = "Support bot") -> Job:
    return store.save_job(Job(provider=ProviderKind.OPENAI, name=name, remote_id=f"ftjob-{name}",
                              base_model="gpt-4o-mini-2024-07-18", status=JobStatus.SUCCEEDED,
                              fine_tuned_model=TUNED,
                              config={"provider": "openai", "base_model": "gpt-4o-mini-2024-07-18",
                                      "training_file": "t.jsonl", "suffix": "kept"}))


def _jobs_page(qtbot, window: MainWindow, job: Job):
    window.show_page("jobs")
    page = window.page("jobs")
    page.open_job(job.id)
    qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == job.id)
    return page


def _pane_models(window: MainWindow) -> list[str]:
    return [pane.state.model.model for pane in window.page("playground").panes]


def test_open_model_in_playground_before_the_playground_was_ever_shown(qtbot, window, store):
    job = _succeeded(store)
    main = window()
    page = _jobs_page(qtbot, main, job)
    assert "playground" not in main._pages
    page.detail.buttons["playground"].click()
    assert main.current_key == "playground"
    assert _pane_models(main) == ["gpt-4o-mini-2024-07-18", TUNED]  # the base beside its fine-tune


def test_open_checkpoint_in_playground_before_the_playground_was_ever_shown(qtbot, window, store, tmp_path):
    run = tmp_path / "run"
    job = store.save_job(Job(provider=ProviderKind.HF_LOCAL, name="tiny", base_model=str(tmp_path / "base"),
                             run_dir=str(run), status=JobStatus.PAUSED, step=4, total_steps=10))
    checkpoint = str(run / "checkpoints" / "checkpoint-4")
    store.set_checkpoints(job.id, [Checkpoint(id="checkpoint-4", step=4, model=checkpoint,
                                              metrics={"train_loss": 1.5})])
    main = window()
    page = _jobs_page(qtbot, main, job)
    qtbot.waitUntil(lambda: page.detail.checkpoints.rowCount() == 1)
    page.detail.checkpoints.selectRow(0)
    assert "playground" not in main._pages
    page.detail.open_checkpoint_button.click()
    assert main.current_key == "playground"
    assert _pane_models(main)[-1] == checkpoint


def _open_job(qtbot, store):
    _succeeded(store, "Alpha")  # sorted first: the page's own first choice
    wanted = _succeeded(store, "Zeta")

    def check(main):
        page = main.page("jobs")
        qtbot.waitUntil(lambda: page.detail.job is not None and page.detail.job.id == wanted.id)
    return [wanted.id], check


def _open_in_playground(qtbot, store):
    refs = [{"provider": "openai", "model": TUNED, "label": "tuned", "kind": "fine-tuned"}]

    def check(main):
        assert _pane_models(main) == [TUNED]
    return [refs], check


def _clone_job(qtbot, store):
    job = _succeeded(store)

    def check(main):
        draft = main.page("new").wizard.draft
        assert draft.suffix == "kept" and draft.base_model == "gpt-4o-mini-2024-07-18"
    return [job.id], check


def _open_in_evaluation(qtbot, store):
    job = _succeeded(store)

    def check(main):
        page = main.page("evaluate")
        qtbot.waitUntil(lambda: TUNED in [c.ref.model for c in page.setup.candidates])
    return [job.id], check


#: Each cross-page request of ``ui.context.REQUESTS``: its arguments and what must have happened.
CASES = {"open_job": _open_job, "open_in_playground": _open_in_playground, "clone_job": _clone_job,
         "open_in_evaluation": _open_in_evaluation}


def test_every_cross_page_request_is_covered_here():
    assert set(CASES) == set(REQUESTS)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_each_cross_page_request_works_before_its_page_was_ever_shown(qtbot, window, store, name):
    key, _method = REQUESTS[name]
    args, check = CASES[name](qtbot, store)
    main = window()  # it opens on Accounts (no account saved yet)
    assert key not in main._pages
    getattr(main.context, name).emit(*args)
    assert main.current_key == key
    check(main)


@pytest.mark.parametrize("key", [key for key, *_ in PAGES])
def test_navigating_builds_a_page_never_shown(qtbot, window, key):
    main = window()
    main.context.navigate.emit(key)
    assert main.current_key == key and main.stack.currentWidget() is main.page(key)
