"""The statistics panel: counts, tokens, estimates, and a tokens-per-example histogram (QtCharts).

It speaks the chosen provider's language (its class's facts): billed tokens and a price only where the provider
bills tokens, the epochs "Auto" means as that provider says, and which tokenizer counted."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QScrollArea, QWidget

from backend.data import DataFormat, ValidationReport
from backend.data.profile import TokenizerSource
from backend.words import plural
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
        self.form = form = QFormLayout()
        for key, title in (("examples", "Examples"), ("messages", "Messages per example"),
                           ("tokens", "Tokens per example"), ("total", "Tokens in all"), ("counted", "Counted with"),
                           ("longest", "Longest examples"), ("epochs", "Epochs on Auto"),
                           ("billed", "Billed tokens"), ("price", "Cost"), ("rules", "Checked against")):
            self.figures[key] = _label()
            form.addRow(title + ":", self.figures[key])
        self.chart = QChart()
        self.chart.setTitle("Tokens per example")
        self.chart.legend().hide()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        # One set of axes for the chart's life, only their ranges change: axes removed and added again on every
        # report left their drawings in the scene (two overlapping sets of axes after a re-validation).
        self.x_axis = QBarCategoryAxis()
        self.x_axis.setVisible(False)
        self.scale_axis = QValueAxis()
        self.scale_axis.setTickType(QValueAxis.TickType.TicksDynamic)  # labels on round token counts
        self.scale_axis.setTickAnchor(0)
        self.scale_axis.setLabelFormat("%d")
        self.scale_axis.setTitleText("tokens per example")
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%d")
        self.y_axis.setTitleText("examples")
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.scale_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self._show_axes(False)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumWidth(320)
        layout = QHBoxLayout(self)
        left = QWidget()
        left.setLayout(form)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(left)  # a long list of figures scrolls rather than being cut off
        layout.addWidget(scroll, 1)
        layout.addWidget(self.chart_view, 1)

    def show_report(self, report: ValidationReport | None, provider=None) -> None:
        """Show ``report``'s figures as ``provider`` (the chosen provider's class, None before one is chosen) words
        them."""
        f = self.figures
        for label in f.values():
            label.clear()
        self.chart.removeAllSeries()
        self._show_axes(False)
        if report is None:
            return
        from backend.data.tokens import tokenizer_words
        from backend.providers.base import CostKind

        s = report.stats
        lacking = "".join(f", {plural(n, 'example')} without a {role} message"
                          for role, n in (("system", s.without_system), ("user", s.without_user)) if n)
        f["examples"].setText(f"{s.examples:,} read, {s.valid_examples:,} valid, {plural(s.duplicates, 'duplicate')}"
                              + lacking)
        f["messages"].setText(f"{s.messages.mean:.1f} on average (from {s.messages.min} to {s.messages.max})")
        f["tokens"].setText(f"{s.tokens.mean:,.0f} on average, median {s.tokens.median:,.0f}, "
                            f"95% under {s.tokens.p95:,.0f}, at most {s.tokens.max:,}")
        f["total"].setText(f"{s.total_tokens:,}")
        profile = provider.data if provider is not None else None
        own = profile is not None and profile.tokenizer is TokenizerSource.MODEL_FOLDER
        f["counted"].setText(tokenizer_words(s.tokenizer, own_expected=own))
        place = DataFormat(report.format).place
        f["longest"].setText(", ".join(f"{place} {line} ({n:,})" for line, n in s.longest[:5]) or "-")
        here = provider is not None and provider.cost_kind is CostKind.THIS_COMPUTER
        billed = profile is not None and profile.price_table is not None and not here
        epochs = provider.auto_epochs(s.valid_examples) if provider is not None else None
        if epochs is not None:
            f["epochs"].setText(f"{epochs} for {plural(s.valid_examples, 'example')} ("
                                + ("you can change them on the next page)" if here else
                                   f"what {provider.label} picks; you can set them on the next page)"))
        self.form.setRowVisible(f["epochs"], epochs is not None)
        if billed:
            f["billed"].setText(f"{s.billed_tokens_per_epoch:,} × {plural(s.default_epochs, 'epoch')} = "
                                f"{s.billed_tokens:,}")
        self.form.setRowVisible(f["billed"], billed)
        if report.price is not None:
            p = report.price
            f["price"].setText(f"about ${p.amount_usd:,.2f} on {p.model} (${p.usd_per_million_tokens:g} per 1M tokens, "
                               f"prices of {p.as_of})")
        elif here:
            f["price"].setText("nothing to pay: training on this computer")
        elif provider is not None and not billed:
            f["price"].setText(f"nothing to pay per token with {provider.label}")
        elif report.provider and not report.model:
            f["price"].setText("once you choose a model (next page)")
        else:
            f["price"].setText("no price for this provider and model" if report.provider else "choose a provider")
        f["rules"].setText(report.rules.removeprefix("Rules applied: "))
        self._histogram(s.histogram.edges, s.histogram.counts)

    def _show_axes(self, shown: bool) -> None:
        self.scale_axis.setVisible(shown)
        self.y_axis.setVisible(shown)

    def _histogram(self, edges: list[float], counts: list[int]) -> None:
        if not counts:
            return
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        theme = QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight
        if self.chart.theme() != theme:
            self.chart.setTheme(theme)
        self.chart.legend().hide()
        bars = QBarSet("examples")
        bars.append([float(c) for c in counts])
        series = QBarSeries()
        series.append(bars)
        series.setBarWidth(0.95)
        self.chart.addSeries(series)
        # Bins have equal widths, so a value axis under the hidden category axis gives a readable scale.
        self.x_axis.setCategories([str(i) for i in range(len(counts))])
        self.scale_axis.setRange(edges[0], edges[-1])
        self.scale_axis.setTickInterval(_whole_ticks(int(edges[-1] - edges[0]), 5)[0])
        step, top = _whole_ticks(max(counts))
        self.y_axis.setRange(0, top)
        self.y_axis.setTickCount(top // step + 1)
        series.attachAxis(self.x_axis)
        series.attachAxis(self.y_axis)
        self._show_axes(True)
