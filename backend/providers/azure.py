"""Azure OpenAI fine-tuning: the OpenAI provider spoken through the SDK's ``AzureOpenAI`` client.

What Azure does its own way, against its published data-plane description (``Azure/azure-rest-api-specs``,
``cognitiveservices/data-plane/AzureOpenAI/authoring/preview/2025-04-01-preview``, the app's default
api-version):

- Where it trains: ``trainingType`` in the create body (Standard, Global Standard, Developer). The description
  does not define the field in any authoring version; Microsoft's own SDK (azure-ai-projects) sends it through
  ``extra_body`` with the values below (the spellings of its tests). A value the resource or
  model refuses comes back as Azure's own 400, shown in Azure's words.
- Its models list says which models can be fine-tuned (``capabilities.fine_tune``) and until when they can be
  trained and deployed (``deprecation.fine_tune`` / ``.inference``, Unix times); the resource's own succeeded
  fine-tunes are listed too, and training one of them continues it.
- Its job states (``pending``, ``running``, ``pausing``, ``resuming``...) map onto the app's (``JobStatus.parse``),
  and a job that Azure's safety checks stop (content checks of the training data before training, or of the
  trained model after it) becomes a sentence saying which and what to do.

Deploying a fine-tuned model goes through the Azure management API (a subscription, a resource group and an
Entra sign-in): ``Deploys``, in ``azure_deploy`` / ``azure_mgmt``; a deployment that answered its probe is one of
the account's chat models. Deleting a fine-tuned model (``DELETE /openai/models/{model}``) is inherited; Azure
refuses it while the model has a deployment, and that refusal reaches the user in Azure's words.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from backend import paths
from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.errors import InvalidInput
from backend.models import (Account, AccountKind, BaseModelInfo, DataRefs, Job, JobStatus, ProviderKind,
                            TrainingConfig)
from backend.providers import openai_jobs as mapping
from backend.providers import openai_sdk
from backend.providers.base import AccountNeed, AccountSpec, Deploys, TrainingTier
from backend.providers.openai import AZURE_MODEL, CHECK_SECONDS, OpenAIProvider

TRAINING_TYPE = "training_type"  # the key in TrainingConfig.options
#: The wire spellings of ``trainingType`` are Microsoft's own: no published data-plane description defines the
#: field, so they are taken from Microsoft's azure-ai-projects 2.10.0 (PyPI), tests/test_base.py, which sends
#: "Standard", "GlobalStandard" and "developerTier" through ``extra_body`` (its samples do the same).
TRAINING_TYPES = {
    "standard": TrainingTier("Standard", "Trains in your resource's region (your data stays there); the regular "
                             "price.", "Standard"),
    "globalstandard": TrainingTier("Global Standard", "Trains wherever Azure has capacity, possibly outside your "
                                   "region; cheaper than Standard.", "GlobalStandard"),
    "developer": TrainingTier("Developer", "The cheapest: spare capacity anywhere, no guarantee when it runs, may "
                              "be pre-empted and resumed.", "developerTier"),
}
#: How Azure words a job stopped by its safety checks (Microsoft's fine-tuning safety-evaluation guide).
_SAFETY = re.compile(r"\bRAI\b|responsible ai|safety (evaluation|check)|harmful content|content (filter|polic)", re.I)


def _date(value) -> str | None:
    """A Unix time (as Azure's ``deprecation`` gives it) as a date."""
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, tz=timezone.utc).date().isoformat()
    return str(value) if value else None


def safety_sentence(message: str, *, trained: bool) -> str:
    """What happened and what to do, for a job Azure's safety checks stopped; Azure's words kept at the end."""
    if trained:
        return ("Azure's safety evaluation of the trained model failed: the fine-tuned model produced harmful "
                "content in Azure's tests, so Azure discarded it and it cannot be deployed. Review the training "
                "examples for content the model should not learn, remove or rewrite them, and launch again. "
                f"Azure said: {message}")
    return ("Azure's safety checks refused the training data before training started: some examples hold content "
            "its policies do not allow. Remove or rewrite the flagged examples and launch again (nothing was "
            f"trained, so nothing is billed for training). Azure said: {message}")


class AzureProvider(OpenAIProvider, Deploys):
    kind = ProviderKind.AZURE
    label = "Azure OpenAI"
    description = "Your Azure OpenAI resource trains the model; the app deploys it there so you can chat with it."
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.AZURE)
    data = DataProfile("Azure OpenAI", Dialect.OPENAI, 10, False, ContextSource.PRICE_TABLE,
                       TokenizerSource.TIKTOKEN, "azure")
    runs_on = "On your Azure OpenAI resource; you deploy the fine-tuned model in Azure to use it."
    launch_sentence = ("Launch checks the data, uploads it to your Azure OpenAI resource and starts the fine-tuning "
                       "job; Azure bills it, and you can follow or cancel the job in Jobs.")
    address_field = "endpoint"
    address_hint = "It looks like https://NAME.openai.azure.com; check the api-version too."
    training_types = TRAINING_TYPES
    body_extensions = ("trainingType",)

    @classmethod
    def claims_model(cls, model: str) -> bool:
        return bool(AZURE_MODEL.search(model))

    @classmethod
    def from_environment(cls) -> AzureProvider | None:
        """The provider with AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION, or None when
        the key is unset (see ``OpenAIProvider.from_environment``)."""
        secret = paths.env(paths.AZURE_OPENAI_API_KEY)
        if not secret:
            return None
        account = Account(name="environment", kind=AccountKind.AZURE, endpoint=paths.env(paths.AZURE_OPENAI_ENDPOINT),
                          api_version=paths.env(paths.OPENAI_API_VERSION))
        return cls._from_environment(account, secret, account.endpoint)

    def _new_client(self, **options):
        return openai_sdk.azure_client(self.account, self._secret, **options)

    def _address(self) -> str:
        return (self.account.endpoint if self.account else None) or ""

    def check_account(self, *, timeout: float = CHECK_SECONDS) -> str:
        """"Test connection": list the resource's files (where a fine-tune's data goes), once, within ``timeout``."""
        files = self._checked(lambda client: list(client.files.list()), timeout)
        return f"Connected to {self.label} at {self._address()}: {len(files)} files in the resource."

    def list_base_models(self) -> list[BaseModelInfo]:
        """The models this resource can fine-tune, as Azure lists them, with the dates training and deployments
        of each end; then the resource's own fine-tuned models (training one continues it)."""
        models = self._call(lambda: list(self.client.models.list()))
        out = []
        for model in models:
            capabilities = getattr(model, "capabilities", None) or {}
            if not (isinstance(capabilities, dict) and capabilities.get("fine_tune")):
                continue
            base = getattr(model, "model", None) or model.id.split(".ft-")[0]
            fine_tuned = ".ft-" in model.id
            context, methods = mapping.CATALOG.get(base.replace("gpt-35", "gpt-3.5"), (None, ("supervised",)))
            deprecation = getattr(model, "deprecation", None)
            deprecation = deprecation if isinstance(deprecation, dict) else {}
            out.append(BaseModelInfo(
                id=model.id, label=f"{model.id} (your model, from {base})" if fine_tuned else model.id,
                context_length=context, methods=methods, fine_tuned=fine_tuned,
                training_until=_date(deprecation.get("fine_tune")), deployable_until=_date(deprecation.get("inference"))))
        out.sort(key=lambda m: (m.fine_tuned, m.id))
        return out or mapping.base_models(models)

    def job_request(self, config: TrainingConfig, data: DataRefs, job: Job) -> dict:
        request = super().job_request(config, data, job)
        chosen = config.options.get(TRAINING_TYPE)
        if chosen is not None:
            tier = TRAINING_TYPES.get(str(chosen).lower())
            if tier is None:
                raise InvalidInput(f"The training type {chosen!r} is not one Azure offers.",
                                   hint="Choose " + ", ".join(TRAINING_TYPES) + ".")
            request["trainingType"] = tier.wire
        return request

    def _to_job(self, remote, job: Job | None) -> Job:
        updated = super()._to_job(remote, job)
        error = getattr(remote, "error", None)
        message = getattr(error, "message", None) if error is not None else None
        if updated.status is JobStatus.FAILED and message and _SAFETY.search(message):
            # Which check: the trained model's ("The fine-tuned model failed RAI checks ...") or the data's.
            trained = bool(re.search(r"(fine-tuned|trained|resulting) model (failed|did not pass)", message, re.I))
            updated = updated.model_copy(update={"error": safety_sentence(message, trained=trained)})
        return updated

    # -- deployments (the management plane: backend.providers.azure_deploy) ---------------------------------
    def deployments(self, *, prompt=None):
        from backend.providers.azure_deploy import Deployments

        return Deployments(self, prompt=prompt)

    def chat_models(self) -> list[BaseModelInfo]:
        """The resource's models, then its deployments that answered a probe (what the playground chats with)."""
        from backend.providers.azure_deploy import ready_models

        return super().chat_models() + ready_models(self.account_id)
