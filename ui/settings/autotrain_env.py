"""Settings' AutoTrain box: whether AutoTrain's own environment is installed, its size, Install and Remove.

Every look at the disk (the size of ~1.5 GB of files) and every build or removal runs in a ``Task``; the build
shows its steps and can be cancelled. ``backend.autotrain`` is imported only when the box first needs it, so
the Accounts page still opens without it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ui.tasks import Task
from ui.widgets.plain import confirm, plain_label, show_error


def _state():
    from backend.autotrain import env

    found = env.state()
    return found.ready, found.state != "missing", found.describe()


def _install(progress=None, cancel=None):
    from backend.autotrain import env

    env.ensure(progress=progress, cancel=cancel)


def _remove():
    from backend.autotrain import env

    env.remove()


def _estimate() -> str:
    from backend.autotrain import env

    return env.estimate()


class AutoTrainEnvBox(QGroupBox):
    """Install, cancel and remove AutoTrain's environment; its state in one plain sentence."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("AutoTrain Advanced", parent)
        self.text = plain_label("Checking AutoTrain's environment…", wordWrap=True)
        self.bar = QProgressBar()
        self.bar.hide()
        self.install = QPushButton("Install")
        self.cancel = QPushButton("Cancel")
        self.remove = QPushButton("Remove")
        self.cancel.hide()
        for button in (self.install, self.remove):
            button.setEnabled(False)
        self.install.clicked.connect(self._install)
        self.cancel.clicked.connect(self._cancel)
        self.remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        for button in (self.install, self.cancel, self.remove):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addLayout(row)
        self.task: Task | None = None
        self.refresh()

    def refresh(self) -> None:
        self.task = Task(_state, name="autotrain-env-state").on_success(self._show).start()

    def _show(self, found) -> None:
        ready, present, sentence = found
        self.text.setText(sentence)
        self.install.setText("Repair" if present and not ready else "Install")
        self.install.setEnabled(not ready)
        self.remove.setEnabled(present)
        self.bar.hide()
        self.cancel.hide()

    def _install(self) -> None:
        if not confirm(self, "Install AutoTrain", _estimate()):
            return
        self.install.setEnabled(False)
        self.remove.setEnabled(False)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel.show()
        self.task = (Task(_install, name="autotrain-env-install").on_progress(self._progress)
                     .on_error_message(lambda text: show_error(self, "AutoTrain", text))
                     .on_finished(self.refresh).start())

    def _progress(self, progress) -> None:
        if progress.total:
            self.bar.setRange(0, int(progress.total))
            self.bar.setValue(int(progress.done))
        if progress.message:
            eta = f" (about {progress.eta_seconds / 60:.0f} min left)" if progress.eta_seconds else ""
            self.text.setText(progress.message + eta)

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _remove(self) -> None:
        if not confirm(self, "Remove AutoTrain", "Remove AutoTrain's environment? It is rebuilt the next time a run "
                       "uses AutoTrain."):
            return
        self.remove.setEnabled(False)
        self.task = (Task(_remove, name="autotrain-env-remove")
                     .on_error_message(lambda text: show_error(self, "AutoTrain", text))
                     .on_finished(self.refresh).start())
