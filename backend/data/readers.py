"""Readers for every format."""
from __future__ import annotations

COLUMN_ROLES = ("system", "user", "assistant")


def iter_records(path, format=None, column_mapping=None):
    raise NotImplementedError


def iter_canonical(path, format=None, column_mapping=None):
    raise NotImplementedError


def read_columns(path, format=None) -> list[str]:
    raise NotImplementedError
