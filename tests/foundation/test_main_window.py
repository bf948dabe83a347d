"""The main window: every page reachable by the navigation list and by Ctrl+1..6, none a placeholder."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from ui.main_window import PAGES, MainWindow
from ui.widgets.placeholder import ComingSoonPage
from ui.widgets.plain import plain_tooltip

KEYS = [key for key, *_ in PAGES]
# The offscreen platform cannot pass a page's size hints to the window when it grows.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot):
    from ui.context import AppContext

    window = MainWindow(AppContext())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    yield window
    window.close()


def _assert_built(window: MainWindow, key: str) -> None:
    page = window.stack.currentWidget()
    assert window.current_key == key and page is window.page(key)
    assert not isinstance(page, ComingSoonPage), f"{key} is still a placeholder"
    texts = " ".join(label.text() for label in page.findChildren(QLabel)).lower()
    assert "coming in this version" not in texts


def test_every_page_is_built_and_reached_by_clicking_the_navigation(qtbot, window):
    assert [window.nav.item(row).text() for row in range(window.nav.count())] == \
        ["New fine-tune", "Jobs", "Playground", "Accounts", "Evaluate", "Deployments"]
    for row in [1, 2, 3, 4, 0, 3]:
        item = window.nav.item(row)
        qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton,
                         pos=window.nav.visualItemRect(item).center())
        _assert_built(window, KEYS[row])


def test_ctrl_and_a_number_opens_each_page(qtbot, window):
    for number in [2, 3, 4, 5, 1, 2]:
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{number}"), Qt.KeyboardModifier.ControlModifier)
        _assert_built(window, KEYS[number - 1])


def test_navigation_items_name_their_shortcut_and_controls_have_accessible_names(window):
    for row, (key, title, *_rest) in enumerate(PAGES):
        assert window.nav.item(row).toolTip() == plain_tooltip(f"{title} (Ctrl+{row + 1})")
    assert window.nav.accessibleName() == "Navigation"
    assert window.stack.accessibleName() == "Page"


def _text_pixels(window: MainWindow, row: int) -> tuple[int, int]:
    """(pixels in the highlight colour, pixels in the highlighted-text colour) of a navigation item."""
    nav = window.nav
    rect = nav.visualItemRect(nav.item(row))
    image = nav.viewport().grab(rect).toImage()
    palette = nav.palette()
    highlight = palette.color(palette.ColorGroup.Active, palette.ColorRole.Highlight)
    text = palette.color(palette.ColorGroup.Active, palette.ColorRole.HighlightedText)

    def near(c, ref):
        return abs(c.red() - ref.red()) + abs(c.green() - ref.green()) + abs(c.blue() - ref.blue()) < 40

    colours = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    return sum(near(c, highlight) for c in colours), sum(near(c, text) for c in colours)


@pytest.mark.parametrize("dark", [False, True])
def test_the_selected_navigation_item_shows_its_title_active_or_not(qtbot, window, dark):
    """The theme's style sheet and palette on this window only: restyling the whole application
    would also repolish other tests' windows."""
    from PySide6.QtWidgets import QApplication, QWidget

    from ui.theme import STYLE_SHEET, dark_palette

    window.setPalette(dark_palette() if dark else QApplication.style().standardPalette())
    window.setStyleSheet(STYLE_SHEET)
    window.show_page("jobs")
    qtbot.waitUntil(lambda: all(_text_pixels(window, 1)))
    background, text = _text_pixels(window, 1)
    assert background > text > 40  # a highlighted box with the title (and icon) drawn on it
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    background, text = _text_pixels(window, 1)
    assert background > text > 40


SUBTITLES = {
    "new": "From your examples to a training job in four steps.",
    "jobs": "Every fine-tuning job on every provider, live.",
}


def test_every_page_opens_with_the_same_header_at_the_same_place(qtbot, window):
    """One title style, one line on what the page is for, the same margins: the title's top-left corner
    is at the same point of every page, and the wizard's step title lines up under it."""
    from PySide6.QtCore import QPoint

    from ui.theme import STYLE_SHEET
    from ui.widgets.header import PAGE_MARGINS, PageHeader

    window.setStyleSheet(STYLE_SHEET)  # this window only (see above)
    corners = {}
    for key, title, *_rest in PAGES:
        window.show_page(key)
        page = window.page(key)
        headers = page.findChildren(PageHeader)
        assert len(headers) == 1, key
        header = headers[0]
        assert header.title.text() == title and header.title.property("role") == "title"
        assert header.title.font().pointSizeF() > page.font().pointSizeF() + 2, key  # the theme's title size
        assert header.subtitle.text() == SUBTITLES.get(key, header.subtitle.text()) and header.subtitle.text()
        assert "\n" not in header.subtitle.text() and header.subtitle.property("role") == "subtitle"
        qtbot.waitUntil(lambda: header.title.isVisible())
        corners[key] = header.title.mapTo(page, QPoint(0, 0))
    assert set(corners.values()) == {QPoint(PAGE_MARGINS[0], PAGE_MARGINS[1])}, corners

    wizard = window.page("new").wizard
    step = next(label for label in wizard.findChildren(QLabel) if label.text() == wizard.currentPage().title())
    assert step.mapTo(window.page("new"), QPoint(0, 0)).x() == PAGE_MARGINS[0]
