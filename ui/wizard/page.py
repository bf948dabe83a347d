"""The main window's "New fine-tune" page: hosts the wizard, restarts it, and pre-fills it for a clone."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtWidgets import QLayout, QStyle, QWidget

from backend.models import TrainingConfig
from ui.widgets.header import PAGE_MARGINS, PAGE_SPACING, PageHeader, page_layout
from ui.wizard.draft import WizardDraft
from ui.wizard.wizard import FineTuneWizard


class NewFineTunePage(QWidget):
    def __init__(self, context, *, accounts=None, open_provider=None, parent=None):
        super().__init__(parent)
        self.context = context
        self._accounts = accounts
        self._open_provider = open_provider
        self.wizard: FineTuneWizard | None = None
        self.header = PageHeader("New fine-tune", "From your examples to a training job in four steps.")
        self._layout = page_layout(self, self.header)
        # The wizard draws its own margin around each step: the page's margin less that one lines the
        # step's title up with the page's.
        inset = self.style().pixelMetric(QStyle.PixelMetric.PM_LayoutLeftMargin)
        left, top, right, bottom = PAGE_MARGINS
        self._layout.setContentsMargins(left - inset, top, right - inset, bottom - inset)
        self.header.setContentsMargins(inset, 0, inset, 0)
        self._layout.setSpacing(PAGE_SPACING - inset)
        # Each wizard page has its own minimum size; letting it resize the window on every Next is jumpy.
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.restart()
        context.serve("new", self)  # clone_job requests
        self._reconcile()

    def _reconcile(self) -> None:
        """Settle launches a crash left half-done (the app does it once, at start or here)."""
        self.reconciling = self.context.reconcile_launches(open_provider=self._open_provider)

    def restart(self, draft: WizardDraft | None = None) -> FineTuneWizard:
        """A fresh wizard (pre-filled from ``draft``) on its first page."""
        if self.wizard is not None:
            for widget in (self.wizard.steps, self.wizard):
                self._layout.removeWidget(widget)
                widget.deleteLater()
        self.wizard = FineTuneWizard(self.context, draft, accounts=self._accounts,
                                     open_provider=self._open_provider, parent=self)
        self.wizard.finished.connect(lambda _result: self.restart())
        self.wizard.steps.setParent(self)
        self.wizard.steps.setContentsMargins(self.style().pixelMetric(QStyle.PixelMetric.PM_LayoutLeftMargin), 0, 0, 0)
        self._layout.addWidget(self.wizard.steps)
        from ui.wizard.autotrain_import import add_button  # "Import AutoTrain config…": a pre-filled draft, like a clone
        add_button(self.wizard, lambda fields: self.restart(WizardDraft.from_config(_lenient_config(fields))))
        self._layout.addWidget(self.wizard, 1)
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
        draft = WizardDraft.from_config(_lenient_config(fields))
        self.restart(draft)
        self.context.navigate.emit("new")


def _lenient_config(fields: dict) -> TrainingConfig:
    """A job's configuration, with any value it holds out of today's ranges (its provider's, through
    ``providers.training_config``) back on its default ("Auto"): jobs recorded before values had bounds (epochs
    -1 was accepted once) still clone, and the user chooses those values again."""
    from backend.providers import training_config

    fields = {**fields, "hyperparameters": dict(fields.get("hyperparameters") or {})}
    for _attempt in range(8):  # one wrong value is reported at a time by some validators
        try:
            return training_config(**fields)
        except ValidationError as exc:
            for error in exc.errors():
                where = [p for p in error["loc"] if isinstance(p, str)]
                named = (error.get("ctx") or {}).get("field")
                if where[:1] == ["hyperparameters"] and (named or len(where) > 1):
                    fields["hyperparameters"].pop(named or where[1], None)
                elif where and where[0] not in ("provider", "base_model", "training_file"):
                    fields.pop(where[0], None)
    return training_config(**fields)
