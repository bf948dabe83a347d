"""Save the wizard's choices as an AutoTrain config a user runs with ``autotrain --config FILE`` elsewhere.

The staged data go in a folder beside the YAML (``NAME-data/train.jsonl``, ``test.jsonl``), which the YAML names
by its absolute path, so the pair runs as it is; a local model saved by transformers 5 gets a readable copy beside it
too (``NAME-model``, weights linked). Settings are resolved as for a run on this computer when the model
is here; for a Hub model not downloaded yet, the user's choices and the app's defaults are written.
"""

from __future__ import annotations

from pathlib import Path

from backend.autotrain.config import dump, export_config
from backend.autotrain.start import copy_data, needs_staging, stage_model
from backend.errors import InvalidInput, NotFound
from backend.models import DataRefs, TrainingConfig
from backend.training.defaults import check_options
from backend.training.recipe import DATA_FILES
from backend.training.spec import TrainSettings
from backend.training.start import plan


def settings_for(config: TrainingConfig, data: DataRefs) -> TrainSettings:
    """The settings AutoTrain gets: resolved for this computer, or the choices made when the model is not here."""
    try:
        return plan(config, data).settings
    except NotFound:
        hp = config.hyperparameters
        chosen = dict(check_options(config), method=config.method)
        if hp.n_epochs != "auto":
            chosen["epochs"] = float(hp.n_epochs)
        if hp.batch_size != "auto":
            chosen["batch_size"] = int(hp.batch_size)
        if hp.learning_rate_multiplier != "auto":
            chosen["learning_rate"] = chosen.get("learning_rate", 2e-4) * float(hp.learning_rate_multiplier)
        if hp.beta not in ("auto", None):
            chosen["beta"] = float(hp.beta)
        if config.seed is not None:
            chosen["seed"] = config.seed
        return TrainSettings(**chosen)


def save_config(config: TrainingConfig, data: DataRefs, out: Path | str) -> Path:
    """Write ``out`` (YAML) and its data folder; returns the YAML's path."""
    out = Path(out).expanduser().resolve()
    folder = out.with_name(f"{out.stem}-data")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        copy_data(data.training, folder / DATA_FILES["train"], config.method)
        if data.validation:
            copy_data(data.validation, folder / DATA_FILES["test"], config.method)
        model = Path(config.base_model).expanduser()
        if model.is_dir() and needs_staging(model):  # a copy AutoTrain's transformers 4.48 reads, beside the YAML
            model = stage_model(model, out.with_name(f"{out.stem}-model"))
        base_model = str(model.resolve()) if model.is_dir() else config.base_model
        mapping = export_config(method=config.method, settings=settings_for(config, data), base_model=base_model,
                                data_path=str(folder), has_validation=bool(data.validation),
                                autotrain=config.options.get("autotrain"))
        out.write_text(dump(mapping), encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"The config “{out}” cannot be written: {exc.strerror or exc}.",
                           hint="Choose a folder you can write to.") from None
    return out
