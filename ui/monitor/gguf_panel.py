"""The Export dialog's GGUF section: a quantization, a folder, "Add to Ollama" and an optional Hub repository for
the GGUF. It gathers choices only; ``backend.training.gguf.export_gguf`` (through the provider) does the work.
Quantizations this computer cannot write are listed but disabled, with the reason as their tooltip."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLineEdit

from backend.errors import StudioError
from ui.widgets.plain import plain_label, plain_tooltip


class GgufPanel(QGroupBox):
    def __init__(self, folder_row, slug: str):
        from backend.training.gguf import QUANTS, quant_missing
        from backend.training.modelfile import OLLAMA_URL

        super().__init__("GGUF for llama.cpp and Ollama", checkable=True, checked=False)
        self.folder = folder_row
        self.quant = QComboBox(accessibleName="Quantization")
        for quant in QUANTS:
            self.quant.addItem({"F16": "F16 (full quality, largest)", "Q8_0": "Q8_0 (near full quality, half size)",
                                "Q4_K_M": "Q4_K_M (small, the usual choice)"}[quant], quant)
            why = quant_missing(quant)
            if why:  # listed but not offered: the tooltip says how to get it
                item = self.quant.model().item(self.quant.count() - 1)
                item.setEnabled(False)
                item.setToolTip(plain_tooltip(why))
        first = next(i for i in range(self.quant.count()) if self.quant.model().item(i).isEnabled())
        best = self.quant.findData("Q4_K_M")
        self.quant.setCurrentIndex(best if self.quant.model().item(best).isEnabled() else first)
        self.ollama = QCheckBox("Add to Ollama as")
        self.ollama_name = QLineEdit(slug.lower(), accessibleName="Ollama model name")
        has_ollama = shutil.which("ollama") is not None
        self.ollama.toggled.connect(self.ollama_name.setEnabled)
        self.ollama.setChecked(has_ollama)
        self.ollama.setEnabled(has_ollama)
        self.ollama_name.setEnabled(has_ollama)
        if not has_ollama:
            self.ollama.setToolTip(plain_tooltip(f"Ollama is not installed: get it from {OLLAMA_URL}. The Modelfile "
                                                 "is written anyway; the command to run is shown after the export."))
        self.repo = QLineEdit(placeholderText=f"{slug}-GGUF (optional: push it for `ollama run hf.co/...`)")
        self.repo.setAccessibleName("GGUF repository")
        form = QFormLayout(self)
        form.addRow("Quantization", self.quant)
        form.addRow("Folder", self.folder)
        form.addRow(self.ollama, self.ollama_name)
        form.addRow("Hub repository", self.repo)
        hint = plain_label("One .gguf file (converted by llama.cpp's own converter) with an Ollama Modelfile. The "
                           "repository uses the account chosen above.", wordWrap=True)
        hint.setProperty("role", "hint")
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(hint)

    def request(self, private: bool, account: str | None):
        """The ``GgufRequest``, or raises StudioError with the problem."""
        from backend import hub
        from backend.errors import InvalidInput
        from backend.training.gguf import GgufRequest

        folder: Path | None = self.folder.path()
        if folder is None:
            raise InvalidInput("Choose a folder for the GGUF.")
        repo = hub.check_repo_id(self.repo.text()) if self.repo.text().strip() else None
        name = self.ollama_name.text().strip() if self.ollama.isChecked() else None
        if self.ollama.isChecked() and not name:
            raise InvalidInput("Name the model for Ollama.")
        return GgufRequest(out_dir=folder, quant=self.quant.currentData(), repo_id=repo, private=private,
                           account=account, ollama_name=name)


__all__ = ["GgufPanel", "StudioError"]
