"""The wizard's step indicator: Provider, Data, Model, Review, with the current step marked.

A completed step (visited before the current one) is a button that goes back to it, through the wizard's own
Back (``QWizard.back``), so each page's ``cleanupPage`` runs as it would on Back. A step not reached yet cannot
be clicked: the pages in between decide whether the user may go on. Once a job is launched the steps are
still shown but no longer go back (the wizard offers "Start another").
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QWidget, QWizard

from ui.widgets.plain import plain_label, plain_tooltip


class StepBar(QWidget):
    def __init__(self, wizard: QWizard, steps: list[tuple[str, frozenset[int]]], *,
                 locked: Callable[[], bool] = lambda: False, parent: QWidget | None = None):
        super().__init__(parent)
        self.wizard = wizard
        self.locked = locked  # True once going back makes no sense (the job is launched)
        self.steps = steps  # (name, the wizard page ids that make the step)
        self.buttons: list[QPushButton] = []
        self.setAccessibleName("Steps")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for index, (name, _ids) in enumerate(steps):
            if index:
                layout.addWidget(plain_label("›"))
            button = QPushButton(f"{index + 1}  {name}", flat=True)
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, i=index: self.go_to(i))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        wizard.currentIdChanged.connect(self.refresh)
        for page_id in wizard.pageIds():
            wizard.page(page_id).completeChanged.connect(self.refresh)
        self.refresh()

    def current(self) -> int:
        """The index of the step the wizard is on (0 before it starts)."""
        page = self.wizard.currentId()
        return next((i for i, (_name, ids) in enumerate(self.steps) if page in ids), 0)

    def done(self, index: int) -> bool:
        """Whether step ``index`` was completed: visited, and before the current step."""
        visited = set(self.wizard.visitedIds()) - {self.wizard.currentId()}
        return index < self.current() and bool(visited & self.steps[index][1])

    def refresh(self, *_args) -> None:
        current = self.current()
        locked = self.locked()
        for index, button in enumerate(self.buttons):
            name = self.steps[index][0]
            done = self.done(index)
            button.setEnabled(done and not locked)
            font = button.font()
            font.setBold(index == current)
            button.setFont(font)
            state = "current step" if index == current else "done: click to go back" if done and not locked \
                else "done" if done else "not reached yet"
            button.setAccessibleName(f"Step {index + 1} of {len(self.steps)}: {name} ({state})")
            button.setToolTip(plain_tooltip(f"{name}: {state}"))

    def go_to(self, index: int) -> None:
        """Go back to completed step ``index`` (never forward)."""
        while self.done(index) and self.current() > index and not self.locked():
            before = self.wizard.currentId()
            self.wizard.back()
            if self.wizard.currentId() == before:  # Back refused: stay
                break
