"""Deploying an Azure OpenAI account's fine-tuned models, probing them, and deleting them (``Deploys``).

Creating is a PUT by name, so sending it twice never makes two deployments; still, a deploy checks first whether a
deployment of that name exists (it is adopted when it serves the same model and refused when it serves another),
and after a lost answer it looks the name up before anything is sent again. A deployment that Azure reports as
Succeeded may still refuse requests for a while, so it is only called ready once one tiny chat through the data
plane (the account's API key) has answered; that is remembered per account in ``azure_deployments.json`` (names and
times only), which the playground's catalog reads without signing in to Azure.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend import paths
from backend.cancel import CancelToken, Progress, ProgressFn
from backend.errors import Cancelled, InvalidInput, StudioError, Unconfirmed
from backend.models import BaseModelInfo, ChatMessage, ChatParams
from backend.providers import azure_signin
from backend.providers.azure_mgmt import DeploymentInfo, Management, now

PROBE_TIMEOUT_S = 600.0  # how long a new deployment may refuse requests before it is shown as not answering
PROBE_INTERVAL_S = 10.0
LOOKUP_TRIES = 3
_lock = threading.Lock()


@dataclass(frozen=True)
class DeploymentView:
    """A deployment and whether it answers (``ready``), as the Deployments page and ``deployments list`` show it."""

    info: DeploymentInfo
    ready: bool
    problem: str | None = None  # why the last probe failed

    @property
    def status(self) -> str:
        if self.info.state != "Succeeded":
            return self.info.state
        if self.ready:
            return "Ready"
        return "Not answering" if self.problem else "Succeeded, not probed"


# -- the ready record -----------------------------------------------------------------------------------------
def _record_file():
    return paths.data_dir() / "azure_deployments.json"


def _read() -> dict:
    try:
        data = json.loads(_record_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict) -> None:
    path = _record_file()
    fd, tmp = tempfile.mkstemp(prefix=".deployments-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def _update(account_id: str, name: str, entry: dict | None) -> None:
    with _lock:
        data = _read()
        entries = data.setdefault(account_id, {})
        if entry is None:
            entries.pop(name, None)
        else:
            entries[name] = {**entries.get(name, {}), **entry}
        _write(data)


def recorded(account_id: str) -> dict[str, dict]:
    return dict(_read().get(account_id, {}))


def ready_models(account_id: str | None) -> list[BaseModelInfo]:
    """The account's deployments that answered a probe and are not past a Developer deployment's 24 hours, as
    chat models (the name is what the data plane takes as ``model``)."""
    out = []
    for name, entry in sorted(recorded(account_id or "").items()):
        expires = entry.get("expires")
        if not entry.get("ready_at") or (expires and datetime.fromisoformat(expires) <= now()):
            continue
        out.append(BaseModelInfo(id=name, label=f"{name} (deployment of {entry.get('model', '?')})", fine_tuned=True))
    return out


# -- the manager ------------------------------------------------------------------------------------------------
class Deployments:
    """The deployments of one Azure OpenAI account; built by the provider (``AzureProvider.deployments``)."""

    def __init__(self, provider: Any, *, prompt: azure_signin.PromptFn | None = None):
        self.provider = provider
        self.account = provider.account
        self._prompt = prompt
        self._management: Management | None = None

    def sign_in(self) -> str:
        """Sign in to Azure now (the account's method); who signed in."""
        azure_signin.forget(self.account)
        return azure_signin.sign_in(self.account, prompt=self._prompt)

    def find_resource(self) -> tuple[str, str, str]:
        """(subscription, resource group, resource name) of the account's endpoint."""
        from backend.providers.azure_mgmt import find_resource

        return find_resource(self.account, prompt=self._prompt)

    @property
    def management(self) -> Management:
        if self._management is None:
            self._management = Management(self.account, prompt=self._prompt)
        return self._management

    def list(self) -> list[DeploymentView]:
        """Every deployment of the resource; the ready record forgets the ones that are gone."""
        infos = self.management.list()
        record = recorded(self.account.id)
        for gone in set(record) - {i.name for i in infos}:
            _update(self.account.id, gone, None)
        return [self._view(info, record.get(info.name, {})) for info in infos]

    def show(self, name: str) -> DeploymentView | None:
        info = self.management.get(name)
        return None if info is None else self._view(info, recorded(self.account.id).get(name, {}))

    @staticmethod
    def _view(info: DeploymentInfo, entry: dict) -> DeploymentView:
        ready = bool(entry.get("ready_at")) and info.state == "Succeeded"
        return DeploymentView(info, ready, None if ready else entry.get("problem"))

    def deploy(self, model: str, name: str, sku: str, capacity: int, *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> DeploymentInfo:
        """Create the deployment once and wait until Azure has provisioned it (raises when it failed)."""
        _check_name(name)
        existing = self.management.get(name)
        if existing is not None and existing.model != model:
            raise InvalidInput(f"The resource already has a deployment named “{name}”, serving {existing.model}.",
                               hint="Choose another name, or delete that deployment first.")
        if existing is not None and existing.state in ("Succeeded", "Creating", "Accepted"):
            info = self._settle(existing, progress, cancel)  # the same model: this click's deployment exists
        else:
            try:
                info = self.management.create(name, model, sku, capacity, progress=progress, cancel=cancel)
            except Unconfirmed:
                info = self._look_up_after_lost_answer(name, progress, cancel)
        _update(self.account.id, name, {"model": model, "ready_at": None, "problem": None,
                                        "expires": info.expires.isoformat() if info.expires else None})
        if info.state == "Failed":
            raise StudioError(f"Azure could not deploy “{name}”: the deployment failed.",
                              hint="Delete it and try another deployment type or capacity.")
        return info

    def _look_up_after_lost_answer(self, name: str, progress: ProgressFn | None,
                                   cancel: CancelToken | None) -> DeploymentInfo:
        for _ in range(LOOKUP_TRIES):
            found = self.management.get(name)
            if found is not None:
                return self._settle(found, progress, cancel)
            if cancel is not None and cancel.wait(1.0):
                break
        raise Unconfirmed(f"Azure's answer to deploying “{name}” was lost and the deployment cannot be seen yet.",
                          hint="Open the Deployments list in a minute before deploying again.")

    def _settle(self, info: DeploymentInfo, progress: ProgressFn | None, cancel: CancelToken | None) -> DeploymentInfo:
        """Wait for a deployment Azure is still provisioning (one this click found rather than created)."""
        start = time.monotonic()
        while info.state in ("Creating", "Accepted"):
            if progress is not None:
                progress(Progress(time.monotonic() - start, None, f"Deploying: Azure says {info.state}."))
            if cancel is not None and cancel.wait(PROBE_INTERVAL_S / 5):
                raise Cancelled("Stopped waiting; Azure carries on with the deployment.")
            info = self.management.get(info.name) or info
        return info

    def probe(self, name: str, *, timeout: float | None = None, interval: float | None = None,
              progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> bool:
        """One tiny chat with the deployment, again every ``interval`` s (default ``PROBE_INTERVAL_S``) until it
        answers (True: ready) or ``timeout`` s (default ``PROBE_TIMEOUT_S``) have passed (False: shown as not
        answering, with the last refusal)."""
        timeout = PROBE_TIMEOUT_S if timeout is None else timeout
        interval = PROBE_INTERVAL_S if interval is None else interval
        start, problem, tries = time.monotonic(), "", 0
        while True:
            tries += 1
            try:
                for _ in self.provider.chat_stream(name, [ChatMessage(role="user", content="Hi")],
                                                   ChatParams(max_tokens=1), cancel):
                    pass
            except StudioError as exc:
                problem = str(exc)
            else:
                _update(self.account.id, name, {"ready_at": now().isoformat(), "problem": None})
                return True
            waited = time.monotonic() - start
            if progress is not None:
                progress(Progress(waited, timeout, f"Not answering yet (try {tries}): {problem}"))
            if waited + interval > timeout or (cancel is not None and cancel.wait(interval)):
                break
        _update(self.account.id, name, {"ready_at": None, "problem": problem})
        if cancel is not None and cancel.cancelled:
            raise Cancelled("Stopped probing the deployment.")
        return False

    def delete(self, name: str, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> None:
        """Delete the deployment (its hosting charges stop); the fine-tuned model itself stays."""
        self.management.delete(name, progress=progress, cancel=cancel)
        _update(self.account.id, name, None)


def _check_name(name: str) -> None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}", name or ""):
        raise InvalidInput(f"“{name}” cannot name a deployment.",
                           hint="Use 2 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.")
