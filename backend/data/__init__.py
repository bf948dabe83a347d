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

from backend.data.canonical import CanonicalExample
from backend.data.checks import CHECKS, PROVIDER_MINIMUM, Check
from backend.data.formats import DataFormat, detect_format
from backend.data.pricing import default_epochs, estimate_price, load_prices
from backend.data.prepare import PreparedDataset, prepare_dataset
from backend.data.readers import COLUMN_ROLES, iter_canonical, iter_records, read_columns
from backend.data.render import RenderedExample, render_training_example
from backend.data.report import Finding, Histogram, PriceEstimate, Severity, Stats, ValidationReport
from backend.data.tokens import count_tokens, encoding_name_for_model, ensure_tiktoken_offline
from backend.data.validate import validate_file

__all__ = [
    "CHECKS", "COLUMN_ROLES", "PROVIDER_MINIMUM", "CanonicalExample", "Check", "DataFormat", "Finding", "Histogram",
    "PreparedDataset", "PriceEstimate", "RenderedExample", "Severity", "Stats", "ValidationReport", "count_tokens",
    "default_epochs", "detect_format", "encoding_name_for_model", "ensure_tiktoken_offline", "estimate_price",
    "iter_canonical", "iter_records", "load_prices", "prepare_dataset", "read_columns", "render_training_example",
    "validate_file",
]
