"""Azure OpenAI fine-tuning: the OpenAI provider spoken through the SDK's ``AzureOpenAI`` client.

Azure lists its models with a ``capabilities.fine_tune`` flag, which is used where present.
Deploying a fine-tuned model needs the Azure management API (a subscription, a resource group and
an Entra token), which this provider does not implement: DEPLOY is declared absent, so the UI
tells the user to deploy in the Azure portal and then chat with the deployment's name. Deleting a
fine-tuned model (``DELETE /openai/models/{model}``) is inherited; Azure refuses it while the model has
a deployment, and that refusal reaches the user in Azure's words.
"""

from __future__ import annotations

from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend.models import AccountKind, BaseModelInfo, ProviderKind
from backend.providers import openai_jobs as mapping
from backend.providers import openai_sdk
from backend.providers.base import AccountNeed, AccountSpec
from backend.providers.openai import AZURE_MODEL, OpenAIProvider


class AzureProvider(OpenAIProvider):
    kind = ProviderKind.AZURE
    label = "Azure OpenAI"
    description = "Your Azure OpenAI resource trains the model; you deploy it in Azure to chat with it."
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.AZURE)
    data = DataProfile("Azure OpenAI", Dialect.OPENAI, 10, False, ContextSource.PRICE_TABLE,
                       TokenizerSource.TIKTOKEN, "azure")
    service = "Azure OpenAI"
    capabilities = OpenAIProvider.capabilities

    @classmethod
    def claims_model(cls, model: str) -> bool:
        return bool(AZURE_MODEL.search(model))

    @property
    def client(self):
        if self._client is None:
            self._client = openai_sdk.azure_client(self.account, self._secret)
        return self._client

    def list_base_models(self) -> list[BaseModelInfo]:
        models = self._call(lambda: list(self.client.models.list()))
        out = []
        for model in models:
            capabilities = getattr(model, "capabilities", None) or {}
            if not (isinstance(capabilities, dict) and capabilities.get("fine_tune")):
                continue
            base = model.id.split(".ft-")[0]
            context, methods = mapping.CATALOG.get(base.replace("gpt-35", "gpt-3.5"), (None, ("supervised",)))
            deprecation = getattr(model, "deprecation", None) or {}
            out.append(BaseModelInfo(id=model.id, label=model.id, context_length=context, methods=methods,
                                     fine_tuned=".ft-" in model.id,
                                     shutdown_date=str(deprecation.get("fine_tune")) if isinstance(
                                         deprecation, dict) and deprecation.get("fine_tune") else None))
        return out or mapping.base_models(models)


