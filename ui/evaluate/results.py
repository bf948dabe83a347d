"""A finished (or partial) evaluation on screen: the candidates' table with quality, cost and the verdict;
quality against cost as a QtCharts scatter (the charting the Jobs page uses); and the examples side by
side, filtered to where the fine-tuned model lost or won. Every cell is a ``QTableWidgetItem``: plain text,
whatever a model answered."""

from __future__ import annotations

from PySide6.QtCharts import QChart, QChartView, QScatterSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QTableWidget, QTableWidgetItem, QTabWidget,
                               QVBoxLayout, QWidget, QAbstractItemView)

from backend.evaluate.report import SCORE_TITLES, Report, verdict
from ui.widgets.plain import plain_label, set_role

SCORE_LABELS = {**SCORE_TITLES, "exact": "exact match", "contains": "contains", "regex": "regex"}
#: What the results say before there are any.
NO_RESULTS = ("No results yet. Choose a test set and the models above, then Run; or open an earlier evaluation "
              "from the list at the top.")
FILTERS = [("All examples", None), ("Where the fine-tune lost", "loss"), ("Where the fine-tune won", "win"),
           ("Ties", "tie")]


def _table(columns: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(True)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _item(text) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setToolTip("")  # never rich text from a model
    return item


class ResultsView(QTabWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report: Report | None = None
        self.candidates = _table([], "Candidates table")
        self.verdicts = plain_label(NO_RESULTS, wordWrap=True)  # the lesson's sentences, whole
        self.verdicts.setAccessibleName("Verdicts")
        self.verdicts.setProperty("role", "subtitle")  # until a report: the empty state, in place of a blank table
        self.candidates.hide()
        table_tab = QWidget()
        table_layout = QVBoxLayout(table_tab)
        table_layout.addWidget(self.candidates, 1)
        table_layout.addWidget(self.verdicts)
        self.chart = QChart()
        self.chart.setTitle("Quality against cost")
        self.chart.legend().setVisible(True)
        view = QChartView(self.chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show examples")
        for text, value in FILTERS:
            self.filter.addItem(text, value)
        self.filter.currentIndexChanged.connect(self._fill_examples)
        self.examples = _table([], "Examples")
        examples = QWidget()
        layout = QVBoxLayout(examples)
        bar = QHBoxLayout()
        bar.addWidget(self.filter)
        bar.addStretch(1)
        layout.addLayout(bar)
        layout.addWidget(self.examples, 1)
        self.addTab(table_tab, "Candidates")
        self.addTab(view, "Quality against cost")
        self.addTab(examples, "Examples")

    def show_report(self, report: Report) -> None:
        self.report = report
        self._fill_candidates()
        self._fill_chart()
        self._fill_examples()

    def _fill_candidates(self) -> None:
        report = self.report
        self.candidates.show()
        set_role(self.verdicts, None)
        names = list(report.spec.scores)
        columns = ["Candidate", "Answered", *[SCORE_LABELS.get(n, n) for n in names], "Tokens per request",
                   "Latency", "USD per 1,000 requests"]
        self.candidates.clear()
        self.candidates.setColumnCount(len(columns))
        self.candidates.setHorizontalHeaderLabels(columns)
        self.candidates.setRowCount(len(report.rows))
        for r, row in enumerate(report.rows):
            tokens = ("not reported" if row.prompt_tokens is None
                      else f"{row.prompt_tokens:.0f} + {row.completion_tokens:.0f}")
            cells = [row.candidate.title, f"{row.answered}" + (f" ({row.errors} failed)" if row.errors else ""),
                     *[f"{row.scores[n]:.2f}" if n in row.scores else "—" for n in names], tokens,
                     "—" if row.latency_s is None else f"{row.latency_s:.2f} s",
                     f"{row.per_1k_usd:.4f}" if row.per_1k_usd is not None else row.price_note]
            for c, text in enumerate(cells):
                self.candidates.setItem(r, c, _item(text))
        self.candidates.resizeColumnsToContents()
        anchor = report.anchor
        self.verdicts.setText("\n".join(verdict(report, row) for row in report.rows
                                         if row is not anchor or len(report.rows) == 1))

    def _fill_chart(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        report = self.report
        x_axis, y_axis = QValueAxis(), QValueAxis()
        x_axis.setTitleText("USD per 1,000 requests")
        y_axis.setTitleText(SCORE_LABELS.get(report.primary, report.primary or "quality"))
        y_axis.setRange(0, 1)
        self.chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        top = 0.0
        for row in report.rows:
            quality = report.quality(row)
            if quality is None or row.per_1k_usd is None:
                continue
            series = QScatterSeries()
            series.setName(row.candidate.title)
            series.setMarkerSize(12)
            series.append(QPointF(row.per_1k_usd, quality))
            self.chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
            top = max(top, row.per_1k_usd)
        x_axis.setRange(0, top * 1.15 or 1.0)

    def _fill_examples(self) -> None:
        report = self.report
        if report is None:
            return
        wanted = self.filter.currentData()
        rows = report.rows
        columns = ["Question", "Reference", *[r.candidate.title for r in rows]]
        self.examples.clear()
        self.examples.setColumnCount(len(columns))
        self.examples.setHorizontalHeaderLabels(columns)
        shown = [e for e in report.examples if wanted is None or any(
            # "judge" is the fine-tune's (the anchor's) result against this candidate: "loss" means it lost
            (report.per_example.get((r.candidate.id, e.index)) or {}).get("judge") == wanted
            or _lost_on_score(report, r, e.index, wanted) for r in rows)]
        self.examples.setRowCount(len(shown))
        for i, example in enumerate(shown):
            self.examples.setItem(i, 0, _item(example.question))
            self.examples.setItem(i, 1, _item(example.reference))
            for c, row in enumerate(rows, start=2):
                entry = report.per_example.get((row.candidate.id, example.index)) or {}
                answer = entry.get("error") or entry.get("text") or (str(entry["tool_calls"]) if entry.get("tool_calls") else "")
                marks = ", ".join(f"{SCORE_LABELS.get(n, n)} {v:.2f}" for n, v in entry.get("scores", {}).items()
                                  if v is not None)
                judge = f"; fine-tune {entry['judge']}" if entry.get("judge") else ""
                self.examples.setItem(i, c, _item(f"{answer}\n[{marks}{judge}]"))
        self.examples.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.examples.resizeRowsToContents()

    @property
    def shown_questions(self) -> list[str]:
        return [self.examples.item(r, 0).text() for r in range(self.examples.rowCount())]


def _lost_on_score(report: Report, row, index: int, wanted: str) -> bool:
    """Without a judge, "lost" is a lower primary score than this baseline's on the same question."""
    anchor = report.anchor
    if anchor is None or row is anchor or not report.primary or report.spec.judge is not None:
        return False
    mine = (report.per_example.get((anchor.candidate.id, index)) or {}).get("scores", {}).get(report.primary)
    theirs = (report.per_example.get((row.candidate.id, index)) or {}).get("scores", {}).get(report.primary)
    if mine is None or theirs is None:
        return False
    return {"loss": mine < theirs, "win": mine > theirs, "tie": mine == theirs}[wanted]
