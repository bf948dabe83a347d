"""Chat with your Hugging Face Inference Endpoints: each endpoint that runs (or is scaled to zero, which the first
request wakes) is a playground model, served by its OpenAI-compatible route (``URL/v1/chat/completions``).

Deploying and managing endpoints is ``backend.endpoints``' business; this provider only lists and chats, with the
saved Hugging Face account's token (an endpoint is ``authenticated``: it asks for that token).
"""

from __future__ import annotations

from collections.abc import Iterator

from backend.cancel import CancelToken
from backend.errors import NotFound, StudioError
from backend.log import register_secret
from backend.models import Account, AccountKind, BaseModelInfo, ChatMessage, ChatParams, ProviderKind
from backend.providers import streaming
from backend.providers.base import AccountNeed, AccountSpec, Chats, ListsChatModels, ProviderBase

SERVING = ("running", "scaledToZero")


class EndpointsProvider(ProviderBase, Chats, ListsChatModels):
    kind = ProviderKind.HF_ENDPOINTS
    label = "Hugging Face Inference Endpoints"
    description = "Chat with the models you deployed to your own dedicated Inference Endpoints."
    account = AccountSpec(AccountNeed.REQUIRED, AccountKind.HUGGINGFACE, secret_noun="token",
                          missing="Inference Endpoints need a Hugging Face token.",
                          missing_hint="Add a Hugging Face account on the Accounts page.")

    def __init__(self, account: Account | None = None, secret: str | None = None):
        super().__init__(account, secret)
        register_secret(self.secret)
        self._urls: dict[str, str] = {}

    def _api(self):
        from huggingface_hub import HfApi

        return HfApi(endpoint=(self.account.endpoint if self.account else None) or None, token=self.secret)

    def chat_models(self) -> list[BaseModelInfo]:
        """``ListsChatModels``: the endpoints that serve now (running, or scaled to zero)."""
        try:
            api = self._api()
            found = api.list_inference_endpoints(namespace=api.whoami()["name"])
        except Exception as exc:  # noqa: BLE001 - the catalog shows the sentence as a problem
            raise _translate(exc, "your endpoints") from None
        self._urls = {e.name: e.url for e in found if e.status in SERVING and e.url}
        return [BaseModelInfo(id=e.name, label=f"{e.name} ({e.repository})", fine_tuned=True)
                for e in found if e.name in self._urls]

    def _url(self, name: str) -> str:
        if name not in self._urls:
            self.chat_models()
        if name not in self._urls:
            raise NotFound(f"The endpoint “{name}” is not serving (paused, failed or deleted).",
                           hint="Resume it with `python main.py endpoints resume NAME`, or deploy it again.")
        return self._urls[name]

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        from huggingface_hub import InferenceClient

        turns, options = streaming.request(messages, params)
        try:
            client = InferenceClient(base_url=self._url(model), api_key=self.secret, timeout=120)
            stream = client.chat_completion(turns, model="tgi", stream=True, **options)
            try:
                yield from streaming.deltas(stream, cancel)
            finally:
                stream.close()
        except StudioError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated
            raise _translate(exc, model) from None


def _translate(exc: Exception, name: str) -> Exception:
    from backend.hub import hub_error

    return hub_error(exc, subject="inference", name=name)
