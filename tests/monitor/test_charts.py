"""The training charts: step ticks are whole numbers, an empty chart shows no numbers, dark follows the palette."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette

from backend.models import MetricPoint
from ui.monitor.charts import TrainingCharts, whole_tick_interval
from ui.theme import dark_palette


@pytest.mark.parametrize("last, interval", [(0, 1), (3, 1), (7, 2), (40, 10), (137, 50), (999, 200), (100_000, 20_000)])
def test_step_ticks_are_round_whole_numbers(last, interval):
    assert whole_tick_interval(last) == interval


def test_an_empty_chart_shows_no_numbers_and_points_bring_them(qtbot):
    charts = TrainingCharts()
    qtbot.addWidget(charts)
    loss = charts.loss
    assert not loss.x_axis.labelsVisible() and not loss.y_axis.labelsVisible()

    charts.smoothing.setChecked(False)
    charts.append([MetricPoint(step=s, train_loss=2.0 - s / 10) for s in (1, 2, 3)])
    assert loss.x_axis.labelsVisible() and loss.y_axis.labelsVisible()
    assert loss.x_axis.tickInterval() == 1  # three steps: ticks 0, 1, 2, 3, never "0 0 1 1 2"
    assert (loss.x_axis.min(), loss.x_axis.max()) == (0, 3)
    low, high = loss.y_axis.min(), loss.y_axis.max()
    assert low <= 1.7 and high >= 1.9  # every point inside the rounded range


def test_the_charts_follow_a_dark_palette(qtbot):
    charts = TrainingCharts()
    qtbot.addWidget(charts)
    light_background = charts.loss.chart().backgroundBrush().color()
    charts.setPalette(dark_palette())
    chart = charts.loss.chart()
    dark = dark_palette()
    assert chart.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base) != light_background
    assert chart.titleBrush().color() == dark.color(QPalette.ColorRole.Text)
    assert all(axis.labelsColor() == dark.color(QPalette.ColorRole.Text) for axis in chart.axes())
