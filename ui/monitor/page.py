"""The Jobs page: every job in the store, live, with a detail view; detachable into its own window.

The page renders and forwards: polling (and finding jobs recorded elsewhere) is the backend's scheduler driven by
``MonitorDriver``, the one announcer of job changes the page listens to; what the user does to a job is
``JobActions``, whose provider calls run as ``ui.tasks.Task`` workers.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from backend.models import Job, JobStatus
from backend.providers import kinds, label
from backend.providers.base import Trainer
from ui.context import AppContext
from ui.monitor.actions import JobActions
from ui.monitor.detail import JobDetail
from ui.monitor.history import HistoryLoader
from ui.monitor.jobs_model import JOB_ROLE, NAME, JobsFilter, JobsTableModel
from ui.tasks import Task
from ui.widgets.header import PAGE_MARGINS, PageHeader, page_layout
from ui.widgets.note import Note
from ui.widgets.elide import elide_words
from ui.widgets.plain import confirm, plain_label, plain_tooltip

STATUS_FILTERS: list[tuple[str, frozenset[JobStatus] | None]] = [
    ("All statuses", None),
    ("Active", frozenset(s for s in JobStatus if s.is_active) | {JobStatus.PAUSED}),
    ("Succeeded", frozenset({JobStatus.SUCCEEDED})),
    ("Failed", frozenset({JobStatus.FAILED})),
    ("Cancelled", frozenset({JobStatus.CANCELLED})),
]


class JobsPage(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None, *, open_provider=None):
        super().__init__(parent)
        self.context = context
        self.store = context.store
        self.model = JobsTableModel(self)
        self.proxy = JobsFilter(self)
        self.proxy.setSourceModel(self.model)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._hint)
        self.driver = context.monitor(open_provider=open_provider)  # the app's: it runs with this page closed too
        self.notifier = context.notifier
        self.actions = JobActions(self.store, self.driver, self.confirm, self)
        self.detail = JobDetail(available=self.actions.available)
        self.history = HistoryLoader(self.store, self.detail, self)
        self.window_: QWidget | None = None  # the detached window, when there is one

        self.search = QLineEdit(placeholderText="Search jobs by name, model or id")
        self.search.setAccessibleName("Search jobs")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.provider_filter = QComboBox()
        self.provider_filter.setAccessibleName("Provider filter")
        self.provider_filter.addItem("All providers", None)
        for kind in kinds(having=Trainer):
            self.provider_filter.addItem(label(kind), kind)
        self.provider_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_provider(self.provider_filter.currentData()))
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status filter")
        for title, statuses in STATUS_FILTERS:
            self.status_filter.addItem(title, statuses)
        self.status_filter.currentIndexChanged.connect(
            lambda: self.proxy.set_statuses(self.status_filter.currentData()))
        self.import_button = QPushButton("Import jobs…")
        self.import_button.setToolTip("Add the jobs of your accounts that were created outside this app")
        self.import_button.clicked.connect(self.actions.import_all)
        self.detach_button = QPushButton("Open in own window")
        self.detach_button.clicked.connect(self.toggle_detached)
        tools = QHBoxLayout()
        tools.addWidget(self.search, 1)
        for widget in (self.provider_filter, self.status_filter, self.import_button, self.detach_button):
            tools.addWidget(widget)

        # The notices (accounts that do not answer, what an action did) sit under the jobs in a line kept for
        # them, so the table never jumps when one appears; sentences wrap, so a long path never widens the window.
        self.banner = plain_label(wordWrap=True)
        self.banner.setProperty("role", "warning")
        self.banner.hide()
        self.message = Note()
        self._note_about: tuple[str, JobStatus] | None = None  # the job and status the note speaks of
        self.notices = QWidget()
        self.notices.setAccessibleName("Notices")
        notices = QVBoxLayout(self.notices)
        notices.setContentsMargins(0, 0, 0, 0)
        notices.addWidget(self.banner)
        notices.addWidget(self.message)
        notices.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.notices.setMinimumHeight(plain_label("One line", wordWrap=True).sizeHint().height())

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Jobs")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line a row: a wrapped path showed only its start
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a path keeps both ends (tooltip: all of it)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate([170, 100, 190, 130, 130, 70, 70]):
            header.resizeSection(column, width)
        # The name and the resulting model share the width left: on a wide screen the name was cut at 170 px
        # ("customer-su…egion-final") beside a resulting-model column with hundreds of empty pixels.
        for column in (NAME, header.count() - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.setMinimumHeight(120)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        # The table keeps its height when the page's height changes (a second notice line, a taller window): the
        # detail below takes the difference, so the rows never jump. The user drags the handle to change it.
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 550])

        self.header = PageHeader("Jobs", "Every fine-tuning job on every provider, live.")
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(tools)
        body.addWidget(splitter, 1)
        body.addWidget(self.notices)
        self.placeholder = QWidget()
        placeholder = QVBoxLayout(self.placeholder)
        back = QPushButton("Bring the jobs back into this window")
        back.clicked.connect(self.toggle_detached)
        placeholder.addStretch(1)
        placeholder.addWidget(plain_label("The jobs are open in their own window."), 0, Qt.AlignmentFlag.AlignCenter)
        placeholder.addWidget(back, 0, Qt.AlignmentFlag.AlignCenter)
        placeholder.addStretch(1)
        self.placeholder.hide()
        layout = page_layout(self, self.header)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.placeholder, 1)

        self.driver.job_changed.connect(self._job_updated)
        self.driver.job_removed.connect(self._job_removed)
        self.driver.events_added.connect(self.history.events_added)
        self.driver.metrics_added.connect(self.history.metrics_added)
        self.driver.checkpoints_changed.connect(self.history.checkpoints_changed)
        self.driver.connection_changed.connect(lambda _c: self._show_connections())
        self.notifier.shown.connect(lambda title, text: self.say(f"{title}. {text}", self.notifier.job))
        self._connect_actions()
        context.serve("jobs", self)  # open_job requests
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._each_second)
        self.clock.start()
        self._pending_open: str | None = None
        Task(self.store.list_jobs, name="jobs.load").on_success(self._loaded).start(self.driver.pool)

    def _connect_actions(self) -> None:
        actions, detail = self.actions, self.detail
        detail.action_requested.connect(actions.request)
        detail.clone_requested.connect(actions.clone)
        detail.playground_requested.connect(actions.playground)
        detail.evaluate_requested.connect(self.context.open_in_evaluation.emit)
        detail.remove_requested.connect(actions.remove)
        detail.rename_requested.connect(actions.rename)
        actions.message.connect(self.say)
        actions.job_message.connect(self.say)
        actions.import_busy.connect(lambda busy: self.import_button.setEnabled(not busy))
        actions.open_in_playground.connect(self.context.open_in_playground.emit)
        actions.clone.connect(self.context.clone_job.emit)
        actions.export.connect(self._export)

    def _export(self, job: Job) -> None:
        """The export dialog for a finished run (window-modal; it runs the export itself)."""
        from ui.monitor.export_dialog import ExportDialog

        dialog = ExportDialog(job, self, open_provider=self.driver.monitor.open_provider)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- jobs -----------------------------------------------------------------------------------------
    def _hint(self, *_args) -> None:
        """The detail's line while no job is chosen: choose one, there are none yet, or none matches the filters."""
        from ui.monitor.detail import NO_JOB_HINT, NO_JOBS_HINT, NO_MATCH_HINT

        self.detail.set_hint(NO_JOBS_HINT if not self.model.rowCount() else
                             NO_MATCH_HINT if not self.proxy.rowCount() else NO_JOB_HINT)

    def _loaded(self, jobs: list[Job]) -> None:
        self.model.set_jobs(jobs)
        self.driver.start()
        if self._pending_open:
            self.open_job(self._pending_open)
        elif self.proxy.rowCount() and self.detail.job is None:
            self.table.selectRow(0)

    def say(self, text: str, job: Job | None = None) -> None:
        """A notice; one about ``job`` holds while the job keeps its present status. A long path in it is elided
        in the middle (the whole text is in the tooltip)."""
        shown = elide_words(text, 80)
        self.message.setText(shown)
        self.message.setToolTip(plain_tooltip(text if shown != text else ""))
        self._note_about = (job.id, job.status) if job is not None else None

    def _job_updated(self, job: Job) -> None:
        if self._note_about is not None and self._note_about[0] == job.id and self._note_about[1] is not job.status:
            self.say("")  # it said what is no longer true; the status column says what is
        self.model.upsert(job)
        if self.detail.job is not None and self.detail.job.id == job.id:
            self.detail.update_job(job)

    def _job_removed(self, job_id: str) -> None:
        if self._note_about is not None and self._note_about[0] == job_id:
            self.say("")
        self.model.remove(job_id)
        if self.detail.job is not None and self.detail.job.id == job_id:
            self.detail.show_job(None)

    def current_job(self) -> Job | None:
        return self.detail.job

    def open_job(self, job_id: str) -> None:
        """Select and show ``job_id`` (clearing filters that hide it)."""
        row = self.model.row_of(job_id)
        if row is None:
            job = self.store.get_job(job_id)
            if job is None:
                self._pending_open = job_id  # the page is still loading
                return
            self.model.upsert(job)
            self.driver.track(job)
            row = self.model.row_of(job_id)
        self._pending_open = None
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.search.clear()
            self.provider_filter.setCurrentIndex(0)
            self.status_filter.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)
        if self.window_ is not None:
            self.window_.raise_()
            self.window_.activateWindow()

    def _current_changed(self, current, _previous) -> None:
        job = self.proxy.data(current, JOB_ROLE) if current.isValid() else None
        if job is not None and self.detail.job is not None and job.id == self.detail.job.id:
            return
        self.detail.show_job(job)
        if job is not None:
            self.history.load(job.id)
            self._show_connections()

    # -- state shown ----------------------------------------------------------------------------------
    def _show_connections(self) -> None:
        now = self.driver.monitor.clock()
        troubled = [c for c in self.driver.connections() if not c.ok]
        if troubled:
            lines = [f"{label(c.provider)}: {c.describe(now)}. {c.error or ''}".strip() for c in troubled]
            self.banner.setText(elide_words("\n".join(lines), 80))
            self.banner.setToolTip(plain_tooltip("\n".join(lines)))
        self.banner.setVisible(bool(troubled))
        job = self.detail.job
        if job is not None:
            connection = self.driver.monitor.connection_for(job)
            self.detail.set_connection("" if connection.ok else connection.describe(now))

    def _each_second(self) -> None:
        self.model.tick()
        if not self.banner.isHidden() or self.detail.connection.text():
            self._show_connections()

    # -- detaching ------------------------------------------------------------------------------------
    def toggle_detached(self) -> None:
        if self.window_ is None:
            self.window_ = _JobsWindow(self)
            self.layout().removeWidget(self.body)
            self.window_.layout().addWidget(self.body)
            self.placeholder.show()
            self.detach_button.setText("Back into main window")
            self.window_.resize(1100, 720)
            self.window_.show()
        else:
            window, self.window_ = self.window_, None
            window.layout().removeWidget(self.body)
            self.layout().insertWidget(self.layout().indexOf(self.placeholder), self.body, 1)
            self.placeholder.hide()
            self.detach_button.setText("Open in own window")
            window.close_quietly()

    def confirm(self, title: str, text: str) -> bool:
        return confirm(self.body, title, text)  # the text names a job or a model: plain text

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.driver.stop()
        super().closeEvent(event)


class _JobsWindow(QWidget):
    """The jobs page's own window; closing it puts the jobs back into the main window."""

    def __init__(self, page: JobsPage):
        super().__init__(None, Qt.WindowType.Window)
        self.page = page
        self.setWindowTitle("Jobs — Fine-Tune Studio")
        self.setWindowIcon(page.window().windowIcon())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        self._quiet = False

    def close_quietly(self) -> None:
        self._quiet = True
        self.close()
        self.deleteLater()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self._quiet:
            event.ignore()
            self.page.toggle_detached()
            return
        super().closeEvent(event)

