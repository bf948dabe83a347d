"""Wizard page 3 for a hosted service (``ModelPage.HOSTED``: OpenAI, Azure OpenAI...): base model (listed off
the GUI thread), method, hyperparameters.

Every hyperparameter starts on "Auto", which lets the service choose; beside epochs the page shows
what Auto will pick for this data (the cookbook's rule), so the default is never a mystery. Each box
holds at most what the provider allows (its class's ``hyperparameter_ranges``); anything the configuration still refuses is
said under the fields and keeps Next disabled.
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout,
    QWizardPage,
)

from backend import bounds, providers
from backend.models import BaseModelInfo, Hyperparameters
from ui.tasks import Task
from ui.widgets.plain import plain_label

METHODS = {"supervised": "Supervised (learn from example replies)", "dpo": "DPO (learn from preferred vs. "
                                                                           "rejected replies)"}


#: Each box's maximum where the provider sets none: the most any provider allows (the multiplier: a sane cap).
_MOST = {name: bounds.widest(name).high for name in ("n_epochs", "batch_size", "beta")} | \
    {"learning_rate_multiplier": 10.0}


def _auto_int(maximum: float, tip: str, name: str) -> QSpinBox:
    box = QSpinBox(minimum=0, maximum=int(maximum), accessibleName=name, toolTip=tip)
    box.setSpecialValueText("Auto")
    box.setMinimumWidth(110)
    return box


def _auto_float(maximum: float, step: float, tip: str, name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox(minimum=0.0, maximum=maximum, singleStep=step, decimals=2, accessibleName=name, toolTip=tip)
    box.setSpecialValueText("Auto")
    box.setMinimumWidth(110)
    return box


class ModelPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Model and method")
        self.setSubTitle("Pick the model to start from and how it learns. “Auto” lets the service choose.")
        self.models: list[BaseModelInfo] = []
        self._task: Task | None = None
        self._loaded_for = None
        self._filling = False

        self.model_combo = QComboBox(accessibleName="Base model")
        self.model_combo.setToolTip("The model your examples teach. Your own fine-tuned models are listed too: "
                                    "training one of them continues where it stopped.")
        self.reload = QPushButton("Reload", accessibleName="Reload the model list")
        self.reload.setToolTip("Ask the service again for the models this account can fine-tune.")
        self.reload.clicked.connect(lambda: self.load_models(force=True))
        self.model_info = plain_label("Loading the models this account can fine-tune…", wordWrap=True)
        self.model_info.setProperty("role", "subtitle")
        self.method_combo = QComboBox(accessibleName="Method")
        self.method_combo.setToolTip("Supervised: the model imitates your example replies. DPO: it learns to "
                                     "prefer one reply over another (needs preference data).")
        self.method_note = plain_label(wordWrap=True)
        self.method_note.setProperty("role", "warning")
        self.epochs = _auto_int(_MOST["n_epochs"], "Passes over your data. More passes fit the examples more "
                                "closely; too many make the model repeat them word for word.", "Epochs")
        self.epochs_hint = plain_label()
        self.batch = _auto_int(_MOST["batch_size"], "Examples per training step. Larger batches give smoother, "
                               "slower learning.", "Batch size")
        self.lr = _auto_float(_MOST["learning_rate_multiplier"], 0.1, "Scales the service's learning rate. Lower if the model "
                              "forgets what it knew; higher if it barely changes.", "Learning-rate multiplier")
        self.beta = _auto_float(_MOST["beta"], 0.05, "DPO only: how far the model may move away from the base "
                                "model. Lower values follow your preferences more strongly.", "Beta")
        self.suffix = QLineEdit(accessibleName="Suffix", placeholderText="e.g. support-bot", maxLength=64)
        self.suffix.setValidator(QRegularExpressionValidator(r"[A-Za-z0-9._-]{0,64}"))
        self.suffix.setToolTip("Up to 64 letters, digits, dots, dashes or underscores added to the fine-tuned "
                               "model's name, so you can tell your models apart.")
        self.seed = QLineEdit(accessibleName="Seed", placeholderText="random")
        self.seed.setValidator(QRegularExpressionValidator(r"\d{0,9}"))
        self.seed.setToolTip("A number that makes the run repeatable: the same data, settings and seed give the "
                             "same model. Empty: the service picks one.")
        # Azure only (a provider with training types): where it trains, each explained in one line.
        self.tier_combo = QComboBox(accessibleName="Training type")
        self.tier_note = plain_label(wordWrap=True)
        self.tier_note.setProperty("role", "subtitle")
        self.limits_note = plain_label(wordWrap=True)
        self.limits_note.setProperty("role", "warning")
        self.limits_note.hide()

        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(self.reload)
        epochs_row = QHBoxLayout()
        epochs_row.addWidget(self.epochs)
        epochs_row.addWidget(self.epochs_hint, 1)
        form = QFormLayout()
        form.addRow("Base model:", model_row)
        form.addRow("", self.model_info)
        form.addRow("Method:", self.method_combo)
        form.addRow("", self.method_note)
        form.addRow("Epochs:", epochs_row)
        for label, box in (("Batch size:", self.batch), ("Learning-rate multiplier:", self.lr), ("Beta:", self.beta)):
            row = QHBoxLayout()
            row.addWidget(box)
            row.addStretch(1)
            form.addRow(label, row)
        form.addRow("Training type:", self.tier_combo)
        form.addRow("", self.tier_note)
        self._tier_rows = form
        form.addRow("Suffix:", self.suffix)
        form.addRow("Seed:", self.seed)
        form.addRow("", self.limits_note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.method_combo.currentIndexChanged.connect(self._changed)
        for box in (self.epochs, self.batch, self.lr, self.beta):
            box.valueChanged.connect(self._changed)
        self.suffix.textChanged.connect(self._changed)
        self.seed.textChanged.connect(self._changed)
        self.tier_combo.currentIndexChanged.connect(self._changed)

    # -- filling ------------------------------------------------------------------------------------
    def _limit_boxes(self, provider) -> None:
        """Each box's maximum is the provider's (0 stays "Auto"; every minimum above it is 1 or just above 0)."""
        found = providers.hyperparameter_ranges(provider) if provider is not None else None
        table = found[1] if found else {}
        for box, name in ((self.epochs, "n_epochs"), (self.batch, "batch_size"), (self.lr, "learning_rate_multiplier"),
                          (self.beta, "beta")):
            allowed = table.get(name)
            box.setMaximum(allowed.high if allowed is not None and allowed.high is not None else _MOST[name])

    def initializePage(self) -> None:
        draft = self.wizard().draft
        hp = draft.hyperparameters
        self._limit_boxes(draft.provider)
        self._filling = True
        self.epochs.setValue(hp.n_epochs if isinstance(hp.n_epochs, int) else 0)
        self.batch.setValue(hp.batch_size if isinstance(hp.batch_size, int) else 0)
        self.lr.setValue(hp.learning_rate_multiplier if isinstance(hp.learning_rate_multiplier, float) else 0.0)
        self.beta.setValue(hp.beta if isinstance(hp.beta, float) else 0.0)
        self.suffix.setText(draft.suffix or "")
        self.seed.setText("" if draft.seed is None else str(draft.seed))
        self._fill_tiers(draft)
        self._filling = False
        stats = draft.report.stats if draft.report is not None else None
        if stats is not None and stats.valid_examples:
            self.epochs_hint.setText(f"Auto picks {stats.default_epochs} for your {stats.valid_examples:,} "
                                     "examples (OpenAI's rule: about 3 passes, at least 100 examples seen).")
        else:
            self.epochs_hint.setText("Auto picks about 3, more for small data sets.")
        self.load_models()

    def _fill_tiers(self, draft) -> None:
        """The provider's training types (none: the rows are hidden); the draft's choice, else the first."""
        tiers = providers.provider_class(draft.provider).training_types if draft.provider is not None else {}
        self.tier_combo.clear()
        for key, tier in tiers.items():
            self.tier_combo.addItem(tier.label, key)
            self.tier_combo.setItemData(self.tier_combo.count() - 1, tier.explanation, Qt.ItemDataRole.ToolTipRole)
        self.tier_combo.setCurrentIndex(max(0, self.tier_combo.findData(draft.options.get("training_type"))))
        for widget in (self.tier_combo, self.tier_note):
            self._tier_rows.setRowVisible(widget, bool(tiers))
        self._explain_tier()

    def _explain_tier(self) -> None:
        draft = self.wizard().draft
        key = self.tier_combo.currentData()
        tiers = providers.provider_class(draft.provider).training_types if draft.provider is not None else {}
        self.tier_note.setText(tiers[key].explanation if key in tiers else "")

    def load_models(self, force: bool = False) -> None:
        wizard = self.wizard()
        key = (wizard.draft.provider, wizard.draft.account_id)
        if self._loaded_for == key and not force:
            self._fill(self.models)
            return
        self.model_combo.clear()
        self.model_info.setText("Loading the models this account can fine-tune…")
        self.reload.setEnabled(False)
        self._task = Task(lambda: wizard.provider().list_base_models(), name="list base models")
        self._task.on_success(lambda models, k=key: self._loaded(k, models))
        self._task.on_error_message(self._failed)
        self._task.start()

    def _loaded(self, key, models: list[BaseModelInfo]) -> None:
        self._task = None
        self._loaded_for = key
        self.models = models
        self.reload.setEnabled(True)
        self._fill(models)

    def _failed(self, message: str) -> None:
        self._task = None
        self.reload.setEnabled(True)
        self.model_info.setText(f"Could not list the models: {message}")
        self.completeChanged.emit()

    def _fill(self, models: list[BaseModelInfo]) -> None:
        wanted = self.wizard().draft.base_model
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model in models:
            self.model_combo.addItem(model.label or model.id, model.id)
        index = self.model_combo.findData(wanted)
        if index < 0:
            kind = self.wizard().draft.provider
            recommended = providers.provider_class(kind).recommended_model if kind is not None else None
            index = max(0, self.model_combo.findData(recommended)) if models else -1
        self.model_combo.setCurrentIndex(index)
        self.model_combo.blockSignals(False)
        if not models:
            self.model_info.setText("This account cannot fine-tune any model the app knows.")
        self._model_changed()

    def selected(self) -> BaseModelInfo | None:
        model_id = self.model_combo.currentData()
        return next((m for m in self.models if m.id == model_id), None)

    def _model_changed(self) -> None:
        model = self.selected()
        wanted = self.method_combo.currentData() or self.wizard().draft.method
        self.method_combo.blockSignals(True)
        self.method_combo.clear()
        for method in (model.methods if model else ("supervised",)):
            if method in METHODS:
                self.method_combo.addItem(METHODS[method], method)
        data_method = self._data_method()
        index = self.method_combo.findData(data_method or wanted)
        self.method_combo.setCurrentIndex(max(0, index))
        self.method_combo.blockSignals(False)
        if model is not None:
            parts = [f"Context: {model.context_length:,} tokens" if model.context_length else "Context: unknown",
                     "methods: " + ", ".join(model.methods)]
            if model.shutdown_date:
                parts.append(f"shutdown date {model.shutdown_date}")
            if model.training_until:
                parts.append(f"training possible until {model.training_until}")
            if model.deployable_until:
                parts.append(f"deployments possible until {model.deployable_until}")
            self.model_info.setText(" · ".join(parts))
        self._changed()

    # -- state --------------------------------------------------------------------------------------
    def _data_method(self) -> str | None:
        """The method the data page found in the data (None before data is checked)."""
        report = self.wizard().draft.report
        return report.method if report is not None else None

    def _changed(self, *_args) -> None:
        if self._filling or self.wizard() is None:
            return
        method = self.method_combo.currentData() or "supervised"
        self.beta.setEnabled(method == "dpo")
        data_method = self._data_method()
        if data_method and data_method != method:
            self.method_note.setText(f"Your data holds {data_method} examples; choose that method, or go back "
                                     "and pick other data.")
        elif self.selected() is not None and data_method and data_method not in self.selected().methods:
            self.method_note.setText(f"This model cannot be trained with {data_method}.")
        else:
            self.method_note.setText("")
        self.method_note.setVisible(bool(self.method_note.text()))
        self._store()
        self._check_limits()
        self.completeChanged.emit()

    def _check_limits(self) -> None:
        """The configuration's own refusal, if any, as a sentence under the fields (the boxes already keep
        every number in range; this catches what they cannot, and a provider's limits changing)."""
        draft = self.wizard().draft
        problem = ""
        if draft.provider is not None:
            try:
                draft.to_config()
            except ValidationError as exc:
                problem = str(bounds.refusal(exc))
        self.limits_note.setText(problem)
        self.limits_note.setVisible(bool(problem))

    def _store(self) -> None:
        draft = self.wizard().draft
        method = self.method_combo.currentData() or "supervised"
        draft.base_model = self.model_combo.currentData()
        draft.method = method
        draft.hyperparameters = Hyperparameters(
            n_epochs=self.epochs.value() or "auto", batch_size=self.batch.value() or "auto",
            learning_rate_multiplier=round(self.lr.value(), 4) or "auto",
            beta=(round(self.beta.value(), 4) or "auto") if method == "dpo" else None)
        draft.suffix = self.suffix.text().strip() or None
        draft.seed = int(self.seed.text()) if self.seed.text() else None
        if self.tier_combo.count():
            draft.options = {**draft.options, "training_type": self.tier_combo.currentData()}
            self._explain_tier()

    def isComplete(self) -> bool:
        return (self._task is None and self.selected() is not None and self.method_combo.count() > 0
                and not self.method_note.text() and not self.limits_note.text())

    def validatePage(self) -> bool:
        self._store()
        self._check_limits()
        return self.isComplete()
