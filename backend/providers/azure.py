"""Azure OpenAI fine-tuning: the OpenAI provider spoken through the SDK's ``AzureOpenAI`` client.

Azure lists its models with a ``capabilities.fine_tune`` flag, which is used where present.
Deploying a fine-tuned model goes through the Azure management API (a subscription, a resource group and
an Entra sign-in): ``Deploys``, in ``azure_deploy`` / ``azure_mgmt``; a deployment that answered its probe is
one of the account's chat models. Deleting a
fine-tuned model (``DELETE /openai/models/{model}``) is inherited; Azure refuses it while the model has
a deployment, and that refusal reaches the user in Azure's words.
"""

from __future__ import annotations

from backend.data.profile import ContextSource, DataProfile, Dialect, TokenizerSource
from backend import paths
from backend.models import Account, AccountKind, BaseModelInfo, ProviderKind
from backend.providers import openai_jobs as mapping
from backend.providers import openai_sdk
from backend.providers.base import AccountNeed, AccountSpec, Deploys
from backend.providers.openai import AZURE_MODEL, CHECK_SECONDS, OpenAIProvider


class AzureProvider(OpenAIProvider, Deploys):
    kind = ProviderKind.AZURE
    label = "Azure OpenAI"
    description = "Your Azure OpenAI resource trains the model; the app deploys it there so you can chat with it."
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.AZURE)
    data = DataProfile("Azure OpenAI", Dialect.OPENAI, 10, False, ContextSource.PRICE_TABLE,
                       TokenizerSource.TIKTOKEN, "azure")
    address_field = "endpoint"
    address_hint = "It looks like https://NAME.openai.azure.com; check the api-version too."

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

    # -- deployments (the management plane: backend.providers.azure_deploy) ---------------------------------
    def deployments(self, *, prompt=None):
        from backend.providers.azure_deploy import Deployments

        return Deployments(self, prompt=prompt)

    def chat_models(self) -> list[BaseModelInfo]:
        """The resource's models, then its deployments that answered a probe (what the playground chats with)."""
        from backend.providers.azure_deploy import ready_models

        return super().chat_models() + ready_models(self.account_id)
