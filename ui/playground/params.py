"""The generation parameters every pane shares: temperature, top_p, max tokens, stop sequences, seed."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from backend.models import ChatParams
from ui.widgets.plain import plain_label

STOP_SEPARATOR = "|"


class ParamsBar(QWidget):
    """A row of fields; the lowest value of a spin box means "the model's default" (shown as such)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.temperature = self._double(-0.1, 2.0, 0.1, "default")
        self.top_p = self._double(-0.05, 1.0, 0.05, "default")
        self.max_tokens = QSpinBox(minimum=1, maximum=131072, value=512, singleStep=64)
        self.max_tokens.setAccessibleName("Max tokens")
        self.stop = QLineEdit()
        self.stop.setPlaceholderText(f"stop sequences, separated by {STOP_SEPARATOR}")
        self.stop.setAccessibleName("Stop sequences")
        self.seed = QSpinBox(minimum=-1, maximum=2**31 - 1, value=-1)
        self.seed.setSpecialValueText("random")
        self.seed.setAccessibleName("Seed")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Temperature", self.temperature), ("Top p", self.top_p),
                              ("Max tokens", self.max_tokens), ("Stop", self.stop), ("Seed", self.seed)):
            layout.addWidget(plain_label(label))
            layout.addWidget(widget, 2 if widget is self.stop else 0)
        self.temperature.setAccessibleName("Temperature")
        self.top_p.setAccessibleName("Top p")

    @staticmethod
    def _double(low: float, high: float, step: float, special: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox(minimum=low, maximum=high, singleStep=step, decimals=2)
        box.setSpecialValueText(special)
        box.setValue(low)
        return box

    def params(self) -> ChatParams:
        def value(box: QDoubleSpinBox) -> float | None:
            return None if box.value() <= box.minimum() else round(box.value(), 2)

        stops = [s for s in self.stop.text().split(STOP_SEPARATOR) if s]
        return ChatParams(temperature=value(self.temperature), top_p=value(self.top_p),
                          max_tokens=self.max_tokens.value(), stop=stops[:4],
                          seed=None if self.seed.value() < 0 else self.seed.value())

    def set_params(self, params: ChatParams) -> None:
        self.temperature.setValue(self.temperature.minimum() if params.temperature is None else params.temperature)
        self.top_p.setValue(self.top_p.minimum() if params.top_p is None else params.top_p)
        self.max_tokens.setValue(params.max_tokens or 512)
        self.stop.setText(STOP_SEPARATOR.join(params.stop))
        self.seed.setValue(-1 if params.seed is None else params.seed)
