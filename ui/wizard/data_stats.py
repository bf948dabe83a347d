"""The statistics panel: counts, tokens, estimates, and a tokens-per-example histogram (QtCharts)."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QWidget

from backend.data import DataFormat, ValidationReport
from ui.widgets.plain import plain_label


def _label() -> QLabel:
    return plain_label(textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse, wordWrap=True)


def _whole_ticks(highest: int, most: int = 6) -> tuple[int, int]:
    """(step, top) for a count axis from 0: whole-number ticks 1, 2, 5, 10, 20, 50... apart, at most ``most``
    of them, with top >= highest."""
    highest, scale = max(1, highest), 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if highest <= step * (most - 1):
                return step, step * -(-highest // step)
        scale *= 10


class StatsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.figures: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title in (("examples", "Examples"), ("messages", "Messages per example"),
                           ("tokens", "Tokens per example"), ("total", "Tokens in all"),
                           ("longest", "Longest examples"), ("epochs", "Default epochs"),
                           ("billed", "Billed tokens"), ("price", "Estimated price"), ("rules", "Checked against")):
            self.figures[key] = _label()
            form.addRow(title + ":", self.figures[key])
        self.chart = QChart()
        self.chart.setTitle("Tokens per example")
        self.chart.legend().hide()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumWidth(320)
        layout = QHBoxLayout(self)
        left = QWidget()
        left.setLayout(form)
        layout.addWidget(left, 2)
        layout.addWidget(self.chart_view, 3)

    def show_report(self, report: ValidationReport | None) -> None:
        f = self.figures
        for label in f.values():
            label.clear()
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        if report is None:
            return
        s = report.stats
        lacking = "".join(f", {n:,} without a {role} message" for role, n in (("system", s.without_system),
                                                                             ("user", s.without_user)) if n)
        f["examples"].setText(f"{s.examples:,} read, {s.valid_examples:,} valid, {s.duplicates:,} duplicate(s)"
                              + lacking)
        f["messages"].setText(f"{s.messages.mean:.1f} on average (from {s.messages.min} to {s.messages.max})")
        f["tokens"].setText(f"{s.tokens.mean:,.0f} on average, median {s.tokens.median:,.0f}, "
                            f"95% under {s.tokens.p95:,.0f}, at most {s.tokens.max:,} ({s.tokenizer})")
        f["total"].setText(f"{s.total_tokens:,}")
        place = DataFormat(report.format).place
        f["longest"].setText(", ".join(f"{place} {line} ({n:,})" for line, n in s.longest[:5]) or "-")
        f["epochs"].setText(f"{s.default_epochs} (what the provider picks for {s.valid_examples:,} examples)")
        f["billed"].setText(f"{s.billed_tokens_per_epoch:,} x {s.default_epochs} epochs = {s.billed_tokens:,}")
        if report.price is not None:
            p = report.price
            f["price"].setText(f"about ${p.amount_usd:,.2f} on {p.model} (${p.usd_per_million_tokens:g} per 1M tokens, "
                               f"prices of {p.as_of})")
        elif report.provider in ("hf-local",):
            f["price"].setText("none: training on this computer")
        elif report.provider and not report.model:
            f["price"].setText("once you choose a model (next page)")
        else:
            f["price"].setText("no price for this provider and model" if report.provider else "choose a provider")
        f["rules"].setText(report.rules.removeprefix("Rules applied: "))
        self._histogram(s.histogram.edges, s.histogram.counts)

    def _histogram(self, edges: list[float], counts: list[int]) -> None:
        if not counts:
            return
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
        self.chart.legend().hide()
        bars = QBarSet("examples")
        bars.append([float(c) for c in counts])
        series = QBarSeries()
        series.append(bars)
        series.setBarWidth(0.95)
        self.chart.addSeries(series)
        # Bins have equal widths, so a value axis under the hidden category axis gives a readable scale.
        x = QBarCategoryAxis()
        x.append([str(i) for i in range(len(counts))])
        x.setVisible(False)
        scale = QValueAxis()
        scale.setRange(edges[0], edges[-1])
        scale.setTickType(QValueAxis.TickType.TicksDynamic)  # labels on round token counts
        scale.setTickAnchor(0)
        scale.setTickInterval(_whole_ticks(int(edges[-1] - edges[0]), 5)[0])
        scale.setLabelFormat("%d")
        scale.setTitleText("tokens per example")
        y = QValueAxis()
        step, top = _whole_ticks(max(counts))
        y.setRange(0, top)
        y.setTickCount(top // step + 1)
        y.setLabelFormat("%d")
        y.setTitleText("examples")
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(scale, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
