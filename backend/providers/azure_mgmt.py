"""An Azure OpenAI resource's deployments through Azure Resource Manager (``azure-mgmt-cognitiveservices``).

``Management(account)`` signs in (``azure_signin``) and speaks for the resource named on the account (subscription,
resource group, resource name); ``find_resource`` fills those in from the endpoint by listing the accounts the
identity can see. Creating and deleting are long-running operations: the SDK's poller is waited on in short steps,
reporting its status and stopping when the user cancels (Azure's operation goes on; cancelling only stops waiting).
Every SDK error becomes the project's errors with Azure's own code and message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from backend import paths
from backend.cancel import CancelToken, Progress, ProgressFn
from backend.errors import (Cancelled, CredentialsError, InvalidInput, NetworkError, NotFound, Refused, StudioError,
                            Unconfirmed)
from backend.models import Account
from backend.providers import azure_signin

MANAGEMENT_URL = "https://management.azure.com"
#: The deployment types offered: Azure's SKU name -> what the user reads.
SKU_LABELS = {"Standard": "Standard", "GlobalStandard": "Global Standard", "DeveloperTier": "Developer"}
#: Azure deletes a Developer deployment this long after it was created.
DEVELOPER_LIFETIME = timedelta(hours=24)
POLL_STEP_S = 2.0


@dataclass(frozen=True)
class DeploymentInfo:
    """One deployment as Azure describes it."""

    name: str
    model: str
    sku: str
    capacity: int | None
    state: str  # Azure's provisioningState: Creating, Succeeded, Failed, Deleting...
    created: datetime | None

    @property
    def type_label(self) -> str:
        return SKU_LABELS.get(self.sku, self.sku)

    @property
    def expires(self) -> datetime | None:
        """When Azure deletes it (Developer deployments only)."""
        if self.sku.lower() != "developertier" or self.created is None:
            return None
        return self.created + DEVELOPER_LIFETIME


def management_url() -> str:
    return (paths.env(paths.FTS_AZURE_MANAGEMENT_URL) or MANAGEMENT_URL).rstrip("/")


def _options(url: str) -> dict:
    # azure-core refuses bearer tokens over plain http; only a server on this computer may be spoken to that way.
    host = urlsplit(url).hostname or ""
    return {"enforce_https": False} if url.startswith("http://") and host in ("127.0.0.1", "localhost") else {}


def _client(account: Account, subscription: str, prompt: azure_signin.PromptFn | None):
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return CognitiveServicesManagementClient(azure_signin.credential(account, prompt=prompt), subscription,
                                             base_url=management_url(), credential_scopes=[azure_signin.SCOPE])


def translate(exc: BaseException, account: Account, what: str) -> StudioError:
    """An SDK error as the project's: Azure's code and message in one sentence."""
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceNotFoundError,
                                       ServiceRequestError, ServiceResponseError)

    if isinstance(exc, StudioError):
        return exc
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return azure_signin.sign_in_error(exc, account)
    if isinstance(exc, ServiceResponseError):
        return Unconfirmed(f"The answer to “{what}” was lost on the way back from Azure.",
                           hint="It may have been carried out; the app looks before trying again.")
    if isinstance(exc, ServiceRequestError):
        return NetworkError(f"Azure Resource Manager could not be reached for “{what}”: {exc}",
                            hint="Check the network connection.")
    if isinstance(exc, HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or getattr(exc, "status_code", "")
        message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
        sentence = f"Azure refused “{what}” ({code}): {message}"
        if isinstance(exc, ResourceNotFoundError) or exc.status_code == 404:
            return NotFound(sentence, hint="Check the subscription, resource group and resource name on the account.")
        if exc.status_code in (401, 403):
            return CredentialsError(sentence, hint="The signed-in identity needs a role that may manage deployments "
                                                   "(Cognitive Services Contributor) on the resource.")
        return Refused(sentence)
    raise exc


def find_resource(account: Account, *, prompt: azure_signin.PromptFn | None = None) -> tuple[str, str, str]:
    """(subscription, resource group, resource name) of the account's endpoint, among the Cognitive Services
    accounts its subscription holds that the signed-in identity can see."""
    if not account.subscription_id:
        raise InvalidInput("Finding the resource needs the account's Azure subscription id.",
                           hint="Copy it from the resource's Overview page in the Azure portal.")
    host = (urlsplit(account.endpoint or "").hostname or "").lower()
    client = _client(account, account.subscription_id, prompt)
    try:
        found = list(client.accounts.list(**_options(management_url())))
    except Exception as exc:  # noqa: BLE001 - in the project's words
        raise translate(exc, account, "list the subscription's Azure AI resources") from None
    for resource in found:
        props = resource.properties
        hosts = {urlsplit(u).hostname for u in [getattr(props, "endpoint", None) or "",
                                                *(getattr(props, "endpoints", None) or {}).values()] if u}
        sub = (getattr(props, "custom_sub_domain_name", None) or "").lower()
        if host and (host in {h.lower() for h in hosts if h} or (sub and host.startswith(sub + "."))):
            group = resource.id.split("/resourceGroups/")[1].split("/")[0]
            return account.subscription_id, group, resource.name
    raise NotFound(f"No Azure AI resource in subscription {account.subscription_id} has the endpoint {host}.",
                   hint="Check the endpoint and subscription, and that the signed-in identity can read the resource.")


class Management:
    """The deployments of the account's resource."""

    def __init__(self, account: Account, *, prompt: azure_signin.PromptFn | None = None):
        missing = [label for label, value in (("subscription id", account.subscription_id),
                                              ("resource group", account.resource_group),
                                              ("resource name", account.resource_name)) if not value]
        if missing:
            raise InvalidInput(f"Deploying needs the account's {', '.join(missing)}.",
                               hint="Enter them on the Accounts page, or let the app find them from the endpoint "
                                    "(`python main.py deployments find --account NAME`).")
        self.account = account
        self.client = _client(account, account.subscription_id, prompt)
        self._where = (account.resource_group, account.resource_name)
        self._options = _options(management_url())

    def _call(self, what: str, fn, *args, **kwargs) -> Any:
        try:
            return fn(*self._where, *args, **self._options, **kwargs)
        except Exception as exc:  # noqa: BLE001 - in the project's words
            raise translate(exc, self.account, what) from None

    def list(self) -> list[DeploymentInfo]:
        return [_info(d) for d in self._call("list deployments", lambda *a, **k: list(
            self.client.deployments.list(*a, **k)))]

    def get(self, name: str) -> DeploymentInfo | None:
        try:
            return _info(self._call(f"show {name}", self.client.deployments.get, name))
        except NotFound:
            return None

    def create(self, name: str, model: str, sku: str, capacity: int, *, progress: ProgressFn | None = None,
               cancel: CancelToken | None = None) -> DeploymentInfo:
        """Create (or update) the deployment and wait until Azure has provisioned it (Succeeded or Failed)."""
        from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

        body = Deployment(sku=Sku(name=sku, capacity=capacity), properties=DeploymentProperties(
            model=DeploymentModel(format="OpenAI", name=model, version="1")))
        poller = self._call(f"deploy {name}", self.client.deployments.begin_create_or_update, name, body,
                            polling_interval=POLL_STEP_S)
        return _info(self._wait(poller, f"deploy {name}", "Deploying", progress, cancel))

    def delete(self, name: str, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> None:
        poller = self._call(f"delete {name}", self.client.deployments.begin_delete, name,
                            polling_interval=POLL_STEP_S)
        self._wait(poller, f"delete {name}", "Deleting", progress, cancel)

    def _wait(self, poller, what: str, doing: str, progress: ProgressFn | None, cancel: CancelToken | None) -> Any:
        start = time.monotonic()
        try:
            while not poller.done():
                if cancel is not None and cancel.cancelled:
                    raise Cancelled(f"Stopped waiting for “{what}”; Azure carries it on. The Deployments page "
                                    f"shows where it stands.")
                poller.wait(POLL_STEP_S)  # raises what the operation ended with
                if progress is not None:
                    progress(Progress(time.monotonic() - start, None, f"{doing}: Azure says {poller.status()}."))
            return poller.result()
        except Exception as exc:  # noqa: BLE001 - a failed operation in Azure's words
            raise translate(exc, self.account, what) from None


def _info(deployment: Any) -> DeploymentInfo:
    props = deployment.properties
    model = getattr(props, "model", None)
    sku = deployment.sku
    created = getattr(getattr(deployment, "system_data", None), "created_at", None)
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return DeploymentInfo(name=deployment.name, model=getattr(model, "name", None) or "",
                          sku=getattr(sku, "name", None) or "", capacity=getattr(sku, "capacity", None),
                          state=getattr(props, "provisioning_state", None) or "Unknown", created=created)


def now() -> datetime:
    return datetime.now(UTC)
