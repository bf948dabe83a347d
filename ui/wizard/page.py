"""The main window's "New fine-tune" page: hosts the wizard, restarts it, and pre-fills it for a clone."""

from __future__ import annotations

from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from backend.models import TrainingConfig
from ui.wizard.draft import WizardDraft
from ui.wizard.wizard import FineTuneWizard


class NewFineTunePage(QWidget):
    def __init__(self, context, *, accounts=None, open_provider=None, parent=None):
        super().__init__(parent)
        self.context = context
        self._accounts = accounts
        self._open_provider = open_provider
        self.wizard: FineTuneWizard | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        # Each wizard page has its own minimum size; letting it resize the window on every Next is jumpy.
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.restart()
        context.clone_job.connect(self.clone)
        self._reconcile()

    def _reconcile(self) -> None:
        """Settle launches a crash left half-done (the app does it once, at start or here)."""
        self.reconciling = self.context.reconcile_launches(open_provider=self._open_provider)

    def restart(self, draft: WizardDraft | None = None) -> FineTuneWizard:
        """A fresh wizard (pre-filled from ``draft``) on its first page."""
        if self.wizard is not None:
            self._layout.removeWidget(self.wizard)
            self.wizard.deleteLater()
        self.wizard = FineTuneWizard(self.context, draft, accounts=self._accounts,
                                     open_provider=self._open_provider, parent=self)
        self.wizard.finished.connect(lambda _result: self.restart())
        self._layout.addWidget(self.wizard)
        self.wizard.show()
        return self.wizard

    def clone(self, job_id: str) -> None:
        """Start over from an earlier job's settings; the user reviews every page again."""
        job = self.context.store.get_job(job_id)
        if job is None:
            return
        fields = {k: v for k, v in job.config.items() if k in TrainingConfig.model_fields}
        fields.setdefault("provider", job.provider)
        fields.setdefault("base_model", job.base_model)
        fields.setdefault("training_file", "")
        draft = WizardDraft.from_config(TrainingConfig.model_validate(fields))
        self.restart(draft)
        self.context.navigate.emit("new")
