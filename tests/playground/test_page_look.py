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
    assert "Ask base something" in page.panes[0].hint.text()  # a model is picked: the hint names it
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


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_a_finished_reply_shows_its_figures_and_actions_whole_at_the_end_of_a_long_conversation(qtbot, page,
                                                                                                  fake_openai):
    fake_openai.set_reply(" ".join(f"word{i}" for i in range(60)), chunks=20)
    page.resize(1000, 620)
    page.show()
    for _ in range(4):  # more than the pane can show: it scrolls
        ask(qtbot, page, "Tell me a long story?")
    for pane in page.panes:
        reply, viewport = pane.views[-1], pane.scroll.viewport()
        bar = pane.scroll.verticalScrollBar()
        assert bar.maximum() > 0

        def whole(widget, viewport=viewport) -> bool:
            top = widget.mapTo(viewport, widget.rect().topLeft()).y()
            return top >= 0 and top + widget.height() <= viewport.height()

        qtbot.waitUntil(lambda reply=reply, whole=whole: whole(reply.stats) and whole(reply.regen_button))
        # nothing empty is left under the last turn: the box is as tall as its turns need
        box = pane.turns_box
        assert box.height() - reply.geometry().bottom() < 30


def test_once_a_model_is_picked_the_hint_names_it_instead_of_asking_to_pick_one(page):
    pane = page.panes[0]  # the fixture picked "base"
    assert "Pick a model" not in pane.hint.text() and "base" in pane.hint.text()
    pane.set_model(ModelRef(provider=None, model=""))
    assert "Pick a model" in pane.hint.text()


def test_model_names_carry_no_leading_spaces_in_the_list_nor_in_the_closed_picker(qtbot, page):
    from backend.chat_catalog import Catalog

    refs = [ModelRef(provider=ProviderKind.OPENAI, model=MODEL, label="  spaced   name "),
            ModelRef(provider=ProviderKind.OPENAI, model="gpt-4.1-mini-2025-04-14", label="other")]
    page._catalog_loaded(Catalog(models=refs))
    pane = page.panes[0]
    texts = [pane.picker.itemText(i) for i in range(pane.picker.count())]
    assert "spaced name" in texts and "other" in texts
    assert all(t == t.strip() for t in texts)
    pane.picker.setCurrentIndex(texts.index("spaced name"))
    pane._picked(pane.picker.currentIndex())
    assert pane.picker.currentText() == "spaced name"
    assert "spaced name" in pane.picker.toolTip()  # the full name, whatever the picker's width cuts off


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_actions_shown_when_a_reply_finishes_fit_the_pane_without_eliding(qtbot, page, fake_openai):
    fake_openai.set_reply("Hi there.", chunks=2)
    page.compare([p.state.model for p in page.panes] * 2)
    assert len(page.panes) == 4
    page.resize(1280, 700)  # four panes: the full labels do not fit, the short ones do
    page.show()
    ask(qtbot, page, "Hello?")
    for pane in page.panes:
        reply = pane.views[-1]
        for button in (reply.copy_button, reply.edit_button, reply.regen_button, reply.dataset_button):
            qtbot.waitUntil(lambda b=button: b.width() >= b.sizeHint().width())  # the whole label, not "Add t…"
