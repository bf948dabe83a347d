"""The hardware a cloud run rents: each flavor the provider offers now, with its live price per hour, memory,
whether the chosen model and method fit (the local memory plan, run against the flavor), and the estimated
duration and cost from the data's token count; then the run's timeout (from the estimate with a margin,
editable) and an optional budget that stops the run when its spend would pass it.

Shown by the model page for a provider that ``rents_hardware``; what it chose goes into the draft's options
(``flavor``, ``timeout_seconds``, ``budget_usd``), which the provider reads at launch. The flavors are asked for
in a worker; the plans are arithmetic, made here.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QFormLayout, QGroupBox, QHeaderView, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from backend.errors import StudioError
from backend.training.rented import Flavor, money, timeout_for
from ui.tasks import Task
from ui.widgets.plain import plain_label, plain_tooltip

COLUMNS = ["Hardware", "Price per hour", "Memory", "Fits", "Estimated time", "Estimated cost"]
OPTIONS = ("flavor", "timeout_seconds", "budget_usd")


def _duration(seconds: float | None) -> str:
    if not seconds:
        return "unknown"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def _ask(kind, account_id, model: str):
    """(flavors, the model's facts from its config on the Hub or None), in a worker."""
    from backend.providers import open_provider

    provider = open_provider(kind, account_id)
    flavors = provider.flavors()
    try:
        facts = provider.model_facts(model) if model else None
    except StudioError:  # the page says what is wrong with the model; the prices still show
        facts = None
    return flavors, facts


class HardwareChooser(QGroupBox):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__("Hardware on Hugging Face", parent)
        self.flavors: list[Flavor] = []
        self.plans: dict[str, object] = {}
        self.facts = None  # the model's shape from its config on the Hub  # flavor name -> Plan, or the sentence why none could be made
        self._wanted: str | None = None
        self.table = QTableWidget(0, len(COLUMNS), accessibleName="Hardware")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(150)
        self.timeout = QSpinBox(minimum=0, maximum=7 * 24 * 60, singleStep=30, suffix=" min",
                                accessibleName="Timeout", specialValueText="Auto")
        self.timeout.setToolTip("Hugging Face stops the job at its timeout. Auto: the estimated time x 1.5 plus "
                                "10 minutes for setup, at least 30 minutes.")
        self.budget = QDoubleSpinBox(minimum=0, maximum=100_000, decimals=2, singleStep=1, prefix="$",
                                     accessibleName="Budget", specialValueText="No budget")
        self.budget.setToolTip("The run is cancelled when its spend would pass this; its last pushed checkpoint "
                               "is kept, and it can be resumed.")
        self.note = plain_label("Asking Hugging Face for its hardware and prices…", wordWrap=True)
        form = QFormLayout()
        form.addRow("Timeout", self.timeout)
        form.addRow("Budget", self.budget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.note)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.timeout.valueChanged.connect(self.changed)
        self.budget.valueChanged.connect(self.changed)

    # input
    def load(self, kind, account_id: str | None, model: str, wanted: str | None = None) -> None:
        """Ask for the flavors and the model's shape (in a worker); ``wanted``: the flavor to select (the draft's)."""
        self._wanted = wanted or (self.chosen().name if self.chosen() else None)
        Task(_ask, kind, account_id, model, name="list hardware").on_success(
            lambda found: self.set_flavors(*found)).on_error_message(self.note.setText).start()

    def set_flavors(self, flavors: list[Flavor], facts=None) -> None:
        self.facts = facts
        self.flavors = list(flavors)
        self.note.setText("" if flavors else "Hugging Face offers no hardware to this account.")
        self._fill()
        self.changed.emit()  # the page plans the run on them

    def set_plan_input(self, config, facts, stats, has_validation: bool) -> None:
        """Plan the run on each flavor with the local memory plan (``facts``: the page's, else the Hub config's)."""
        from backend.training.defaults import resolve

        facts = facts or self.facts
        self.plans = {}
        for flavor in self.flavors if facts is not None else []:
            try:
                self.plans[flavor.name] = resolve(
                    config, facts, flavor.hardware(), examples=stats.valid_examples if stats else None,
                    tokens=stats.total_tokens if stats else None,
                    longest=stats.tokens.max if stats and stats.tokens else None, has_validation=has_validation)
            except (StudioError, ValueError) as exc:
                self.plans[flavor.name] = str(exc)
        self._fill()

    # output
    def chosen(self) -> Flavor | None:
        row = self.table.currentRow()
        return self.flavors[row] if 0 <= row < len(self.flavors) and self.table.selectedItems() else None

    def options(self) -> dict:
        flavor = self.chosen()
        return {k: v for k, v in {"flavor": flavor.name if flavor else self._wanted,
                                  "timeout_seconds": self.timeout.value() * 60 or None,
                                  "budget_usd": self.budget.value() or None}.items() if v is not None}

    def problem(self) -> str:
        flavor = self.chosen()
        if flavor is None:
            return "Choose the hardware to train on."
        plan = self.plans.get(flavor.name)
        if isinstance(plan, str):
            return plan
        if plan is not None and not plan.fits:
            return f"The model does not fit on “{flavor.label}”: choose hardware with more memory, or QLoRA."
        return ""

    # the table
    def _fill(self) -> None:
        current = self.chosen()
        wanted = current.name if current else self._wanted
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.flavors))
        for row, flavor in enumerate(self.flavors):
            plan = self.plans.get(flavor.name)
            seconds = getattr(plan, "seconds", None)
            fits = ("…" if plan is None else "no" if isinstance(plan, str) or not plan.fits else "yes")
            cells = [f"{flavor.label} ({flavor.name})", f"{money(flavor.price_per_hour)}",
                     f"{flavor.memory_bytes / 2**30:.0f} GiB {'GPU' if flavor.gpu else 'RAM'}", fits,
                     _duration(seconds), money(flavor.cost(seconds + 600)) if seconds else "unknown"]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3 and isinstance(plan, str):
                    item.setToolTip(plain_tooltip(plan))
                self.table.setItem(row, column, item)
            if flavor.name == wanted:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._show_timeout()

    def _chosen(self) -> None:
        self._show_timeout()
        self.changed.emit()

    def _show_timeout(self) -> None:
        flavor = self.chosen()
        plan = self.plans.get(flavor.name) if flavor else None
        seconds = getattr(plan, "seconds", None)
        self.timeout.setSpecialValueText(f"Auto ({timeout_for(seconds) // 60} min)")
