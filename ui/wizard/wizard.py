"""The new fine-tune wizard: provider and account, data, model and method (by provider), review.

Pages share ``draft`` (a WizardDraft) rather than each other's widgets. Where providers differ,
``nextId`` asks the provider's class which model page it uses (``ModelPage``): a hosted service's list of
models, or the page for training on this computer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard, QWizardPage

from backend.models import Account, ProviderKind
from ui.widgets.plain import plain_label
from ui.wizard.draft import WizardDraft

PROVIDER, DATA, MODEL, LOCAL_MODEL, REVIEW = range(5)
#: The steps the indicator shows, and the pages that make each one.
STEPS = [("Provider", frozenset({PROVIDER})), ("Data", frozenset({DATA})),
         ("Model", frozenset({MODEL, LOCAL_MODEL})), ("Review", frozenset({REVIEW}))]


def saved_accounts() -> list[Account]:
    """Accounts from the account store (none when its file is damaged: the Accounts page says why)."""
    from backend import accounts
    from backend.errors import InvalidInput

    try:
        return accounts.list_accounts()
    except InvalidInput:
        return []


def _missing_keys(saved: list[Account]) -> set[str]:
    from backend.accounts import missing_keys

    return missing_keys(saved)


def _none(saved: list[Account]) -> set[str]:
    return set()


class FineTuneWizard(QWizard):
    def __init__(self, context, draft: WizardDraft | None = None, *, accounts: Callable[[], list[Account]] = None,
                 open_provider: Callable | None = None, parent=None):
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Widget)  # lives inside the main window's page stack
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.context = context
        self.draft = draft or WizardDraft()
        self.list_accounts = accounts or saved_accounts
        #: Which of the listed accounts have lost their key (asked in the background by the provider page).
        #: Accounts given by the caller (tests, with their provider opened for them) need no key from here.
        self.missing_keys: Callable[[list[Account]], set[str]] = _missing_keys if accounts is None else _none
        if open_provider is None:
            from backend.providers import open_provider
        self.open_provider = open_provider
        self._providers: dict[tuple, object] = {}
        self._opening = threading.Lock()  # pages open providers in their tasks, never on the GUI thread

        from ui.wizard.model_page import ModelPage
        from ui.wizard.provider_page import ProviderPage
        from ui.wizard.review_page import ReviewPage

        self.setPage(PROVIDER, ProviderPage())
        self.setPage(DATA, _data_page())
        self.setPage(MODEL, ModelPage())
        self.setPage(LOCAL_MODEL, _local_model_page())
        self.setPage(REVIEW, ReviewPage())
        from ui.wizard.steps import StepBar

        # Shown by the page that hosts the wizard, above it (NewFineTunePage).
        self.steps = StepBar(self, STEPS, locked=self.launched)

    def launched(self) -> bool:
        """Whether the review page has launched its job (the steps no longer go back)."""
        return self.page(REVIEW).job is not None

    def provider(self):
        """The provider for the draft's provider and account (call it in a Task: it may read the keyring)."""
        return self.opened(self.draft.provider, self.draft.account_id)

    def opened(self, kind: ProviderKind, account_id: str | None):
        """The provider for ``kind`` and ``account_id``, opened once per pair: the opener that the model list,
        the review's preview and the launch share, each in its own worker."""
        with self._opening:
            key = (kind, account_id)
            if key not in self._providers:
                self._providers[key] = self.open_provider(*key)
            return self._providers[key]

    def account(self) -> Account | None:
        return next((a for a in self.list_accounts() if a.id == self.draft.account_id), None)

    def nextId(self) -> int:
        current = self.currentId()
        if current == DATA:
            from backend.providers import provider_class
            from backend.providers.base import ModelPage

            local = self.draft.provider and provider_class(self.draft.provider).model_page is ModelPage.LOCAL
            return LOCAL_MODEL if local else MODEL
        if current in (MODEL, LOCAL_MODEL):
            return REVIEW
        return super().nextId() if current != REVIEW else -1


def _data_page() -> QWizardPage:
    try:
        from ui.wizard.data_page import DataPage
    except ImportError:
        return _Slot("Data", "The data page is not available in this version.")
    return DataPage()


def _local_model_page() -> QWizardPage:
    try:
        from ui.wizard.local_model_page import LocalModelPage
    except ImportError:
        return _Slot("Model and method", "Training on this computer is not available in this version.")
    return LocalModelPage()


class _Slot(QWizardPage):
    """Stands in for a page that this build lacks; it never lets the user go on."""

    def __init__(self, title: str, text: str):
        super().__init__()
        self.setTitle(title)
        label = plain_label(text, self)
        label.move(10, 10)

    def isComplete(self) -> bool:
        return False
