"""Live training charts: loss (training, validation) and token accuracy, with checkpoint markers.

New points extend the kept values and the display buckets (never a recomputation of the whole curve
on each poll); smoothing is an exponential moving average that extends point by point too. The
series is then replaced with the prepared list of display points, which measured far cheaper than
``QXYSeries.append`` (benchmarks/monitor.py). Toggling smoothing rebuilds once from the raw values.
"""

from __future__ import annotations

import bisect
import math

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QLogValueAxis, QScatterSeries, QValueAxis
from PySide6.QtCore import QEvent, QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QStackedLayout, QVBoxLayout, QWidget

from backend.models import Checkpoint, MetricPoint
from ui.widgets.plain import plain_label, plain_tooltip

SMOOTHING = 0.9  # weight of the running average (TensorBoard's slider at 0.9)
TRAIN, VALID = QColor("#3b82f6"), QColor("#f59e0b")


class _Buckets:
    """Display points for a long curve: each bucket of ``width`` steps shows as its lowest and highest point.

    A chart a thousand pixels wide cannot show 100,000 points, and QXYSeries appends one point at a
    time (quadratic in the series' length), so the series gets at most about ``2 * LIMIT`` points,
    replaced as one prepared list; buckets merge pairwise when there are too many.
    """

    LIMIT = 600  # buckets: a chart is a few hundred pixels wide

    def __init__(self):
        self.width = 1
        self.done: list[list[tuple[float, float]]] = []  # reduced buckets, in order
        self.tail: list[tuple[float, float]] = []
        self._shown: list[QPointF] = []  # the done buckets as display points, extended as buckets complete

    @staticmethod
    def _reduce(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if len(points) <= 2:
            return points
        low = min(points, key=lambda p: p[1])
        high = max(points, key=lambda p: p[1])
        return [low, high] if low[0] <= high[0] else [high, low]

    def add(self, points: list[tuple[float, float]]) -> None:
        if not self.done and not self.tail and len(points) > 2 * self.LIMIT:
            self._add_many(points)
            return
        for point in points:
            self.tail.append(point)
            if len(self.tail) >= self.width:
                bucket = self._reduce(self.tail)
                self.done.append(bucket)
                self._shown += [QPointF(x, y) for x, y in bucket]
                self.tail = []
        if len(self.done) > self.LIMIT:
            while len(self.done) > self.LIMIT:
                self.width *= 2
                self.done = [self._reduce(a + b) for a, b in zip(self.done[::2], self.done[1::2])] + \
                    ([self.done[-1]] if len(self.done) % 2 else [])
            self._shown = [QPointF(x, y) for bucket in self.done for x, y in bucket]

    def _add_many(self, points: list[tuple[float, float]]) -> None:
        """A whole history at once (a job opened with 100,000 points): bucketed with numpy."""
        import numpy as np

        while len(points) / self.width > self.LIMIT:
            self.width *= 2
        full = len(points) // self.width * self.width
        xy = np.asarray(points[:full], dtype=float).reshape(-1, self.width, 2)
        rows = np.arange(len(xy))
        low, high = xy[rows, xy[:, :, 1].argmin(axis=1)], xy[rows, xy[:, :, 1].argmax(axis=1)]
        first = np.where((low[:, 0] <= high[:, 0])[:, None], low, high)
        second = np.where((low[:, 0] <= high[:, 0])[:, None], high, low)
        self.done = [[(a[0], a[1]), (b[0], b[1])] if a[0] != b[0] else [(a[0], a[1])]
                     for a, b in zip(first.tolist(), second.tolist())]
        self._shown = [QPointF(x, y) for bucket in self.done for x, y in bucket]
        self.tail = list(points[full:])

    def points(self) -> list[QPointF]:
        return self._shown + [QPointF(x, y) for x, y in self._reduce(self.tail)]


class _Curve:
    """One metric's raw values, the values shown (smoothed or not) and its series."""

    def __init__(self, field: str, name: str = "", colour: QColor | None = None, *, smoothed: bool = True,
                 series: bool = True):
        self.field = field
        self.smoothed = smoothed
        self.series: QLineSeries | None = None  # None: a curve prepared on a worker thread, adopted later
        if series:
            self.series = QLineSeries()
            self.series.setName(name)
            pen = QPen(colour)
            pen.setWidthF(1.6)
            self.series.setPen(pen)
        self.steps: list[int] = []
        self.values: list[float] = []
        self.shown: list[float] = []
        self.buckets = _Buckets()
        self._average: float | None = None
        self.low, self.high = math.inf, -math.inf

    def _extend(self, new: list[tuple[int, float]], smooth: bool) -> None:
        shown = []
        average = self._average
        smooth = smooth and self.smoothed
        for _step, value in new:
            if smooth:
                average = value if average is None else SMOOTHING * average + (1 - SMOOTHING) * value
                value = average
            shown.append(value)
        self._average = average
        self.steps += [s for s, _ in new]
        self.values += [v for _, v in new]
        self.shown += shown
        self.buckets.add(list(zip((s for s, _ in new), shown)))
        self.low, self.high = min(self.low, *shown), max(self.high, *shown)
        if self.series is not None:
            self.series.replace(self.buckets.points())

    def add(self, points: list[MetricPoint], smooth: bool) -> None:
        new = [(p.step, v) for p in points if (v := getattr(p, self.field)) is not None and math.isfinite(v)]
        if self.steps:
            new = [(s, v) for s, v in new if s > self.steps[-1]]
        if new:
            self._extend(new, smooth)

    def rebuild(self, smooth: bool) -> None:
        raw = list(zip(self.steps, self.values))
        self.steps, self.values, self.shown = [], [], []
        self.buckets, self._average = _Buckets(), None
        self.low, self.high = math.inf, -math.inf
        if raw:
            self._extend(raw, smooth)
        else:
            self.series.clear()

    def adopt(self, prepared: "_Curve") -> None:
        """Take the values and display points a worker prepared; only the series update runs here."""
        for name in ("steps", "values", "shown", "buckets", "_average", "low", "high"):
            setattr(self, name, getattr(prepared, name))
        self.series.replace(self.buckets.points())

    def value_at(self, step: int) -> float | None:
        """The shown value at ``step`` (a checkpoint's position on the curve)."""
        i = bisect.bisect_left(self.steps, step)
        return self.shown[i] if i < len(self.steps) and self.steps[i] == step else None

    def count(self) -> int:
        return len(self.steps)


def whole_tick_interval(last: int, ticks: int = 6) -> int:
    """A round whole number of steps between x-axis ticks (1, 2, 5, 10, 20, 50 ...), about ``ticks`` of them
    up to ``last``: step labels are never fractions shown twice ("0 0 1 1 2")."""
    raw = max(1.0, last / max(1, ticks - 1))
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


class MetricChart(QChartView):
    """One chart of a training and a validation curve over steps."""

    def __init__(self, title: str, train: str, valid: str, *, log_capable: bool):
        chart = QChart()
        chart.setTitle(title)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        # Validation figures are already averages over a set, and often sparse: a running average over
        # them would lag by many steps, so only the training curve is smoothed.
        self.curves = [_Curve(train, "training", TRAIN), _Curve(valid, "validation", VALID, smoothed=False)]
        self.markers = QScatterSeries()
        self.markers.setName("checkpoints")
        self.markers.setMarkerSize(9)
        self.markers.setColor(QColor("#2e9d5b"))
        self.x_axis = QValueAxis()
        self.x_axis.setLabelFormat("%d")
        self.x_axis.setTitleText("step")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.y_axis: QValueAxis | QLogValueAxis = QValueAxis()
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in [c.series for c in self.curves] + [self.markers]:
            chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
        self.log_capable = log_capable
        self.smooth = True
        self.log = False
        self.checkpoint_steps: list[int] = []
        self._legend_shown: list[bool] | None = None  # which legend entries are shown (series with data)
        self.x_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        self.x_axis.setTickAnchor(0)
        self._follow_palette()
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()

    def _follow_palette(self) -> None:
        """Colours from the widget's palette, so the chart is dark in the dark theme (the series keep theirs)."""
        palette = self.palette()
        text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
        grid = palette.color(QPalette.ColorRole.Mid)
        chart = self.chart()
        chart.setBackgroundBrush(base)
        chart.setTitleBrush(text)
        chart.legend().setLabelColor(text)
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Window))
        for axis in chart.axes():
            axis.setLabelsColor(text)
            axis.setTitleBrush(text)
            axis.setLinePenColor(grid)
            axis.setGridLineColor(grid.lighter(120) if base.lightness() >= 128 else grid.darker(120))

    def append(self, points: list[MetricPoint]) -> None:
        for curve in self.curves:
            curve.add(points, self.smooth)
        self._fit()

    def replace(self, points: list[MetricPoint]) -> None:
        for curve in self.curves:
            curve.steps, curve.values = [], []
            curve.rebuild(self.smooth)
            curve.add(points, self.smooth)
        self._mark()
        self._fit()

    def adopt(self, prepared: dict[str, _Curve], smooth: bool) -> None:
        """Show a history prepared off the GUI thread by ``TrainingCharts.prepare``."""
        for curve in self.curves:
            curve.adopt(prepared[curve.field])
            if smooth != self.smooth:  # the switch moved while the history was being prepared
                curve.rebuild(self.smooth)
        self._mark()
        self._fit()

    def set_checkpoints(self, steps: list[int]) -> None:
        self.checkpoint_steps = steps
        self._mark()

    def set_smoothing(self, on: bool) -> None:
        self.smooth = on
        for curve in self.curves:
            curve.rebuild(on)
        self._mark()
        self._fit()

    def set_log(self, on: bool) -> None:
        if not self.log_capable or on == self.log:
            return
        self.log = on
        chart = self.chart()
        chart.removeAxis(self.y_axis)
        self.y_axis = QLogValueAxis() if on else QValueAxis()
        if on:
            self.y_axis.setLabelFormat("%.3g")
            self.y_axis.setMinorTickCount(-1)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in [c.series for c in self.curves] + [self.markers]:
            series.attachAxis(self.y_axis)
        self._follow_palette()
        self._fit()

    def _mark(self) -> None:
        train = self.curves[0]
        self.markers.replace([QPointF(s, v) for s in self.checkpoint_steps if (v := train.value_at(s)) is not None])
        self._legend()

    def _legend(self) -> None:
        """Only series with data are named: no "validation" entry for a job without a validation set."""
        legend = self.chart().legend()
        wanted = [(c.series, bool(c.steps)) for c in self.curves] + [(self.markers, self.markers.count() > 0)]
        if [shown for _, shown in wanted] == self._legend_shown:
            return
        self._legend_shown = [shown for _, shown in wanted]
        for series, shown in wanted:
            for marker in legend.markers(series):
                marker.setVisible(shown)
        legend.layout().invalidate()  # a marker shown again kept no room for its label until the next resize

    def legend_names(self) -> list[str]:
        """The legend's visible entries."""
        return [m.label() for m in self.chart().legend().markers() if m.isVisible()]

    def _fit(self) -> None:
        steps = [c.steps[-1] for c in self.curves if c.steps]
        last = max(steps) if steps else 0
        interval = whole_tick_interval(last)
        self.x_axis.setTickInterval(interval)
        self.x_axis.setRange(0, max(interval, math.ceil(last / interval) * interval))
        lows = [c.low for c in self.curves if c.steps]
        highs = [c.high for c in self.curves if c.steps]
        for axis in (self.x_axis, self.y_axis):  # an empty chart shows no made-up numbers
            axis.setLabelsVisible(bool(lows))
        self._legend()
        if not lows:
            return
        low, high = min(lows), max(highs)
        if self.log:
            low = max(low, 1e-6)
            self.y_axis.setRange(low * 0.9, high * 1.1)
        else:
            pad = (high - low) * 0.05 or 0.05
            self.y_axis.setRange(max(0.0, low - pad) if low >= 0 else low - pad, high + pad)
            self.y_axis.applyNiceNumbers()  # round tick values (0.5, 1.0, 1.5), not 2.5236


class TrainingCharts(QWidget):
    """Loss and token accuracy side by side, with the smoothing and log-axis switches above them; with no
    figures at all and an ``empty_text`` set, that sentence in their place (no empty axes that look broken)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss = MetricChart("Loss", "train_loss", "valid_loss", log_capable=True)
        self.accuracy = MetricChart("Token accuracy", "train_accuracy", "valid_accuracy", log_capable=False)
        self.smoothing = QCheckBox("Smoothing", checked=True)
        self.smoothing.setToolTip(plain_tooltip(f"Running average of the training curves (weight {SMOOTHING})"))
        self.log_axis = QCheckBox("Log scale (loss)")
        self.smoothing.toggled.connect(self._set_smoothing)
        self.log_axis.toggled.connect(self.loss.set_log)
        switches = QHBoxLayout()
        switches.addWidget(self.smoothing)
        switches.addWidget(self.log_axis)
        switches.addStretch(1)
        charts = QHBoxLayout()
        charts.addWidget(self.loss)
        charts.addWidget(self.accuracy)
        self.body = QWidget()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(switches)
        layout.addLayout(charts, 1)
        self.empty = plain_label(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter, accessibleName="No figures")
        self.empty.setProperty("role", "subtitle")
        self.empty_text: str | None = None
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.body)
        self.stack.addWidget(self.empty)

    def set_empty_text(self, text: str | None) -> None:
        """The sentence shown instead of the charts while there are no figures (None: the empty charts)."""
        self.empty_text = text
        self._show_empty()

    def has_figures(self) -> bool:
        return any(curve.steps for chart in (self.loss, self.accuracy) for curve in chart.curves)

    def showing_empty_text(self) -> bool:
        return self.stack.currentWidget() is self.empty

    def _show_empty(self) -> None:
        empty = self.empty_text is not None and not self.has_figures()
        self.empty.setText(self.empty_text or "")
        self.stack.setCurrentWidget(self.empty if empty else self.body)

    def _set_smoothing(self, on: bool) -> None:
        self.loss.set_smoothing(on)
        self.accuracy.set_smoothing(on)

    def append(self, points: list[MetricPoint]) -> None:
        self.loss.append(points)
        self.accuracy.append(points)
        self._show_empty()

    def replace(self, points: list[MetricPoint]) -> None:
        self.loss.replace(points)
        self.accuracy.replace(points)
        self._show_empty()

    @staticmethod
    def prepare(points: list[MetricPoint], smooth: bool) -> dict[str, _Curve]:
        """Worker thread: a whole history's curves, ready for ``adopt`` (100,000 points take a while)."""
        prepared = {}
        for field, smoothed in (("train_loss", True), ("valid_loss", False), ("train_accuracy", True),
                                ("valid_accuracy", False)):
            curve = _Curve(field, smoothed=smoothed, series=False)
            curve.add(points, smooth)
            prepared[field] = curve
        return prepared

    def adopt(self, prepared: dict[str, _Curve], smooth: bool) -> None:
        self.loss.adopt(prepared, smooth)
        self.accuracy.adopt(prepared, smooth)
        self._show_empty()

    def set_checkpoints(self, checkpoints: list[Checkpoint]) -> None:
        steps = [c.step for c in checkpoints]
        self.loss.set_checkpoints(steps)
        self.accuracy.set_checkpoints(steps)

    def point_count(self) -> int:
        """Training-loss points received (the series itself may show fewer: see ``_Buckets``)."""
        return self.loss.curves[0].count()
