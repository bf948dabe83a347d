"""Chat with Hub models served by Hugging Face Inference Providers, through ``huggingface_hub.InferenceClient``.

The client talks to the Hugging Face router's OpenAI-compatible route, which picks a provider
that serves the model; an account's ``base_url`` replaces the router (a dedicated endpoint, or a
test server). Only chat is offered: fine-tuning in the cloud is ``hf_jobs``'s business.
"""

from __future__ import annotations

from collections.abc import Iterator

from backend.cancel import CancelToken
from backend.errors import StudioError
from backend.log import register_secret
from backend.models import Account, AccountKind, BaseModelInfo, ChatMessage, ChatParams, ProviderKind
from backend.providers import streaming
from backend.providers.base import (AccountNeed, AccountSpec, Chats, ChecksAccount, ListsChatModels,
                                    ProviderBase, WarmsUp)

ROUTER_URL = "https://router.huggingface.co/v1"
TIMEOUT_SECONDS = 60


class InferenceProvider(ProviderBase, ChecksAccount, Chats, ListsChatModels, WarmsUp):
    kind = ProviderKind.HF_INFERENCE
    label = "Hugging Face Inference Providers"
    description = "Chat with models on the Hugging Face Hub that an Inference Provider serves."
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, secret_noun="token",
                          missing="Hub models are served by Hugging Face Inference Providers, which need a token.",
                          missing_hint="Add a Hugging Face account on the Accounts page.")
    model_id_prompt = "Hub model…"

    def __init__(self, account: Account | None = None, secret: str | None = None):
        super().__init__(account, secret)
        register_secret(self.secret)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from huggingface_hub import InferenceClient

            base_url = (self.account.base_url if self.account else None) or ROUTER_URL
            self._client = InferenceClient(base_url=base_url, api_key=self.secret, timeout=TIMEOUT_SECONDS)
        return self._client

    def check_account(self, *, timeout: float = 20.0) -> str:
        """The token's owner on the Hub (``hub.whoami``), as for every Hugging Face account."""
        from backend.hub import whoami

        return whoami(self.account.endpoint if self.account else None, self.secret or "")

    def list_chat_models(self, limit: int = 40) -> list[str]:
        """The most liked text-generation models that some Inference Provider serves now."""
        from huggingface_hub import HfApi

        try:
            found = HfApi(token=self.secret).list_models(inference_provider="all", pipeline_tag="text-generation",
                                                         sort="likes", limit=limit)
            return [m.id for m in found]
        except Exception as exc:  # noqa: BLE001 - translated
            raise translate(exc, "the model list") from None

    def chat_models(self) -> list[BaseModelInfo]:
        """``ListsChatModels``: the models Inference Providers serve now (``list_chat_models``)."""
        return [BaseModelInfo(id=name) for name in self.list_chat_models()]

    def warm_up(self) -> None:
        """Builds the client (huggingface_hub's imports) before the first reply (``WarmsUp``)."""
        _ = self.client  # built on first access

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        turns, options = streaming.request(messages, params)
        try:
            stream = self.client.chat_completion(turns, model=model, stream=True, **options)
            try:
                yield from streaming.deltas(stream, cancel)
            finally:
                stream.close()  # ends the HTTP response too when Stop ends the reply early
        except StudioError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated below or re-raised
            raise translate(exc, model) from None


def translate(exc: Exception, model: str) -> Exception:
    """A huggingface_hub or network error as the app's error (``hub.hub_error`` for Inference Providers)."""
    from backend.hub import hub_error

    return hub_error(exc, subject="inference", name=model)
