"""The Evaluate page: is the fine-tune worth it? Set up a run (test set, candidates, judge, scores), run it in
the background with progress, ETA and Stop, and read the report; export it as CSV or a self-contained HTML
page. Earlier runs are listed and open without asking any model again; Run on an earlier run finishes it.
"Evaluate" on a finished job (the Jobs page) opens here with its model, its base and the baselines chosen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QProgressBar, QPushButton, QSplitter, QWidget
from PySide6.QtCore import Qt

from backend.errors import StudioError
from backend.words import plural
from ui.evaluate.results import ResultsView
from ui.evaluate.setup import SetupPanel
from ui.tasks import Task, describe_error
from ui.widgets.elide import elide_middle
from ui.widgets.header import PageHeader, page_layout
from ui.widgets.note import Note
from ui.widgets.plain import set_role

def _open_provider(ref):
    from backend.chat import provider_for

    return provider_for(ref)


class EvaluatePage(QWidget):
    def __init__(self, context=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        if context is not None:
            context.serve("evaluate", self)  # open_in_evaluation requests: evaluate_job
        self.open_provider = _open_provider  # tests point this at the fake service
        self.task: Task | None = None
        self.spec = None
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.csv_button = QPushButton("Export CSV…")
        self.html_button = QPushButton("Export HTML…")
        for button in (self.run_button, self.stop_button, self.csv_button, self.html_button):
            button.setAccessibleName(button.text().rstrip("…"))
        header = PageHeader("Evaluate", "Is fine-tuning worth it? The fine-tuned model against prompting the base "
                            "model, on held-out questions, on quality and on measured cost.",
                            [self.run_button, self.stop_button, self.csv_button, self.html_button])
        layout = page_layout(self, header)
        self.past = QComboBox()
        self.past.setAccessibleName("Earlier evaluations")
        # An earlier run names its test set: a long path must not make the combo (and the window) wider.
        self.past.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.past.setMinimumContentsLength(30)
        self.past.activated.connect(self._open_past)
        bar = QHBoxLayout()
        bar.addWidget(self.past, 1)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.progress.setVisible(False)
        bar.addWidget(self.progress, 1)
        layout.addLayout(bar)
        self.message = Note()
        layout.addWidget(self.message)
        self.setup = SetupPanel()
        self.results = ResultsView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.setup)
        split.addWidget(self.results)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.csv_button.clicked.connect(lambda: self._export("csv"))
        self.html_button.clicked.connect(lambda: self._export("html"))
        self._set_running(False)
        self.csv_button.setEnabled(False)
        self.html_button.setEnabled(False)
        Task(_load_choices, name="evaluate.catalog").on_success(self._choices_loaded).start()

    # -- choices ----------------------------------------------------------------------------------------
    def _choices_loaded(self, choices) -> None:
        models, specs = choices
        self.setup.set_models(models)
        self.past.clear()
        self.past.addItem("New evaluation", None)
        for spec in specs:
            self.past.addItem(f"{spec.created_at:%Y-%m-%d %H:%M} · {plural(len(spec.candidates), 'candidate')} · "
                              f"{elide_middle(spec.test_path)}", spec.id)
            self.past.setItemData(self.past.count() - 1, spec.test_path, Qt.ItemDataRole.ToolTipRole)

    def evaluate_job(self, job_id: str) -> None:
        """Preselects a job's model, its base zero-shot, few-shot and with retrieval, and its test set."""
        Task(_job_choices, job_id, name="evaluate.job").on_success(self._job_loaded) \
            .on_error_message(self._error).start()

    def _job_loaded(self, found) -> None:
        candidates, test, train = found
        self.setup.clear_candidates()
        for candidate in candidates:
            self.setup.add_candidate(candidate)
        if test:
            self.setup.test_edit.setText(test)
        if train:
            self.setup.train_edit.setText(train)
        self._say("" if test else "Choose the test set: this job's data has none set aside.", "warning")

    # -- the run ----------------------------------------------------------------------------------------
    def run(self) -> None:
        from backend.evaluate.runner import run_evaluation

        try:
            spec = self.spec if self.past.currentData() else self.setup.spec()
            spec.check()
        except StudioError as exc:
            self._error(describe_error(exc))
            return
        except ValueError as exc:  # pydantic: a setting out of range
            self._error(f"The settings cannot be used: {exc}")
            return
        self.spec = spec
        self._say("")
        self._set_running(True)
        self.task = (Task(run_evaluation, spec, open_provider=self.open_provider, name="evaluate.run")
                     .on_progress(self._progressed).on_success(lambda _r: self._finished("Done."))
                     .on_cancelled(lambda: self._finished("Stopped: the answers so far are kept; Run finishes it."))
                     .on_error_message(lambda text: self._finished(text, "error")))
        self.task.start()

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _progressed(self, p) -> None:
        self.progress.setMaximum(int(p.total or 0))
        self.progress.setValue(int(p.done))
        eta = f" · about {p.eta_seconds:.0f} s left" if p.eta_seconds is not None else ""
        self.progress.setFormat(f"%v of %m · {p.message}{eta}")

    def _finished(self, text: str, role: str = "") -> None:
        self._set_running(False)
        self._say(text, role)
        self._show(self.spec)

    def _say(self, text: str, role: str = "") -> None:
        """The message line, styled by the theme as ``role`` says ("error", "warning"; "" for news)."""
        set_role(self.message, role)
        self.message.setText(text)

    def _error(self, text: str) -> None:
        self._say(text, "error")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)

    def _open_past(self) -> None:
        run_id = self.past.currentData()
        if run_id:
            from backend.evaluate.spec import open_spec

            try:
                self.spec = open_spec(run_id)
            except StudioError as exc:
                self._error(describe_error(exc))
                return
            self._show(self.spec)

    def _show(self, spec) -> None:
        Task(_build_report, spec, name="evaluate.report").on_success(self._report_ready) \
            .on_error_message(self._error).start()

    def _report_ready(self, report) -> None:
        self.report = report
        self.results.show_report(report)
        self.csv_button.setEnabled(True)
        self.html_button.setEnabled(True)

    def _export(self, kind: str) -> None:
        title = "CSV (*.csv)" if kind == "csv" else "HTML (*.html)"
        path, _ = QFileDialog.getSaveFileName(self, "Export the report", f"evaluation-{self.report.spec.id}.{kind}",
                                              title)
        if path:
            self.export_to(kind, path)

    def export_to(self, kind: str, path: str) -> None:
        from backend.evaluate.export import write_csv, write_html

        try:
            written = (write_csv if kind == "csv" else write_html)(self.report, path)
        except StudioError as exc:
            self._error(describe_error(exc))
            return
        self._say(f"Saved {written}.")


def _load_choices():
    from backend.chat_catalog import build_catalog
    from backend.evaluate.spec import list_specs

    return build_catalog(with_accounts=False).models, list_specs()


def _build_report(spec):
    from backend.evaluate.report import build_report

    return build_report(spec)


def _job_choices(job_id: str):
    from backend.evaluate.jobs import job_choices

    choices = job_choices(job_id)
    return choices.candidates, choices.test_path, choices.train_path
