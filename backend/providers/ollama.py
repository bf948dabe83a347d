"""Chat with the models of Ollama on this computer, through its OpenAI-compatible endpoint
(``http://localhost:11434/v1``; Ollama's own ``OLLAMA_HOST`` moves it). A GGUF export added to Ollama ("Add to
Ollama") appears here. When Ollama is not running, it simply offers no models: that is no error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from backend.cancel import CancelToken
from backend.errors import NetworkError, StudioError
from backend.models import BaseModelInfo, ChatMessage, ChatParams, ProviderKind
from backend.providers import streaming
from backend.providers.base import AccountNeed, AccountSpec, Chats, ListsChatModels, ProviderBase

DEFAULT_HOST = "http://localhost:11434"


def base_url() -> str:
    host = os.environ.get("OLLAMA_HOST", "").strip() or DEFAULT_HOST
    if "://" not in host:
        host = f"http://{host}"
    return host.rstrip("/") + "/v1"


class OllamaProvider(ProviderBase, Chats, ListsChatModels):
    kind = ProviderKind.OLLAMA
    label = "Ollama (this computer)"
    description = "Chat with the models Ollama serves on this computer, such as a GGUF export added to it."
    account = AccountSpec(AccountNeed.NONE)

    def _client(self, timeout: float):
        from openai import OpenAI

        return OpenAI(base_url=base_url(), api_key="ollama", timeout=timeout, max_retries=0)

    def chat_models(self) -> list[BaseModelInfo]:
        """``ListsChatModels``: Ollama's models; none when Ollama does not answer."""
        import openai

        try:
            found = self._client(3.0).models.list()
        except (openai.APIConnectionError, openai.APITimeoutError):
            return []  # not running: nothing to offer
        except openai.APIError as exc:
            raise NetworkError(f"Ollama at {base_url()} answered with an error: {exc}") from None
        return [BaseModelInfo(id=m.id, label=m.id, owned_by=getattr(m, "owned_by", None)) for m in found]

    def chat_stream(self, model: str, messages: list[ChatMessage], params: ChatParams,
                    cancel: CancelToken | None = None) -> Iterator[str]:
        import openai

        turns, options = streaming.request(messages, params)
        try:
            stream = self._client(300.0).chat.completions.create(model=model, messages=turns, stream=True, **options)
            with stream:
                yield from streaming.deltas(stream, cancel)
        except StudioError:
            raise
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise NetworkError(f"Ollama does not answer at {base_url()}.",
                               hint="Start it (`ollama serve`, or open the Ollama app), then send again.") from None
        except openai.APIError as exc:
            raise NetworkError(f"Ollama could not answer with “{model}”: {exc}") from None
