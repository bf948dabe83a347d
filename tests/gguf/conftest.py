"""Fixtures of the GGUF, Ollama and Inference Endpoints tests: the trained tiny run in the job store."""

from __future__ import annotations

import pytest


@pytest.fixture
def stored_run(trained_run):
    from backend.store import JobStore

    store = JobStore()
    try:
        return store.save_job(trained_run)
    finally:
        store.close()
