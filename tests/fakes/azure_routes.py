"""The fake's Azure OpenAI answers where Azure differs from OpenAI (``/openai/...`` routes), held to Azure's
description (``azure_spec``): its models list (fine-tune capability, retirement dates), ``trainingType`` on job
creation, its job states (``pending`` where OpenAI says ``validating_files``/``queued``), its error shape
(``{"error": {"code": <Azure ErrorCode>, "message": ...}}``) and jobs stopped by its safety checks.

``trainingType`` is not in the published description (see the vendored file's ``info.x-vendored``); the values
accepted are the ones Microsoft's own SDK sends (azure-ai-projects 2.10.0, tests/test_base.py: ``Standard``,
``GlobalStandard``, ``developerTier``), read case-insensitively as the service reads enums. A value it does not
know, or one the model cannot train with, is a 400 ``invalidPayload`` in the words the portal shows ("Standard
TrainingType is not supported ...").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tests.fakes.openai_state import APIFailure, FakeOpenAIState, now


def _unix(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())


TIERS = {"standard": "Standard", "globalstandard": "GlobalStandard", "developertier": "DeveloperTier"}
#: id: (training ends, deployments end, training types, methods); None: listed but not fine-tunable.
MODELS: dict[str, tuple[str, str, frozenset[str], tuple[str, ...]] | None] = {
    "gpt-4.1-2025-04-14": ("2027-04-14", "2027-10-14", frozenset(TIERS), ("supervised", "dpo")),
    "gpt-4.1-mini-2025-04-14": ("2027-04-14", "2027-10-14", frozenset(TIERS), ("supervised", "dpo")),
    "gpt-4o-mini-2024-07-18": ("2026-12-31", "2027-03-31", frozenset({"standard", "globalstandard"}),
                               ("supervised",)),
    "gpt-35-turbo-0125": ("2026-12-15", "2027-01-15", frozenset({"standard"}), ("supervised",)),
    "text-embedding-3-small": None,
}
_STATES = {"validating_files": "pending", "queued": "pending"}  # Azure's FineTuningState has neither
_CODES = {400: "invalidPayload", 401: "unauthorized", 403: "forbidden", 404: "notFound", 409: "conflict",
          429: "tooManyRequests", 500: "internalFailure", 503: "serviceUnavailable"}
SAFETY_DATA = ("The provided training data failed RAI checks for harm types: [hate_fairness, violence]. Please fix "
               "the data and try again.")
SAFETY_MODEL = ("The fine-tuned model failed RAI checks for harm types: [self_harm]. The model cannot be deployed; "
                "please review the training data and try again.")


def _capabilities(fine_tune: bool) -> dict:
    return {"fine_tune": fine_tune, "inference": True, "completion": False, "chat_completion": True,
            "embeddings": False}


def models(state: FakeOpenAIState) -> list[dict]:
    out = []
    for name, entry in MODELS.items():
        out.append({"id": name, "object": "model", "created_at": 1700000000, "status": "succeeded",
                    "capabilities": _capabilities(entry is not None), "lifecycle_status": "generally-available",
                    "deprecation": ({"fine_tune": _unix(entry[0]), "inference": _unix(entry[1])} if entry
                                    else {"inference": _unix("2027-06-30")})})
    for job in state.jobs.values():
        model = job.data.get("fine_tuned_model")
        if job.azure and model and model not in state.deleted_models:
            base = job.data["model"].split(".ft-")[0]
            out.append({"id": model, "object": "model", "created_at": job.data["finished_at"], "status": "succeeded",
                        "model": job.data["model"], "fine_tune": job.data["id"], "capabilities": _capabilities(True),
                        "lifecycle_status": "generally-available",
                        "deprecation": {"inference": _unix(MODELS[base][1]) if MODELS.get(base) else now()}})
    return out


def model(state: FakeOpenAIState, model_id: str) -> dict:
    for found in models(state):
        if found["id"] == model_id:
            return found
    raise APIFailure(404, f"The specified model '{model_id}' does not exist.")


def create_job(state: FakeOpenAIState, body: dict) -> dict:
    body = dict(body or {})
    name = str(body.get("model") or "")
    base = name.split(".ft-")[0]
    entry = MODELS.get(base)
    if ".ft-" in name and not any(j.azure and j.data.get("fine_tuned_model") == name and name not in
                                  state.deleted_models for j in state.jobs.values()):
        entry = None
    if entry is None:
        raise APIFailure(400, f"The specified base model '{name}' does not support fine-tuning.", param="model")
    wire = body.pop("trainingType", None)
    tier = str(wire).lower() if wire is not None else "standard"
    if tier not in TIERS:
        raise APIFailure(400, f"The trainingType '{wire}' is not valid. Supported values are: "
                              f"{', '.join(TIERS.values())}.", param="trainingType")
    if tier not in entry[2]:
        raise APIFailure(400, f"{TIERS[tier]} TrainingType is not supported for model '{name}'.",
                         param="trainingType")
    data = state.create_job(body, methods=entry[3])
    job = state.jobs[data["id"]]
    job.azure = True
    data["trainingType"] = wire if wire is not None else "Standard"
    return view(data, job)


def view(data: dict, job=None) -> dict:
    """A job as Azure shows it: its own state names, resolved hyperparameters, ``suffix``."""
    out = dict(data)
    out["status"] = _STATES.get(out["status"], out["status"])
    shown = dict(out.get("hyperparameters") or {})
    defaults = {"n_epochs": job.n_epochs if job else 3, "batch_size": 1, "learning_rate_multiplier": 1.0}
    out["hyperparameters"] = {k: (defaults[k] if v == "auto" else v) for k, v in shown.items() if k in defaults}
    if out.get("user_provided_suffix"):
        out["suffix"] = out["user_provided_suffix"]
    return out


class AzureFailure(APIFailure):
    """An error Azure answers in its own shape, ``{"error": {"code", "message"}}``, with no OpenAI ``type``."""

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def deployment_not_found() -> AzureFailure:
    """What Azure answers a chat with a deployment that does not serve (yet): 404, code ``DeploymentNotFound``
    (the service's words, as the SDKs and Azure's troubleshooting pages quote them)."""
    return AzureFailure(404, "The API deployment for this resource does not exist. If you created the deployment "
                             "within the last 5 minutes, please wait a moment and try again.",
                        code="DeploymentNotFound")


def error_problems(payload: Any, where: str) -> list[str]:
    """What breaks Azure's error shape (its description's ``ErrorResponse``: ``error`` with a ``code`` and a
    non-empty ``message``; the inference API's codes, such as ``DeploymentNotFound``, are free strings)."""
    inner = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(inner, dict) or not isinstance(inner.get("code"), str) or not inner.get("message"):
        return [f"{where}: not Azure's error shape: {payload!r}"]
    return []


def error(payload: Any, status: int) -> Any:
    """An error answer with Azure's code (its ErrorCode enum) in place of OpenAI's."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        inner = dict(payload["error"])
        inner["code"] = _CODES.get(status, "internalFailure")
        return {"error": inner}
    return payload
