"""Text from datasets, providers and models is shown literally wherever the app shows it.

Hostile strings go through the real widgets and models: a finding quoting a dataset's role (from a real
validation), the preview's captions, a job's error and name (table tooltip, detail, confirmation boxes),
a connection test's answer, notifications, message labels, a chat reply, the review page, the error box.
Each must show exactly its characters: labels and message boxes in ``Qt.PlainText``, tooltips escaped
(a QTextDocument built from one holds the literal text and no image or link).

Rendering is where rich text loads what ``<img>`` names. Strings naming a FIFO are rendered (hovered,
painted, shown in a box): the FIFO is a trap that records whether anything opened it and lets the reader
go at once, so a regression fails the test instead of hanging it. ``/dev/zero`` is checked but never
rendered: had its escaping regressed, rendering would fill the machine's memory before any timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QIcon, QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QMessageBox, QSystemTrayIcon, QTableView, QToolTip

from backend.cancel import Progress
from backend.connection import ConnectionResult
from backend.models import Account, AccountKind, Job, JobStatus, ProviderKind
from ui.widgets.plain import notification_text, plain_tooltip

pytestmark = [pytest.mark.timeout(120, method="thread"),  # a hang ends the run with the threads' stacks
              pytest.mark.qt_log_ignore("This plugin does not support")]  # offscreen tooltips and boxes

MARKUP = ["<b>bold</b>", "<a href='file:///etc/passwd'>x</a>", "a & b\n  <i>two</i>  spaces &amp;"]
NEVER_RENDERED = "<img src=/dev/zero>"


class FifoTrap:
    """A FIFO that records whether anything opened it for reading, as loading an ``<img>`` does, and
    lets each reader go at once (an empty file), so nothing blocks on it."""

    def __init__(self, path: str):
        os.mkfifo(path)
        self.path = path
        self.opened = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            os.close(os.open(self.path, os.O_WRONLY))  # waits for a reader; closing gives it end-of-file
            if self._closing:
                return
            self.opened.set()

    def close(self) -> None:
        self._closing = True
        reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # releases the waiting writer
        self._thread.join(5)
        os.close(reader)


@pytest.fixture
def trap():
    folder = tempfile.mkdtemp(prefix="fts")  # a short path: findings quote at most 40 characters of a value
    fifo = FifoTrap(os.path.join(folder, "t"))
    yield fifo
    QToolTip.hideText()
    fifo.close()
    shutil.rmtree(folder)


@pytest.fixture
def rendered(trap) -> list[str]:
    """Strings that are safe to render: markup, and images that name the trap."""
    return [f'<img src="{trap.path}">', f"x<img src={trap.path}>y", *MARKUP]


@pytest.fixture
def hostile(rendered) -> list[str]:
    return [NEVER_RENDERED, *rendered]


def assert_literal_tooltip(tip: str, text: str) -> None:
    assert tip == plain_tooltip(text)
    document = QTextDocument()
    document.setHtml(tip)  # how Qt reads a tooltip that looks like rich text (no layout: nothing loads here)
    assert document.toPlainText() == text
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            assert not fmt.isImageFormat() and not fmt.isAnchor(), text
            it += 1
        block = block.next()


def assert_plain_label(label: QLabel, text: str) -> None:
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == text


def hover(view: QAbstractItemView, index) -> str:
    """Hover ``index`` as a user would (a tooltip event to the view); the tooltip Qt shows."""
    from PySide6.QtGui import QHelpEvent

    QToolTip.hideText()
    pos = view.visualRect(index).center()
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos)))
    assert QToolTip.isVisible()
    return QToolTip.text()


def answer_next_box(button: QMessageBox.StandardButton, seen: list) -> None:
    """Look at the next message box (its format and text) and press ``button``."""
    def answer():
        box = QApplication.activeModalWidget()
        seen.append((box.textFormat(), box.text()))
        box.button(button).click()
    QTimer.singleShot(0, answer)


def test_a_finding_that_quotes_the_data_shows_it_literally(qtbot, tmp_path, trap, hostile, rendered):
    from backend.data import validate_file
    from ui.wizard.data_findings import FindingsModel

    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"messages": [{"role": role, "content": "Hi"}, {"role": "assistant",
                                                                                       "content": "Hello"}]}) + "\n"
                            for role in hostile), encoding="utf-8")
    report = validate_file(str(path))
    model = FindingsModel()
    model.set_findings(report.findings)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 600)
    view.show()
    rows = {model.finding(row).line: row for row in range(model.rowCount())}
    assert sorted(rows) == list(range(1, len(hostile) + 1))  # each line's role is named in a finding
    for line, role in enumerate(hostile, start=1):
        finding = model.finding(rows[line])
        index = model.index(rows[line], 3)
        assert index.data() == finding.message  # the table draws its cells as plain text
        tip = index.data(Qt.ItemDataRole.ToolTipRole)
        assert_literal_tooltip(tip, f"{finding.message}\n{finding.how_to_fix}")
        if role in rendered:
            assert hover(view, index) == tip
    assert trap.path in model.finding(rows[2]).message and not trap.opened.is_set()


def test_the_preview_shows_the_datas_roles_and_text_as_text(qtbot, trap, hostile, rendered):
    from backend.data import CanonicalExample
    from ui.wizard.data_preview import ChatPreview

    for strings, show in ((hostile, False), (rendered, True)):
        preview = ChatPreview()
        qtbot.addWidget(preview)
        preview.show_examples([CanonicalExample(line=1, messages=[{"role": s, "content": s} for s in strings])])
        labels = preview.widget().findChildren(QLabel)
        assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
        for s in strings:
            assert [label.text() for label in labels].count(s) == 2  # the role's caption and the message
        if show:
            preview.resize(700, 900)
            preview.show()
            preview.grab()  # lays out and paints every caption and bubble
    assert not trap.opened.is_set()


@pytest.fixture
def jobs_page(qtbot):
    from backend.store import JobStore
    from ui.context import AppContext
    from ui.monitor.page import JobsPage

    def open_(names: list[str]) -> JobsPage:
        store = JobStore()
        for number, name in enumerate(names):
            store.save_job(Job(provider=ProviderKind.OPENAI, remote_id=f"ftjob-{number}", name=name, error=name,
                               status=JobStatus.FAILED, fine_tuned_model=name))
        page = JobsPage(AppContext(store))
        qtbot.addWidget(page)
        pages.append(page)
        page.resize(1100, 760)
        page.show()
        qtbot.waitUntil(lambda: page.proxy.rowCount() == len(names))
        return page

    pages: list = []
    yield open_
    for page in pages:
        page.driver.stop()
        qtbot.waitUntil(lambda p=page: not p.driver.busy(), timeout=10_000)


def test_a_jobs_error_and_name_are_shown_literally(qtbot, trap, hostile, rendered, jobs_page):
    from ui.monitor.jobs_model import JOB_ROLE, STATUS

    page = jobs_page(hostile)
    for row in range(page.proxy.rowCount()):
        index = page.proxy.index(row, STATUS)
        job = index.data(JOB_ROLE)
        assert_literal_tooltip(index.data(Qt.ItemDataRole.ToolTipRole), job.error)
        if job.error in rendered:
            assert hover(page.table, index) == plain_tooltip(job.error)
            page.detail.show_job(job)
            page.detail.grab()
            assert page.detail.title.text() == job.name  # an ElidedLabel: drawn with drawText, never parsed
            assert_plain_label(page.detail.reason, f"Reason: {job.error}")
    assert not trap.opened.is_set()


def test_confirmations_name_a_job_in_plain_text(qtbot, trap, rendered, jobs_page):
    from backend.control import JobAction

    page = jobs_page(rendered)
    seen: list = []
    for job in page.store.list_jobs():
        answer_next_box(QMessageBox.StandardButton.No, seen)
        page.actions.request(job.id, JobAction.CANCEL)
        answer_next_box(QMessageBox.StandardButton.No, seen)
        page.actions.remove(job.id)
    assert len(seen) == 2 * len(rendered) and all(fmt == Qt.TextFormat.PlainText for fmt, _text in seen)
    assert {text for _fmt, text in seen[::2]} == {f"Cancel “{name}” on OpenAI? A cancelled job cannot be restarted."
                                                 for name in rendered}
    assert len(page.store.list_jobs()) == len(rendered) and not trap.opened.is_set()  # No removed nothing


def test_a_connection_tests_answer_and_an_accounts_name_are_shown_literally(qtbot, trap, hostile, rendered):
    from backend import accounts, credentials
    from ui.context import AppContext
    from ui.settings.accounts_page import AccountsPage

    saved = [accounts.save_account(Account(name=name, kind=AccountKind.OPENAI), "sk-test") for name in hostile]
    try:
        page = AccountsPage(AppContext())
        qtbot.addWidget(page)
        page.resize(1000, 700)
        page.show()
        qtbot.waitUntil(lambda: not page.tasks, timeout=30_000)
        for account in saved:
            page._tested(account, ConnectionResult(ok=False, message=account.name))  # what test_account returns
            item = page.item_for(account.id)
            assert_literal_tooltip(item.toolTip(2), account.name)
            assert_literal_tooltip(item.toolTip(0), f"OpenAI account “{account.name}”")
            assert_plain_label(page.status, f"{account.name}: {account.name}")
            if account.name in rendered:
                assert hover(page.tree, page.tree.indexFromItem(item, 2)) == plain_tooltip(account.name)
                page.grab()
        seen: list = []
        answer_next_box(QMessageBox.StandardButton.No, seen)
        page.select(saved[-1].id)
        page.remove_selected()
        assert seen == [(Qt.TextFormat.PlainText, f"Remove the account “{saved[-1].name}” and its key from this "
                                                  "computer?\n\nJobs launched with it stay in the job list.")]
    finally:
        for account in saved:
            credentials.delete_secret(account.id)
    assert not trap.opened.is_set()


def test_a_notification_carries_no_markup_and_the_status_line_the_literal_text(qtbot, monkeypatch, trap, hostile):
    from ui.monitor import notify
    from ui.widgets.note import Note

    class Tray:  # the system tray's contract, recorded
        MessageIcon = QSystemTrayIcon.MessageIcon
        messages: list[tuple[str, str]] = []

        def __init__(self, _icon):
            pass

        isSystemTrayAvailable = supportsMessages = staticmethod(lambda: True)  # noqa: N815 - Qt's names
        setToolTip = show = lambda self, *_a: None  # noqa: E731,N815

        def showMessage(self, title, text, _icon, _ms):  # noqa: N802 - Qt's name
            self.messages.append((title, text))

    monkeypatch.setattr(notify, "QSystemTrayIcon", Tray)
    monkeypatch.setattr(notify, "_tray", None)
    notifier = notify.Notifier(QIcon())
    note = Note()
    notifier.shown.connect(lambda title, text: note.setText(f"{title}. {text}"))
    for text in hostile:
        with qtbot.waitSignal(notifier.shown) as shown:
            notifier.job_finished(Job(provider=ProviderKind.OPENAI, name=text, error=text, status=JobStatus.FAILED))
        assert shown.args == [f"Fine-tune failed: {text}", text]
        assert Tray.messages[-1] == (notification_text(f"Fine-tune failed: {text}"), notification_text(text))
        assert not set("<>&") & set("".join(Tray.messages[-1]))
        assert_plain_label(note, f"Fine-tune failed: {text}. {text}")
    assert not trap.opened.is_set()


def test_a_reply_its_error_and_the_review_pages_messages_are_plain_text(qtbot, trap, hostile, rendered):
    from ui.playground.turn import TurnView
    from ui.wizard.review_page import ReviewPage

    review = ReviewPage()
    qtbot.addWidget(review)
    for text in hostile:
        turn = TurnView(0, "assistant", text)
        qtbot.addWidget(turn)
        turn.show_error(text)
        assert turn.body.toPlainText() == text and turn.body.acceptRichText() is False
        assert_literal_tooltip(plain_tooltip(turn.body.toPlainText()), text)  # the document holds no markup
        assert_plain_label(turn.error, text)
        review._progressed(Progress(1, 2, message=text))
        assert_plain_label(review.status, text)
        review._failed(text)
        assert_plain_label(review.status, text)
        if text in rendered:
            turn.resize(500, 300)
            turn.show()
            turn.grab()
            review.show()
            review.grab()
    assert not trap.opened.is_set()


def test_an_unexpected_error_is_shown_in_plain_text(qtbot, trap, rendered):
    from ui.app import _excepthook

    seen: list = []
    for text in rendered:
        answer_next_box(QMessageBox.StandardButton.Ok, seen)
        _excepthook(RuntimeError, RuntimeError(text), None)
    assert all(fmt == Qt.TextFormat.PlainText for fmt, _text in seen) and len(seen) == len(rendered)
    assert all(text in shown for text, (_fmt, shown) in zip(rendered, seen))
    assert not trap.opened.is_set()


def test_column_names_from_a_file_are_plain_text_in_the_mapping_dialog(qtbot, trap, rendered):
    from ui.wizard.data_columns import ColumnMappingDialog

    dialog = ColumnMappingDialog(rendered)
    qtbot.addWidget(dialog)
    dialog.boxes["user"].setCurrentText(rendered[0])
    dialog.boxes["assistant"].setCurrentText(rendered[0])  # the same column twice: the dialog says so
    assert dialog.problem.text() and all(label.textFormat() == Qt.TextFormat.PlainText
                                         for label in dialog.findChildren(QLabel) if label.buddy() is None)
    assert [dialog.boxes["user"].itemText(i) for i in range(dialog.boxes["user"].count())] == rendered
    dialog.show()
    dialog.grab()
    assert not trap.opened.is_set()
