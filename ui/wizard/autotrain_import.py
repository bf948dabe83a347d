"""The wizard's "Import AutoTrain config…" button: an AutoTrain config (or project folder) becomes a pre-filled
draft, like a cloned job, with a plain list of what the app could not map.

The file is read in a ``Task``; the user then reviews every page (the data may need mapping, the model a download)
before the review page.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QWizard

from ui.tasks import Task
from ui.widgets.plain import plain_message_box, show_error


def read_as_config(path: str):
    """(TrainingConfig fields for the wizard, the import's not-mapped lines)."""
    from backend.autotrain.importer import read, to_training_config
    from backend.providers import local_runner

    imported = read(path)
    config = to_training_config(imported, local_runner())
    return config.model_dump(), imported.not_mapped


def summary(not_mapped: list[str]) -> str:
    if not not_mapped:
        return "Every setting of the AutoTrain config was mapped. Check each page, then launch or save it again."
    return ("Imported. These settings could not be mapped:\n\n" + "\n".join(f"• {line}" for line in not_mapped)
            + "\n\nCheck each page, then launch or save it again.")


def add_button(wizard: QWizard, restart: Callable[[dict], None]) -> None:
    """Put the button in ``wizard``'s button row; ``restart(fields)`` starts a wizard pre-filled from them."""
    wizard.setButtonText(QWizard.WizardButton.CustomButton1, "Import AutoTrain config…")
    wizard.setOption(QWizard.WizardOption.HaveCustomButton1, True)
    state: dict = {}

    def chosen() -> None:
        path, _ = QFileDialog.getOpenFileName(wizard, "Import AutoTrain config", "", "AutoTrain config (*.yml *.yaml *.json)")
        if not path:
            return

        def done(result) -> None:
            fields, not_mapped = result
            restart(fields)
            plain_message_box(wizard.parentWidget(), "AutoTrain config imported", summary(not_mapped)).exec()

        state["task"] = (Task(read_as_config, path, name="import autotrain config").on_success(done)
                         .on_error_message(lambda text: show_error(wizard, "Import AutoTrain config", text)).start())

    wizard.customButtonClicked.connect(lambda which: chosen() if which == QWizard.WizardButton.CustomButton1 else None)
