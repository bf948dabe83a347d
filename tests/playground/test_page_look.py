"""What the playground shows before anything is asked: a placeholder in each model picker, a hint in each
empty pane (gone once a turn appears, back on New), an "Other…" button whose text is not crowded, and a
name for every field a screen reader announces."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from backend.chat import ModelRef
from backend.models import ProviderKind
from tests.playground.conftest import MODEL, ask


def _hint_shown(pane) -> bool:
    return pane.content.currentWidget() is pane.hint and pane.hint.isVisibleTo(pane) \
        and not pane.scroll.isVisibleTo(pane)


def test_an_empty_pane_says_what_to_do_until_its_first_turn_and_again_after_new(qtbot, page, fake_openai):
    fake_openai.set_reply("Hi there.", chunks=2)
    assert all(_hint_shown(p) for p in page.panes)
    assert "Pick a model" in page.panes[0].hint.text()
    assert page.panes[0].hint.property("role") == "subtitle"  # muted, like every secondary line

    ask(qtbot, page, "Hello?")
    for pane in page.panes:
        assert not _hint_shown(pane) and pane.scroll.isVisibleTo(pane) and pane.views

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert all(_hint_shown(p) and not p.views for p in page.panes)


def test_a_pane_added_later_starts_with_the_hint(qtbot, page):
    pane = page.add_pane()
    assert pane is not None and _hint_shown(pane)


def test_pickers_without_a_model_show_a_placeholder(qtbot):
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    page = PlaygroundPage(AppContext())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page._catalog_task.running, timeout=10000)
    for pane in page.panes:
        assert pane.picker.currentIndex() == -1 and pane.picker.placeholderText() == "Choose a model…"
    page.panes[0].set_model(ModelRef(provider=ProviderKind.OPENAI, model=MODEL))
    assert page.panes[0].picker.currentIndex() >= 0 and MODEL in page.panes[0].picker.currentText()


def test_the_other_button_opens_its_menu_at_once_without_an_arrow_over_its_text(page):
    button = page.panes[0].more_button
    assert button.popupMode() == button.ToolButtonPopupMode.InstantPopup and len(button.menu().actions()) == 2
    assert "menu-indicator" in button.styleSheet() and "image: none" in button.styleSheet()
    assert button.sizeHint().width() >= button.fontMetrics().horizontalAdvance(button.text())


def test_every_field_has_an_accessible_name_and_each_picker_its_own(page):
    while page.add_pane():
        pass
    fields = [page.system, page.params.stop, page.prompt] + [p.picker for p in page.panes]
    names = [field.accessibleName() for field in fields]
    assert all(names), names
    assert len(set(names)) == len(names)  # four pickers, four names a screen reader can tell apart


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # the offscreen platform, on resize
def test_narrow_panes_shorten_the_reply_actions_instead_of_clipping_them(qtbot, page, fake_openai):
    fake_openai.set_reply("Hi there.", chunks=2)
    page.resize(1400, 700)
    page.show()
    ask(qtbot, page, "Hello?")
    reply = page.panes[0].views[-1]
    qtbot.waitUntil(lambda: reply.regen_button.text() == "Regenerate")  # two wide panes: the full words
    assert reply.dataset_button.text() == "Add to dataset…"

    while page.add_pane():
        pass
    page.resize(900, 700)
    qtbot.waitUntil(lambda: reply.regen_button.text() == "Redo")
    assert reply.dataset_button.text() == "Dataset…" and "training file" in reply.dataset_button.toolTip()
    last = reply.dataset_button
    qtbot.waitUntil(lambda: last.geometry().right() <= reply.contentsRect().right())  # nothing cut off

    page.resize(1400, 700)
    while len(page.panes) > 1:
        page.remove_pane()
    qtbot.waitUntil(lambda: reply.regen_button.text() == "Regenerate")
