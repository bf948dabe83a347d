"""validate_file."""
from __future__ import annotations


def validate_file(path, *, format=None, column_mapping=None, provider=None, model=None, context_length=None,
                  tokenizer_path=None, progress=None, cancel=None):
    raise NotImplementedError
