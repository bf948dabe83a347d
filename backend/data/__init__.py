"""Training data: read every common format, validate it in one streamed pass, count tokens, estimate
cost, and prepare it for each provider.

The public API (everything else in this package is an implementation detail):

- ``detect_format(path) -> DataFormat``
- ``validate_file(path, *, format=None, column_mapping=None, provider=None, model=None, context_length=None,
  tokenizer_path=None, progress=None, cancel=None) -> ValidationReport``
- ``iter_canonical(path, format=None, column_mapping=None) -> Iterator[CanonicalExample]`` (valid examples only;
  ``iter_records`` gives every record with its problems)
- ``prepare_dataset(path, provider, out_dir, *, ...) -> PreparedDataset``: upload-ready files for a provider
- ``estimate_price(billed_tokens, provider, model) -> PriceEstimate | None``, ``default_epochs(n_examples)``,
  ``count_tokens(text_or_messages, model=None, tokenizer_path=None)``, ``render_training_example(example,
  tokenizer_path) -> RenderedExample`` (chat-template text with the trained spans), ``ensure_tiktoken_offline()``
- ``read_columns(path, format=None) -> list[str]`` (CSV/TSV/Parquet headers, for the column-mapping dialog),
  ``COLUMN_ROLES`` (the roles a column can be mapped to)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names are loaded on first use: validation worker processes import single modules of this package
# and must not pay for pydantic, numpy and the rest at start-up.
_EXPORTS = {
    "CanonicalExample": "canonical", "CHECKS": "checks", "Check": "checks",
    "DataFormat": "formats", "detect_format": "formats", "default_epochs": "pricing", "estimate_price": "pricing",
    "load_prices": "pricing", "PreparedDataset": "prepare",
    "prepare_dataset": "prepare", "COLUMN_ROLES": "readers", "iter_canonical": "examples", "iter_records": "readers",
    "read_columns": "readers", "guess_mapping": "readers", "record_text": "readers", "RenderedExample": "render",
    "render_training_example": "render", "Finding": "report", "Histogram": "report", "PriceEstimate": "report",
    "Severity": "checks", "Stats": "report", "ValidationReport": "report", "count_tokens": "tokens",
    "encoding_name_for_model": "tokens", "ensure_tiktoken_offline": "tokens", "validate_file": "validate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'backend.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"backend.data.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from backend.data.canonical import CanonicalExample  # noqa: F401
    from backend.data.checks import CHECKS, Check, Severity  # noqa: F401
    from backend.data.formats import DataFormat, detect_format  # noqa: F401
    from backend.data.pricing import default_epochs, estimate_price, load_prices  # noqa: F401
    from backend.data.prepare import PreparedDataset, prepare_dataset  # noqa: F401
    from backend.data.examples import iter_canonical  # noqa: F401
    from backend.data.readers import COLUMN_ROLES, guess_mapping, iter_records, read_columns, record_text  # noqa
    from backend.data.render import RenderedExample, render_training_example  # noqa: F401
    from backend.data.report import Finding, Histogram, PriceEstimate, Stats, ValidationReport  # noqa: F401
    from backend.data.tokens import count_tokens, encoding_name_for_model, ensure_tiktoken_offline  # noqa: F401
    from backend.data.validate import validate_file  # noqa: F401
