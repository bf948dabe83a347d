"""The trainer choice on the local model page: the app's own TRL trainer, or AutoTrain Advanced 0.8.36 in its
own environment (with ORPO and a named chat template, which only AutoTrain offers).

AutoTrain is a trainer choice under "Hugging Face (this computer)", not a provider of its own: it trains the same
open models from the same staged data on the same computer, and its runs are watched, stopped, chatted with and
exported exactly like the app's. What changes is only the program that trains, so it is chosen where the method is.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QWidget

from ui.widgets.plain import plain_label, plain_tooltip

_TEMPLATES = [("The model's own (recommended)", None), ("ChatML", "chatml"), ("Zephyr", "zephyr")]


class AutoTrainChoice(QGroupBox):
    """Which program trains; its choices live in the draft's options (``trainer``, ``autotrain``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Trainer", parent)
        self.trainer = QComboBox(accessibleName="Trainer")
        self.trainer.addItem("This app's trainer (TRL)", None)
        self.trainer.addItem("AutoTrain Advanced 0.8.36", "autotrain")
        self.trainer.setToolTip(plain_tooltip(
            "On this computer AutoTrain runs in its own Python environment (about 1.6 GB, built once on first use, "
            "removable in Settings); on Hugging Face (cloud) it runs in AutoTrain's published Docker image. Its runs "
            "cannot stop with a checkpoint or resume."))
        self.orpo = QCheckBox("ORPO instead of DPO (preference pairs, no reference model)")
        self.template = QComboBox(accessibleName="AutoTrain chat template")
        for label, value in _TEMPLATES:
            self.template.addItem(label, value)
        self.note = plain_label("", wordWrap=True)
        form = QFormLayout(self)
        form.addRow("Train with", self.trainer)
        form.addRow("Chat template", self.template)
        form.addRow(self.orpo)
        form.addRow(self.note)
        self.trainer.currentIndexChanged.connect(self._update)
        self._update()

    def chosen(self) -> bool:
        return self.trainer.currentData() == "autotrain"

    def load(self, options: dict) -> None:
        extra = options.get("autotrain") or {}
        self.trainer.setCurrentIndex(1 if options.get("trainer") == "autotrain" else 0)
        self.orpo.setChecked(extra.get("trainer") == "orpo")
        index = self.template.findData(extra.get("chat_template"))
        self.template.setCurrentIndex(max(index, 0))
        self._update()

    def store(self, options: dict, method: str) -> dict:
        """``options`` with this box's choices in place of any earlier ones."""
        options = {k: v for k, v in options.items() if k not in ("trainer", "autotrain")}
        if not self.chosen():
            return options
        extra = {"trainer": "orpo" if self.orpo.isChecked() and method == "dpo" else None,
                 "chat_template": self.template.currentData()}
        options["trainer"] = "autotrain"
        extra = {k: v for k, v in extra.items() if v}
        if extra:
            options["autotrain"] = extra
        return options

    def set_method(self, method: str) -> None:
        self.orpo.setEnabled(self.chosen() and method == "dpo")

    def _update(self) -> None:
        on = self.chosen()
        self.template.setEnabled(on)
        self.orpo.setEnabled(on)
        self.note.setText("On this computer, AutoTrain's own environment is built the first time a run uses it "
                          "(about 1.6 GB, 3-10 minutes), then reused. On Hugging Face (cloud), the job runs "
                          "AutoTrain's Docker image." if on else "")
