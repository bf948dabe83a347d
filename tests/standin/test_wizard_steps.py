"""The wizard's step indicator and its width: where the user is, back to any completed step (never forward),
and no page grows the window with a long path or error (the stand-in provider, no network)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from ui.wizard import wizard as W
from tests.standin.test_wizard import chats, click_next, page, store  # noqa: F401 - fixtures

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _states(wizard) -> list[tuple[bool, bool]]:
    """(bold: the current step, enabled: a completed step one can click) per step."""
    return [(b.font().bold(), b.isEnabled()) for b in wizard.steps.buttons]


def _to_review(qtbot, page, data):
    wizard = page.wizard
    combo = wizard.page(W.PROVIDER).provider_combo
    combo.setCurrentIndex(combo.findText("Stand-in"))
    click_next(qtbot, wizard, W.DATA)
    data_page = wizard.page(W.DATA)
    data_page.set_path(str(data))
    qtbot.waitUntil(lambda: data_page._task is None and data_page.report is not None, timeout=15_000)
    click_next(qtbot, wizard, W.MODEL)
    qtbot.waitUntil(wizard.page(W.MODEL).isComplete, timeout=15_000)
    click_next(qtbot, wizard, W.REVIEW)
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    return review


def test_the_steps_show_where_the_user_is_and_go_back_to_completed_ones(qtbot, page, tmp_path):
    wizard = page.wizard
    assert [b.text() for b in wizard.steps.buttons] == ["1  Provider", "2  Data", "3  Model", "4  Review"]
    assert wizard.steps.isVisible() and _states(wizard) == [(True, False), (False, False), (False, False),
                                                            (False, False)]
    data = tmp_path / "two.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in chats(2)), encoding="utf-8")
    _to_review(qtbot, page, data)
    assert _states(wizard) == [(False, True), (False, True), (False, True), (True, False)]
    qtbot.mouseClick(wizard.steps.buttons[1], Qt.MouseButton.LeftButton)  # back to Data
    assert wizard.currentId() == W.DATA
    assert _states(wizard) == [(False, True), (True, False), (False, False), (False, False)]  # never forward
    wizard.steps.go_to(3)
    assert wizard.currentId() == W.DATA
    qtbot.mouseClick(wizard.steps.buttons[0], Qt.MouseButton.LeftButton)
    assert wizard.currentId() == W.PROVIDER and wizard.draft.data_path == str(data)  # nothing is lost


def test_long_paths_and_errors_do_not_widen_the_window(qtbot, page, tmp_path):
    folder = tmp_path
    for _ in range(6):
        folder = folder / ("a-very-long-folder-name-" * 4)
    folder.mkdir(parents=True)
    data = folder / ("training-examples-with-a-long-name-" * 3 + ".jsonl")
    data.write_text("".join(json.dumps(c) + "\n" for c in chats(2)) + "{broken\n", encoding="utf-8")
    page.resize(1000, 700)
    width = page.width()
    wizard = page.wizard
    combo = wizard.page(W.PROVIDER).provider_combo
    combo.setCurrentIndex(combo.findText("Stand-in"))
    click_next(qtbot, wizard, W.DATA)
    data_page = wizard.page(W.DATA)
    data_page.set_path(str(data))
    qtbot.waitUntil(lambda: data_page._task is None and data_page.report is not None, timeout=15_000)
    assert page.minimumSizeHint().width() <= width and page.width() == width
    assert data_page.minimumSizeHint().width() <= data_page.width()
    data_page.drop_invalid.setChecked(True)
    click_next(qtbot, wizard, W.MODEL)
    qtbot.waitUntil(wizard.page(W.MODEL).isComplete, timeout=15_000)
    click_next(qtbot, wizard, W.REVIEW)
    review = wizard.page(W.REVIEW)
    qtbot.waitUntil(review.ready, timeout=15_000)
    assert str(data) in review.card_text()
    assert page.minimumSizeHint().width() <= width and page.width() == width
    # The card fits its view: nothing cut off at the right, and nothing that would widen a window around it.
    assert review.scroll.widget().minimumSizeHint().width() <= review.scroll.viewport().width()
