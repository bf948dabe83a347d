"""Upload-ready files for a provider."""
from __future__ import annotations

from pydantic import BaseModel


class PreparedDataset(BaseModel):
    train_path: str
    validation_path: str | None = None
    report: object = None
    dropped: dict[str, int] = {}


def prepare_dataset(path, provider, out_dir, *, format=None, column_mapping=None, validation_path=None,
                    validation_split=0.0, seed=42, shuffle=True, dedupe=False, drop_invalid=False,
                    progress=None, cancel=None) -> PreparedDataset:
    raise NotImplementedError
