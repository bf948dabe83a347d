"""AutoTrain as the trainer of a Hugging Face Job: AutoTrain's own published image runs ``autotrain --config``.

The trainer choice (``options["trainer"] == "autotrain"``) changes only what the job runs; the provider, the
dataset repo, the monitor, the cost meter and the budget are the Jobs provider's. The dataset repo holds, beside
the run's spec and data, ``autotrain/config.yml`` (the app's resolved settings as AutoTrain's config, exactly as a
run on this computer writes it) and ``autotrain/data`` (the data as AutoTrain reads them).

The command runs in the image's AutoTrain environment (``/app/env``: the image installs AutoTrain in a conda
environment that is not on its ``PATH``): it downloads the dataset repo, names the private output repo in the
config, runs ``autotrain --config`` and lets AutoTrain push the project (its ``push_to_hub``, with the token from
the job's secrets). It then checks that the repo holds trained weights and says so in the same ``FTS-PUSHED`` line
the app's own trainer prints. AutoTrain prints no app events: the app reads AutoTrain's log lines into events on
its side, with the parser of local AutoTrain runs (``hf_jobs_stream``, ``backend.autotrain.logparse``).
"""

from __future__ import annotations

from pathlib import Path

from backend.autotrain.config import dump, export_config
from backend.autotrain.start import copy_data
from backend.models import DataRefs, TrainingConfig
from backend.training.cloud import PUSHED
from backend.training.recipe import DATA_FILES
from backend.training.spec import TrainSettings

#: AutoTrain's published image (the one its own Spaces backend runs: ``FROM huggingface/autotrain-advanced:latest``).
IMAGE = "huggingface/autotrain-advanced:latest"
#: The image's AutoTrain environment (its Dockerfile: ``conda create -p /app/env``, ``pip install -e .`` in it).
ENV_BIN = "/app/env/bin/"
FOLDER = "autotrain"

BOOTSTRAP = f"""\
import json, os, subprocess, sys, tempfile
import yaml
from huggingface_hub import HfApi, snapshot_download
token = os.environ.get("HF_TOKEN")
work = tempfile.mkdtemp(prefix="fts-job-")
source = snapshot_download(os.environ["FTS_DATA_REPO"], repo_type="dataset", local_dir=work + "/input", token=token)
os.chdir(os.path.join(source, "{FOLDER}"))
repo = os.environ["FTS_OUTPUT_REPO"]
namespace, _, name = repo.partition("/")
with open("config.yml", encoding="utf-8") as file:
    config = yaml.safe_load(file)
config["project_name"] = name
config["hub"] = {{"username": namespace, "token": "${{HF_TOKEN}}", "push_to_hub": True}}
with open("config.yml", "w", encoding="utf-8") as file:
    yaml.safe_dump(config, file, sort_keys=False)
bin_dir = os.path.dirname(sys.executable)
env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
code = subprocess.call([os.path.join(bin_dir, "autotrain"), "--config", "config.yml"], env=env)
api = HfApi(token=token)
weights = [f for f in ("adapter_model.safetensors", "model.safetensors") if api.file_exists(repo, f)]
if code == 0 and weights:
    print("{PUSHED}" + json.dumps({{"path": "", "repo": repo, "final": True}}), flush=True)
    sys.exit(0)
print("ERROR: AutoTrain ended (exit code %d) without pushing a trained model to %s." % (code, repo), flush=True)
sys.exit(code or 1)
"""


def chosen(config: TrainingConfig) -> bool:
    """Whether ``config`` trains with AutoTrain (the wizard's trainer choice, ``--option trainer=autotrain``)."""
    return config.options.get("trainer") == "autotrain"


def command() -> list[str]:
    return [ENV_BIN + "python", "-c", BOOTSTRAP]


def write_files(config: TrainingConfig, data: DataRefs, settings: TrainSettings, out: Path) -> None:
    """``autotrain/config.yml`` and ``autotrain/data`` in the dataset repo's content ``out``. The base model is
    named by its Hub id (the job downloads it); the output repo and the push are set by the job (``BOOTSTRAP``)."""
    folder = out / FOLDER
    (folder / "data").mkdir(parents=True, exist_ok=True)
    copy_data(data.training, folder / "data" / DATA_FILES["train"], config.method)
    if data.validation:
        copy_data(data.validation, folder / "data" / DATA_FILES["test"], config.method)
    autotrain = {k: v for k, v in (config.options.get("autotrain") or {}).items() if k in ("trainer", "chat_template")}
    mapping = export_config(method=config.method, settings=settings, base_model=config.base_model, data_path="data",
                            has_validation=bool(data.validation), autotrain=autotrain)
    (folder / "config.yml").write_text(dump(mapping), encoding="utf-8")
