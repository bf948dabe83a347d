"""Hugging Face Inference Endpoints: deploy a pushed model to a dedicated endpoint, and list, pause, resume, scale
to zero and delete endpoints, through ``huggingface_hub`` (``create_inference_endpoint`` and friends).

Money: an endpoint is billed per hour while it runs. A deploy is planned first (``plan``: instance, region, price
per hour, scale-to-zero, in one sentence the user confirms), then sent once. The endpoint's name is unique in its
namespace, so it is the deploy's key: after a lost answer the app asks for that name instead of sending again, and
a later "Deploy" with the same plan can only find the endpoint, never start a second one (the service refuses a
taken name; a taken name carrying this plan's tag is adopted as the deploy's own).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.cancel import CancelToken, ProgressFn
from backend.errors import InvalidInput, NotFound, Refused, Unconfirmed

if TYPE_CHECKING:
    from backend.models import Account

READY, BILLED_STATES = "running", ("pending", "initializing", "updating", "running")
STATE_WORDS = {"pending": "waiting for an instance", "initializing": "starting", "updating": "updating",
               "updateFailed": "failed to update", "running": "running", "paused": "paused (not billed)",
               "failed": "failed", "scaledToZero": "scaled to zero (not billed; the next request wakes it)"}
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")


@dataclass(frozen=True)
class Hardware:
    id: str
    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    price_per_hour: float
    memory_gb: float
    gpu_memory_gb: int | None = None

    def describe(self) -> str:
        memory = f"{self.gpu_memory_gb} GB GPU memory" if self.gpu_memory_gb else f"{self.memory_gb:g} GB memory"
        return (f"{self.accelerator.upper()} {self.instance_type} {self.instance_size} ({memory}) on "
                f"{self.vendor} {self.region}, ${self.price_per_hour:.2f} per hour")


@dataclass(frozen=True)
class Plan:
    """What a deploy will create, fixed before the user confirms it (its tag marks the endpoint as this deploy's)."""

    name: str
    repository: str
    hardware: Hardware
    scale_to_zero_minutes: int | None = 15
    tag: str = field(default_factory=lambda: "fts-" + secrets.token_hex(6))

    def confirmation(self) -> str:
        idle = (f"It scales to zero after {self.scale_to_zero_minutes} minutes without requests (no charge then; "
                "the next request wakes it, which takes a few minutes)." if self.scale_to_zero_minutes
                else "It never scales to zero: it is billed every hour until you pause or delete it.")
        return (f"Deploy {self.repository} to the dedicated endpoint “{self.name}”: {self.hardware.describe()} "
                f"while it runs. {idle}")


@dataclass(frozen=True)
class Endpoint:
    name: str
    repository: str
    state: str
    url: str | None = None
    message: str | None = None
    namespace: str = ""

    def describe(self) -> str:
        words = STATE_WORDS.get(self.state, self.state)
        return f"{self.name}: {self.repository}, {words}" + (f" — {self.message}" if self.message else "")


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(f"“{name}” cannot name an endpoint: use 1 to 32 lowercase letters, digits and “-”, "
                           "starting and ending with a letter or digit.", hint="For example: my-model-v1")
    return name


def default_name(repository: str) -> str:
    return check_name(re.sub(r"[^a-z0-9-]+", "-", repository.split("/")[-1].lower()).strip("-")[:32].strip("-")
                      or "model")


class Endpoints:
    """One Hugging Face account's endpoints (its token in memory only)."""

    def __init__(self, account: Account, token: str):
        from huggingface_hub import HfApi

        from backend.log import register_secret

        register_secret(token)
        self.account, self._api = account, HfApi(endpoint=account.endpoint or None, token=token)
        self._namespace: str | None = None

    @property
    def namespace(self) -> str:
        if self._namespace is None:
            self._namespace = self._call(lambda: self._api.whoami()["name"], "token")
        return self._namespace

    def _call(self, fn, subject: str, name: str | None = None):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the service's answers in words; anything else unchanged
            raise self._translate(exc, name or subject) from exc

    def _translate(self, exc: Exception, name: str) -> BaseException:
        """Inference Endpoints' refusals in words; a network failure or anything else through ``hub.hub_error``."""
        from huggingface_hub.errors import HfHubHTTPError

        from backend.errors import CredentialsError
        from backend.hub import hub_error

        token = f"the token of the account “{self.account.name}”"
        status = exc.response.status_code if isinstance(exc, HfHubHTTPError) and exc.response is not None else None
        said = " ".join((getattr(exc, "server_message", None) or "").split())
        if status in (401, 403):
            return CredentialsError(f"Inference Endpoints refused {token}" + (f": {said}" if said else "."),
                                    hint="Use a token with write access on the Accounts page.")
        if status == 402:
            return Refused(f"Inference Endpoints need a payment method on the account: {said or 'none is set'}.",
                           hint="Add one in your Hugging Face billing settings, then try again.")
        if status is not None and status < 500:
            return InvalidInput(f"Inference Endpoints refused the request for “{name}”: {said or f'HTTP {status}'}.",
                                hint="Check the name, instance and repository, then try again.")
        return hub_error(exc, subject="token", name=name, token_source=token, endpoint=self.account.endpoint)

    def hardware(self, accelerator: str | None = None) -> list[Hardware]:
        found = self._call(lambda: self._api.list_inference_endpoints_hardware(namespace=self.namespace), "hardware")
        return sorted((Hardware(h.id, h.vendor, h.region, h.accelerator, h.instance_type, h.instance_size,
                                h.price_per_hour, h.memory_gb, h.gpu_memory_gb)
                       for h in found if h.status == "available" and accelerator in (None, h.accelerator)),
                      key=lambda h: (h.price_per_hour, h.id))

    def plan(self, repository: str, *, name: str | None = None, hardware_id: str | None = None,
             scale_to_zero_minutes: int | None = 15, accelerator: str | None = None) -> Plan:
        """The deploy to confirm: the named hardware, else the cheapest available one (of ``accelerator``)."""
        from backend.hub import check_id

        repository = check_id(repository, subject="repository")
        name = check_name(name) if name else default_name(repository)
        offered = self.hardware(accelerator)
        chosen = next((h for h in offered if h.id == hardware_id), None) if hardware_id else (offered or [None])[0]
        if chosen is None:
            ids = ", ".join(h.id for h in offered[:8]) or "none"
            raise InvalidInput(f"No available instance “{hardware_id or accelerator}” for this account.",
                               hint=f"Choose one of: {ids} (see `endpoints hardware`).")
        if scale_to_zero_minutes is not None and scale_to_zero_minutes < 1:
            raise InvalidInput("Scale to zero needs at least 1 minute without requests.", hint="For example: 15")
        return Plan(name=name, repository=repository, hardware=chosen, scale_to_zero_minutes=scale_to_zero_minutes)

    def deploy(self, plan: Plan) -> Endpoint:
        """Create the endpoint, at most once: a lost answer is settled by asking for the plan's name."""
        from huggingface_hub.errors import HfHubHTTPError

        h = plan.hardware
        try:
            raw = self._api.create_inference_endpoint(
                plan.name, repository=plan.repository, framework="pytorch", accelerator=h.accelerator,
                instance_size=h.instance_size, instance_type=h.instance_type, region=h.region, vendor=h.vendor,
                min_replica=0 if plan.scale_to_zero_minutes else 1, max_replica=1,
                scale_to_zero_timeout=plan.scale_to_zero_minutes, task="text-generation", type="authenticated",
                tags=[plan.tag], namespace=self.namespace)
            return _endpoint(raw)
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status == 409:  # the name is taken: this deploy's own endpoint (sent before), or someone else's
                return self._adopt(plan, exc)
            if status is not None and status < 500:  # refused: nothing was created
                raise self._translate(exc, plan.name) from exc
            return self._adopt(plan, exc)
        except Exception as exc:  # noqa: BLE001 - no answer: it may have been created
            return self._adopt(plan, exc)

    def _adopt(self, plan: Plan, cause: Exception) -> Endpoint:
        from huggingface_hub.errors import HfHubHTTPError

        try:
            found = self._api.get_inference_endpoint(plan.name, namespace=self.namespace)
        except HfHubHTTPError as exc:
            if exc.response is not None and exc.response.status_code == 404:
                raise Unconfirmed(f"The Hub did not confirm the endpoint “{plan.name}”, and none exists.",
                                  hint="Deploy again: it uses the same name, so at most one endpoint is "
                                       "ever created.") from cause
            raise Unconfirmed(f"The Hub did not confirm the endpoint “{plan.name}”, and the app could not check.",
                              hint="Run `endpoints list` in a minute before deploying again.") from cause
        except Exception:  # noqa: BLE001 - still no answer
            raise Unconfirmed(f"The Hub did not confirm the endpoint “{plan.name}”, and the app could not check.",
                              hint="Run `endpoints list` in a minute before deploying again.") from cause
        if plan.tag in (found.raw.get("tags") or []):
            return _endpoint(found)
        raise Refused(f"An endpoint named “{plan.name}” already exists ({found.repository}).",
                      hint="Choose another name, or delete that endpoint first.")

    def wait(self, name: str, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
             every: float = 5.0, timeout: float = 3600) -> Endpoint:
        """Follow ``name`` until it runs or fails (the deploy goes on if this is cancelled)."""
        import time

        from backend.cancel import Progress
        from backend.errors import Refused as Failed

        cancel, start = cancel or CancelToken(), time.monotonic()
        while True:
            endpoint = self.get(name)
            if progress:
                progress(Progress(0, None, f"{name}: {STATE_WORDS.get(endpoint.state, endpoint.state)}"))
            if endpoint.state in (READY, "scaledToZero"):
                return endpoint
            if endpoint.state in ("failed", "updateFailed"):
                raise Failed(f"The endpoint “{name}” failed: {endpoint.message or 'the Hub gave no reason'}.",
                             hint=f"Delete it to be sure nothing is billed: `endpoints delete {name}`.")
            if time.monotonic() - start > timeout or cancel.wait(every):
                cancel.raise_if_cancelled()
                return endpoint

    def list(self) -> list[Endpoint]:
        return [_endpoint(e) for e in self._call(lambda: self._api.list_inference_endpoints(namespace=self.namespace),
                                                  "endpoints")]

    def get(self, name: str) -> Endpoint:
        return _endpoint(self._named(lambda n, ns: self._api.get_inference_endpoint(n, namespace=ns), name))

    def pause(self, name: str) -> Endpoint:
        return _endpoint(self._named(lambda n, ns: self._api.pause_inference_endpoint(n, namespace=ns), name))

    def resume(self, name: str) -> Endpoint:
        return _endpoint(self._named(lambda n, ns: self._api.resume_inference_endpoint(n, namespace=ns), name))

    def scale_to_zero(self, name: str) -> Endpoint:
        return _endpoint(self._named(lambda n, ns: self._api.scale_to_zero_inference_endpoint(n, namespace=ns),
                                     name))

    def delete(self, name: str) -> None:
        self._named(lambda n, ns: self._api.delete_inference_endpoint(n, namespace=ns), name)

    def _named(self, fn, name: str):
        from huggingface_hub.errors import HfHubHTTPError

        name = check_name(name)
        namespace = self.namespace
        try:
            return fn(name, namespace)
        except HfHubHTTPError as exc:
            if exc.response is not None and exc.response.status_code == 404:
                raise NotFound(f"There is no endpoint “{name}” under {namespace}.",
                               hint="See `endpoints list`.") from exc
            raise self._translate(exc, name) from exc


def _endpoint(raw) -> Endpoint:
    status = raw.raw.get("status") or {}
    return Endpoint(name=raw.name, repository=raw.repository, state=raw.status, url=raw.url,
                    message=status.get("message"), namespace=raw.namespace)


CHARGES_STOP = {"pause": "Paused: it is not billed until you resume it.",
                "delete": "Deleted: it is no longer billed.",
                "scale-to-zero": "Scaled to zero: it is not billed until a request wakes it.",
                "resume": "Resuming: it is billed by the hour again once it runs."}
