"""Wizard page for training on this computer: the base model, the method and its hyperparameters.

Shows the device found, the memory the run needs (with a warning when it will not fit) and an
estimated duration, all from ``backend.training``'s plan, recomputed as the user changes a field.
Every value left on "Auto" is chosen by the backend from the model size, data and hardware.
The boxes hold what local training allows (``backend.bounds``; the maximum length at most the
model's context); a value they cannot hold back (a learning rate, a model name that is not an id)
is refused on Next with the sentence that says why.
Reads and writes ``wizard().draft`` only, so it works in any QWizard that has a draft.
"""

from __future__ import annotations


from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWizardPage)

from backend import hub, providers
from backend.bounds import LOCAL, refusal
from backend.errors import StudioError
from backend.models import Hyperparameters, ProviderKind
from backend.providers.base import ModelPage
from backend.training.defaults import Plan, check_options, resolve
from backend.training.hardware import Hardware, ModelFacts, detect, facts_for
from ui.tasks import Task
from backend.words import duration, plural
from ui.widgets.elide import elide_words
from ui.wizard.autotrain_choice import AutoTrainChoice
from ui.widgets.plain import plain_label, plain_tooltip

_FOLDER_ITEM = "__folder__"
_OTHER_ITEM = "__other__"
# (label, method, adapter); QLoRA is added only where CUDA and bitsandbytes are present.
_METHODS = [("Supervised fine-tuning, LoRA (recommended)", "supervised", "lora"),
            ("Supervised fine-tuning, full weights", "supervised", "full"),
            ("DPO on preference pairs, LoRA", "dpo", "lora"),
            ("DPO on preference pairs, full weights", "dpo", "full")]
_QLORA = ("Supervised fine-tuning, QLoRA (4-bit base, least memory)", "supervised", "qlora")
_MY_OPTIONS = ("adapter", "learning_rate", "gradient_accumulation_steps", "max_length", "lora_r", "lora_alpha",
               "lora_dropout", "lora_target_modules", "assistant_only_loss", "packing", "save_steps")


def _auto_spin(name: str, tip: str, step: int = 1) -> QSpinBox:
    """0 is "Auto"; the maximum is local training's for ``name``."""
    box = QSpinBox(minimum=0, maximum=int(LOCAL[name].high), singleStep=step, specialValueText="Auto")
    box.setToolTip(plain_tooltip(tip))
    return box


def _spin(name: str, value: int, tip: str) -> QSpinBox:
    return QSpinBox(minimum=int(LOCAL[name].low), maximum=int(LOCAL[name].high), value=value, toolTip=tip)


def _inspect(name: str) -> tuple[ModelFacts | None, str]:
    """The model's facts and where it is (runs on a worker thread: it may read the Hugging Face cache)."""
    return facts_for(name), hub.model_state(name)


def _count(parameters: int) -> str:
    if parameters >= 1e9:
        return f"{parameters / 1e9:.1f}B"
    return f"{parameters / 1e6:.0f}M" if parameters >= 1e7 else f"{parameters / 1e6:.1f}M"


class LocalModelPage(QWizardPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle("Model and method")
        self.setSubTitle("Fine-tune an open model on this computer. Values left on “Auto” are chosen for "
                         "your model, data and hardware.")
        self.hardware: Hardware | None = None
        self.facts: ModelFacts | None = None
        self.plan: Plan | None = None
        self.plan_error = ""  # why the last plan could not be made: Next is refused with it
        self.lr_error = ""
        self._loading = False
        self.rented = None  # the hardware chooser (ui.wizard.hardware), for a provider that rents hardware

        self.suggestions = QComboBox(accessibleName="Suggested models")
        for model in hub.SUGGESTED:
            self.suggestions.addItem(model.label, model.id)
        self.suggestions.addItem("A model folder on this computer…", _FOLDER_ITEM)
        self.suggestions.addItem("Another Hub model (typed below)", _OTHER_ITEM)
        self.model_edit = QLineEdit(placeholderText="A Hub id such as Qwen/Qwen2.5-0.5B-Instruct, or a folder",
                                    accessibleName="Base model")
        self.model_edit.setToolTip("A model on the Hugging Face Hub (downloaded into the Hugging Face cache "
                                   "when you launch) or a folder with config.json, weights and a tokenizer.")
        self.model_note = plain_label(wordWrap=True)
        self.model_note.setProperty("role", "subtitle")
        browse = QPushButton("Folder…", accessibleName="Choose a model folder")
        browse.clicked.connect(self._choose_folder)
        self.method = QComboBox(accessibleName="Method")
        self._fill_methods(quantization=False)

        self.epochs = _auto_spin("n_epochs", "Passes over the data. Auto: 3 for small data sets, fewer for large ones.")
        self.learning_rate = QLineEdit(accessibleName="Learning rate")
        self.learning_rate.setToolTip("Step size. Auto: 2e-4 for LoRA, 1-2e-5 for full weights (a tenth for DPO).")
        self.batch = _auto_spin("batch_size", "Examples per step on the device. Auto: as many as memory allows, up to 8.")
        self.accumulation = _auto_spin("gradient_accumulation_steps", "Steps whose gradients are added before one update; the effective "
                                       "batch is batch size x this. Auto: an effective batch of 8-16.")
        self.max_length = _auto_spin("max_length", "Longest example in tokens; longer ones are cut. Auto: from your "
                                     "data, capped at 1024 on the CPU and 2048 on a GPU.", step=128)
        self.save_steps = _auto_spin("save_steps", "Save a checkpoint every this many steps (and evaluate, with "
                                     "validation data). Auto: five checkpoints per run.", step=10)
        self.lora_r = _spin("lora_r", 16, "LoRA rank: the adapter's capacity.")
        self.lora_alpha = _spin("lora_alpha", 32, "LoRA scale; usually twice the rank.")
        self.lora_dropout = QDoubleSpinBox(minimum=0, maximum=0.5, singleStep=0.01, value=0.05,
                                           toolTip="Dropout on the adapter's input, against overfitting.")
        self.targets = QLineEdit("all-linear", toolTip="Layers that get an adapter: “all-linear”, or names "
                                 "separated by commas such as q_proj, v_proj.")
        self.assistant_only = QCheckBox("Learn from the assistant's turns only", checked=True)
        self.assistant_only.setToolTip("Loss on the replies only, not on the prompts. Needs a chat template that "
                                       "marks assistant turns.")
        self.packing = QCheckBox("Pack short examples together")
        self.packing.setToolTip("Faster on a GPU with flash attention; elsewhere examples would see each other.")
        self.packing_note = plain_label(wordWrap=True)  # why packing is off, when it is
        self.packing_note.setProperty("role", "subtitle")

        self.device_label = plain_label("Looking at this computer…")
        self.memory_label = plain_label()
        self.duration_label = plain_label()
        self.warning_label = plain_label(wordWrap=True)  # a model folder's name, a model's facts
        self.warning_label.setProperty("role", "warning")

        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(browse)
        top = QFormLayout()
        top.addRow("Suggested", self.suggestions)
        top.addRow("Base model", model_row)
        top.addRow("", self.model_note)
        top.addRow("Method", self.method)
        self.settings_box = QGroupBox("Hyperparameters")
        form = QFormLayout(self.settings_box)
        for label, widget in (("Epochs", self.epochs), ("Learning rate", self.learning_rate),
                              ("Batch size", self.batch), ("Gradient accumulation", self.accumulation),
                              ("Maximum length", self.max_length), ("Checkpoint every", self.save_steps)):
            form.addRow(label, widget)
        self.lora_box = QGroupBox("LoRA")
        lora = QFormLayout(self.lora_box)
        for label, widget in (("Rank", self.lora_r), ("Alpha", self.lora_alpha), ("Dropout", self.lora_dropout),
                              ("Target modules", self.targets)):
            lora.addRow(label, widget)
        columns = QHBoxLayout()
        columns.addWidget(self.settings_box, 1, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.addWidget(self.lora_box)
        right.addWidget(self.assistant_only)
        right.addWidget(self.packing)
        right.addWidget(self.packing_note)
        self.trainer_box = AutoTrainChoice()  # the app's TRL trainer, or AutoTrain Advanced (ui/wizard/autotrain_choice.py)
        self.trainer_box.trainer.currentIndexChanged.connect(self._changed)
        self.trainer_box.orpo.toggled.connect(self._changed)
        self.trainer_box.template.currentIndexChanged.connect(self._changed)
        right.addWidget(self.trainer_box)
        right.addStretch(1)
        columns.addLayout(right, 1)
        self.computer = computer = QGroupBox("This computer")
        info = QVBoxLayout(computer)
        for label in (self.device_label, self.memory_label, self.duration_label, self.warning_label):
            info.addWidget(label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(columns)
        layout.addWidget(computer)
        layout.addStretch(1)

        self.suggestions.activated.connect(self._suggestion_chosen)
        self.model_edit.editingFinished.connect(self._model_changed)
        self.model_edit.textChanged.connect(self.completeChanged)
        self.method.currentIndexChanged.connect(self._changed)
        for box in (self.epochs, self.batch, self.accumulation, self.max_length, self.save_steps, self.lora_r,
                    self.lora_alpha, self.lora_dropout):
            box.valueChanged.connect(self._changed)
        for edit in (self.learning_rate, self.targets):
            edit.editingFinished.connect(self._changed)
        for check in (self.assistant_only, self.packing):
            check.toggled.connect(self._changed)

    # the draft
    def _draft(self):
        return self.wizard().draft

    def _kind(self) -> ProviderKind:
        """The draft's provider; this page alone (a bare wizard) means the first that trains on this computer."""
        return self._draft().provider or providers.kinds(model_page=ModelPage.LOCAL)[0]

    def initializePage(self) -> None:
        draft = self._draft()
        self._loading = True
        model = draft.base_model or hub.SUGGESTED[0].id
        self.model_edit.setText(model)
        self._sync_suggestion(model)
        options, hp = draft.options, draft.hyperparameters
        self._select_method(draft.method, options.get("adapter", "lora"))
        self.trainer_box.load(options)
        self.epochs.setValue(0 if hp.n_epochs == "auto" else int(hp.n_epochs))
        self.batch.setValue(0 if hp.batch_size == "auto" else int(hp.batch_size))
        self.learning_rate.setText(str(options["learning_rate"]) if "learning_rate" in options else "")
        self.accumulation.setValue(int(options.get("gradient_accumulation_steps", 0)))
        self.max_length.setValue(int(options.get("max_length", 0)))
        self.save_steps.setValue(int(options.get("save_steps", 0)))
        self.lora_r.setValue(int(options.get("lora_r", 16)))
        self.lora_alpha.setValue(int(options.get("lora_alpha", 32)))
        self.lora_dropout.setValue(float(options.get("lora_dropout", 0.05)))
        targets = options.get("lora_target_modules", "all-linear")
        self.targets.setText(", ".join(targets) if isinstance(targets, list) else targets)
        self.assistant_only.setChecked(bool(options.get("assistant_only_loss", True)))
        self.packing.setChecked(bool(options.get("packing", False)))
        self._loading = False
        if self.hardware is None:
            Task(detect, name="detect hardware").on_success(self.set_hardware).on_error_message(
                self.device_label.setText).start()
        self._model_changed()

    def _rented(self):
        """The hardware chooser when the provider rents hardware (made on first use, shown instead of this
        computer), else None."""
        rents = providers.provider_class(self._kind()).rents_hardware
        if rents and self.rented is None:
            from ui.wizard.hardware import HardwareChooser

            self.rented = HardwareChooser()
            self.layout().insertWidget(self.layout().indexOf(self.computer), self.rented)
            self.rented.changed.connect(self._changed)
        if self.rented is not None and self.rented.isHidden() == rents:
            self.rented.setVisible(rents)
        if self.computer.isHidden() != rents:
            self.computer.setVisible(not rents)
        subtitle = (("Fine-tune an open model on Hugging Face's hardware, billed to your account. " if rents else
                     "Fine-tune an open model on this computer. ")
                    + "Values left on “Auto” are chosen for your model, data and hardware.")
        if self.subTitle() != subtitle:  # set only when it changes: the wizard lays itself out again
            self.setSubTitle(subtitle)
        return self.rented if rents else None

    def isComplete(self) -> bool:
        return bool(self.model_edit.text().strip())

    def validatePage(self) -> bool:
        name = self.model_edit.text().strip()
        if hub.is_local(name) and not hub.local_folder_exists(name):
            self._warn(f"The folder “{name}” does not exist. Choose a model folder.")
            return False
        self._store()
        problem = self.problem()
        if problem:
            self._warn(problem)
            if self.rented is not None and self.rented.isVisible():
                self.rented.note.setText(problem)
        return not problem

    def problem(self) -> str:
        """Why this page's values cannot be launched, in a sentence; "" when they can."""
        name = self.model_edit.text().strip()
        try:
            if not hub.is_local(name):
                hub.check_model_id(name)
            check_options(self._draft().to_config(), self.facts)
        except ValidationError as exc:
            return str(refusal(exc))
        except StudioError as exc:
            return str(exc)
        chooser = self._rented()
        return self.lr_error or (chooser.problem() if chooser is not None else self.plan_error)

    def _store(self) -> None:
        draft = self._draft()
        method, adapter = self.method.currentData()
        draft.base_model = self.model_edit.text().strip()
        draft.method = method
        draft.hyperparameters = Hyperparameters(
            n_epochs=self.epochs.value() or "auto", batch_size=self.batch.value() or "auto",
            beta=draft.hyperparameters.beta)
        options = {k: v for k, v in draft.options.items() if k not in _MY_OPTIONS}
        chooser = self._rented()
        if chooser is not None:
            from ui.wizard.hardware import OPTIONS

            options = {**{k: v for k, v in options.items() if k not in OPTIONS}, **chooser.options()}
        options["adapter"] = adapter
        text = self.learning_rate.text().strip()
        self.lr_error = ""
        try:
            if text:
                options["learning_rate"] = float(text)  # its range is checked with the other options
        except ValueError:
            self.lr_error = (f"The learning rate “{text}” is not a number: write one such as 2e-4, or leave the "
                             "field empty for Auto.")
        for key, box in (("gradient_accumulation_steps", self.accumulation), ("max_length", self.max_length),
                         ("save_steps", self.save_steps)):
            if box.value():
                options[key] = box.value()
        if adapter != "full":
            targets = [t.strip() for t in self.targets.text().split(",") if t.strip()] or ["all-linear"]
            options.update(lora_r=self.lora_r.value(), lora_alpha=self.lora_alpha.value(),
                           lora_dropout=round(self.lora_dropout.value(), 3),
                           lora_target_modules=targets[0] if targets == ["all-linear"] else targets)
        if method == "supervised":
            options["assistant_only_loss"] = self.assistant_only.isChecked() and self.assistant_only.isEnabled()
            options["packing"] = self.packing.isChecked() and self.packing.isEnabled()
        draft.options = self.trainer_box.store(options, method)
        self.trainer_box.set_method(method)
        draft.provider = self._kind()

    # reactions
    def _fill_methods(self, quantization: bool) -> None:
        current = self.method.currentData()
        self.method.blockSignals(True)
        self.method.clear()
        for label, method, adapter in _METHODS[:2] + ([_QLORA] if quantization else []) + _METHODS[2:]:
            self.method.addItem(label, (method, adapter))
        self.method.blockSignals(False)
        if current:
            self._select_method(*current)

    def _select_method(self, method: str, adapter: str) -> None:
        for i in range(self.method.count()):
            if self.method.itemData(i) == (method, adapter):
                self.method.setCurrentIndex(i)
                return

    def _sync_suggestion(self, name: str) -> None:
        """The Suggested box names what the Base model field holds: a suggestion, a folder, or another Hub model."""
        index = self.suggestions.findData(name)
        if index < 0:
            index = self.suggestions.findData(_FOLDER_ITEM if name and hub.is_local(name) else _OTHER_ITEM)
        self.suggestions.setCurrentIndex(index)

    def _suggestion_chosen(self, index: int) -> None:
        if self.suggestions.itemData(index) == _FOLDER_ITEM:
            self._choose_folder()
            self._sync_suggestion(self.model_edit.text().strip())
        elif self.suggestions.itemData(index) == _OTHER_ITEM:
            self.model_edit.setFocus()
            self.model_edit.selectAll()
        else:
            self.model_edit.setText(self.suggestions.itemData(index))
            self._model_changed()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (with config.json)")
        if folder:
            self.model_edit.setText(folder)
            self._model_changed()

    def _model_changed(self) -> None:
        name = self.model_edit.text().strip()
        self._sync_suggestion(name)
        if self._rented() is not None:
            self.rented.load(self._kind(), self._draft().account_id, name, wanted=self._draft().options.get("flavor"))
        self.facts = None
        self.model_note.setText("")
        if name:
            Task(_inspect, name, name="read model facts").on_success(
                lambda found, asked=name: self._model_found(*found) if asked == self.model_edit.text().strip()
                else None).start()
        self._changed()

    def _model_found(self, facts: ModelFacts | None, state: str) -> None:
        if self._rented() is not None and not hub.is_local(self.model_edit.text().strip()):
            state = "The job downloads it from the Hugging Face Hub on Hugging Face's machine."
        self.model_note.setText(elide_words(state))
        self.model_note.setToolTip(plain_tooltip(state if elide_words(state) != state else ""))
        self.set_facts(facts)

    def set_hardware(self, hardware: Hardware) -> None:
        self.hardware = hardware
        self.device_label.setText(f"Trains on: {hardware.label}")
        self._fill_methods(hardware.quantization)
        self._changed()

    def set_facts(self, facts: ModelFacts | None) -> None:
        self.facts = facts
        limit = int(LOCAL["max_length"].high)
        self.max_length.setMaximum(min(limit, facts.max_positions or limit) if facts else limit)  # its context
        self._changed()

    def _changed(self, *_args) -> None:
        if self._loading:
            return
        method, adapter = self.method.currentData()
        self.lora_box.setVisible(adapter != "full")
        self.assistant_only.setVisible(method == "supervised")
        self.packing.setVisible(method == "supervised")
        if self.facts is not None:
            self.assistant_only.setEnabled(self.facts.assistant_masks or not hub.is_local(self.model_edit.text()))
        packs = bool(self.hardware and self.hardware.flash_attention)
        self.packing.setEnabled(packs)
        why = "" if packs or self.hardware is None else (
            "Packing needs an NVIDIA GPU with flash attention (the flash-attn package); without it, packed examples "
            "would see each other, so it is off here.")
        self.packing_note.setText(why)
        self.packing_note.setVisible(bool(why) and method == "supervised")
        self.packing.setToolTip(plain_tooltip(why or "Faster on a GPU with flash attention: short examples share "
                                                     "a sequence."))
        self._store()
        self._show_plan()

    def _warn(self, text: str) -> None:
        """A warning under the plan; a long path in it is elided (the full text is the tooltip)."""
        shown = elide_words(text)
        self.warning_label.setText(shown)
        self.warning_label.setToolTip(plain_tooltip(text if shown != text else ""))

    def _show_plan(self) -> None:
        self.plan, self.plan_error = None, ""
        self._warn(self.lr_error)
        if self.lr_error:
            return
        draft = self._draft()
        stats = draft.report.stats if draft.report is not None else None  # the data page's, when there is one
        if self._rented() is not None:
            try:
                self.rented.set_plan_input(draft.to_config(), self.facts, stats,
                                           bool(draft.validation_path or draft.validation_split))
            except (ValidationError, StudioError):
                pass  # said below, or by problem() on Next
        if self.hardware is None or self.facts is None:
            self.memory_label.setText("Memory needed: reading the model…" if self.hardware else "")
            return
        try:
            self.plan = resolve(draft.to_config(), self.facts, self.hardware,
                                examples=stats.valid_examples if stats else None,
                                tokens=stats.total_tokens if stats else None,
                                longest=stats.tokens.max if stats and stats.tokens else None,
                                has_validation=bool(draft.validation_path or draft.validation_split))
        except ValidationError as exc:
            self.plan_error = str(refusal(exc))
        except StudioError as exc:
            self.plan_error = str(exc)
        if self.plan_error:
            self.memory_label.setText("")
            self.duration_label.setText("")
            self._warn(self.plan_error)
            return
        s = self.plan.settings
        self.epochs.setSpecialValueText(f"Auto ({s.epochs:g})")
        self.batch.setSpecialValueText(f"Auto ({s.batch_size})")
        self.accumulation.setSpecialValueText(f"Auto ({s.gradient_accumulation_steps})")
        self.max_length.setSpecialValueText(f"Auto ({s.max_length})")
        self.save_steps.setSpecialValueText(f"Auto ({s.save_steps} steps)")
        self.learning_rate.setPlaceholderText(f"Auto ({s.learning_rate:.0e})")
        self.memory_label.setText(f"Memory needed: about {self.plan.memory_needed / 2**30:.1f} GiB of "
                                  f"{self.plan.memory_available / 2**30:.1f} GiB free "
                                  f"({s.precision}, {'activation checkpointing, ' if s.activation_checkpointing else ''}"
                                  f"{_count(self.facts.parameters)} parameters)")
        self.duration_label.setText(
            f"Estimated time: {duration(self.plan.seconds)} of training ({plural(self.plan.total_steps or 0, 'update')}"
            f" over {s.epochs:g} epoch{'s' if s.epochs != 1 else ''}), plus loading the model" if self.plan.seconds
            else "Estimated time: known once the data are chosen")
        self._warn(self.plan.warning or "")
