"""The review page's "Save AutoTrain config…" button: the wizard's choices as a YAML that ``autotrain --config``
runs as it is, with the staged data (and a readable model copy where needed) beside it.

Shown for training on this computer only. Staging the data (and a first download of a Hub model) runs in a
``Task``, cancellable, never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from ui.tasks import Task
from ui.widgets.plain import plain_message_box, show_error


def save(opened: Callable, config, out: str, progress=None, cancel=None) -> str:
    """Stage ``config``'s data as for a local run (without building AutoTrain's environment) and write the YAML."""
    from backend.autotrain.export import save_config
    from backend.staging import discard

    staging = config.model_copy(update={"options": {k: v for k, v in config.options.items() if k != "trainer"}})
    data = opened(config.provider, config.account_id).prepare_data(staging, progress=progress, cancel=cancel)
    try:
        return str(save_config(config, data, out))
    finally:
        discard(data.staged)


class SaveAutoTrainButton(QPushButton):
    """``config_of()`` gives the wizard's configuration (or raises); ``opened`` is the wizard's provider opener."""

    def __init__(self, config_of: Callable, opened: Callable, parent: QWidget | None = None):
        super().__init__("Save AutoTrain config…", parent, accessibleName="Save as an AutoTrain config")
        self.setToolTip("Write these settings as an AutoTrain Advanced 0.8.36 config (YAML) with its data, to run "
                        "with `autotrain --config FILE` here or elsewhere.")
        self.config_of, self.opened = config_of, opened
        self.task: Task | None = None
        self.clicked.connect(self._save)

    def _save(self) -> None:
        try:
            config = self.config_of()
        except Exception as exc:  # noqa: BLE001 - a draft the pages did not finish: say so, never a traceback
            show_error(self, "Save AutoTrain config", str(exc))
            return
        out, _ = QFileDialog.getSaveFileName(self, "Save AutoTrain config", "autotrain.yml", "YAML (*.yml *.yaml)")
        if not out:
            return
        self.setEnabled(False)
        self.task = (Task(save, self.opened, config, out, name="save autotrain config")
                     .on_success(lambda path: plain_message_box(
                         self, "AutoTrain config saved", f"Saved {path}. Run it with: autotrain --config {path}").exec())
                     .on_error_message(lambda text: show_error(self, "Save AutoTrain config", text))
                     .on_finished(lambda: self.setEnabled(True)).start())
