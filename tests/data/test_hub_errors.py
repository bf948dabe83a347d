"""The one Hub error translation tells a network failure from a missing dataset, and names the configured Hub."""

from __future__ import annotations

import importlib

from datasets.exceptions import DatasetNotFoundError

from backend.errors import NetworkError
from backend.hub import hub_error


# The HTTP library the installed huggingface_hub speaks through (httpx before 2.0, httpx2 since).
httpx = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")


def _chained(outer: Exception, inner: Exception) -> Exception:
    """``outer`` as raised while handling ``inner``, the way datasets chains its errors."""
    outer.__cause__ = inner
    return outer


def test_a_refused_connection_is_the_network_at_the_configured_hub():
    err = hub_error(httpx.ConnectError("connection refused"), subject="dataset", name="alice/chats",
                    endpoint="http://127.0.0.1:9")
    assert isinstance(err, NetworkError)
    assert str(err).startswith("Could not reach the Hugging Face Hub at http://127.0.0.1:9")


def test_a_missing_dataset_with_a_file_error_in_its_chain_is_not_the_network():
    missing = _chained(DatasetNotFoundError("Dataset 'alice/chats' doesn't exist on the Hub or cannot be accessed."),
                       FileNotFoundError(2, "No such file", "alice/chats"))
    err = hub_error(missing, subject="dataset", name="alice/chats")
    assert not isinstance(err, NetworkError)
    assert "doesn't exist on the Hub" in str(err)


def test_a_plain_file_error_is_not_dressed_up_as_the_hub():
    lost = FileNotFoundError(2, "No such file", "/tmp/nowhere")
    assert hub_error(lost, subject="dataset", name="alice/chats") is lost
