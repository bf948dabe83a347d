"""The wizard's "Import AutoTrain config…" button: an AutoTrain config (or project folder) becomes a pre-filled
draft, like a cloned job, with a plain list of what the app could not map.

The file is read in a ``Task``; the pre-filled wizard then walks itself to the review page through each page's
own Next (``walk_to_review``), so every page initialises and stores its part of the draft as it would if the user
clicked through. A page that cannot go on (its data needs mapping, its model folder is missing) keeps the user
there, with that page's own message; what was not mapped is said in a message either way.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
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
        return ("Every setting of the AutoTrain config was mapped. Check the review, then launch or save it again "
                "(the step bar goes back to any page).")
    return ("Imported. These settings could not be mapped:\n\n" + "\n".join(f"• {line}" for line in not_mapped)
            + "\n\nCheck the review, then launch or save it again (the step bar goes back to any page).")


class ReviewWalk(QObject):
    """Clicks ``wizard``'s Next for the user while each page is complete, until the review page (``on_end(True)``)
    or a page that stays incomplete or refuses Next (the walk waits there for it to complete; it ends,
    ``on_end(False)``, when Next is refused or the user moves the wizard themselves).

    Each step is ``QWizard.next``, never a jump: ``initializePage`` and ``validatePage`` run on every page, so
    the draft the review shows is what clicking through would give. Steps are queued (``QTimer``), never taken
    inside a page's ``completeChanged``."""

    def __init__(self, wizard: QWizard, review_id: int, on_end: Callable[[bool], None]):
        super().__init__(wizard)
        self.wizard, self.review_id, self.on_end = wizard, review_id, on_end
        self.expected = wizard.currentId()
        self.ended = False
        wizard.currentIdChanged.connect(self._moved)
        for page_id in wizard.pageIds():
            wizard.page(page_id).completeChanged.connect(self._later)
        self._later()

    def _later(self) -> None:
        if not self.ended:
            QTimer.singleShot(0, self._step)

    def _moved(self, page_id: int) -> None:
        if page_id != self.expected:  # the user went elsewhere: leave the wizard to them
            self._end(False)

    def _step(self) -> None:
        if self.ended or self.wizard.currentId() != self.expected:
            return
        if self.expected == self.review_id:
            self._end(True)
            return
        page = self.wizard.currentPage()
        if page is None or not page.isComplete():
            return  # wait for the page (its data check, its model) to complete
        self.expected = self.wizard.nextId()
        before = self.wizard.currentId()
        self.wizard.next()
        if self.wizard.currentId() == before:  # validatePage refused, with its own message: stay
            self._end(False)
        else:
            self._later()

    def _end(self, reached: bool) -> None:
        if self.ended:
            return
        self.ended = True
        self.wizard.currentIdChanged.disconnect(self._moved)
        self.on_end(reached)


def walk_to_review(wizard: QWizard, on_end: Callable[[bool], None] = lambda _reached: None) -> ReviewWalk:
    """Walk a freshly pre-filled ``wizard`` to its review page (see ``ReviewWalk``)."""
    from ui.wizard.wizard import REVIEW

    return ReviewWalk(wizard, REVIEW, on_end)


def add_button(wizard: QWizard, restart: Callable[[dict], QWizard]) -> None:
    """Put the button in ``wizard``'s button row; ``restart(fields)`` starts (and returns) a wizard pre-filled from
    them, which then walks to its review page."""
    wizard.setButtonText(QWizard.WizardButton.CustomButton1, "Import AutoTrain config…")
    wizard.setOption(QWizard.WizardOption.HaveCustomButton1, True)
    state: dict = {}

    def chosen() -> None:
        path, _ = QFileDialog.getOpenFileName(wizard, "Import AutoTrain config", "", "AutoTrain config (*.yml *.yaml *.json)")
        if not path:
            return

        def done(result) -> None:
            fields, not_mapped = result
            parent = wizard.parentWidget()
            fresh = restart(fields)
            fresh.import_walk = walk_to_review(fresh)
            box = plain_message_box(parent, "AutoTrain config imported", summary(not_mapped))
            fresh.import_message = box
            box.open()  # window-modal, not a nested event loop: the walk goes on behind it

        state["task"] = (Task(read_as_config, path, name="import autotrain config").on_success(done)
                         .on_error_message(lambda text: show_error(wizard, "Import AutoTrain config", text)).start())

    # The signal carries the button as a plain int, which never equals PySide6's enum member: compare values.
    custom = QWizard.WizardButton.CustomButton1.value
    wizard.customButtonClicked.connect(lambda which: chosen() if int(which) == custom else None)
