"""What a Hugging Face Job runs, and the private dataset repo it reads: built here, on the app's side.

One trainer, two places: the job runs this app's own ``backend`` package (uploaded with the data), so a cloud run
trains with exactly the code and recipe of a local one. The command is ``python -c BOOTSTRAP``: it installs the
training libraries the image lacks at the versions this app trains with (``FTS_DEPS``, pinned from this
installation), downloads the dataset repo and hands over to ``backend.training.cloud.main``.

The dataset repo is named after the content it holds (spec, data, code), so a retried launch finds it and uploads
nothing again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from pathlib import Path

from backend.models import DataRefs
from backend.training.recipe import DATA_FILES
from backend.training.spec import RunFolder, RunSpec

#: The image: CUDA PyTorch with Python; the bootstrap adds the rest.
IMAGE = "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"
#: The training libraries, pinned to this installation's versions (torch is the image's).
TRAINING_PACKAGES = ("transformers", "trl", "peft", "datasets", "accelerate", "huggingface_hub", "pydantic",
                     "psutil", "platformdirs", "jinja2")
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # backend/

BOOTSTRAP = """\
import importlib.metadata as m, os, subprocess, sys, tempfile
missing = []
for pin in os.environ.get("FTS_DEPS", "").split():
    name, _, version = pin.partition("==")
    try:
        if m.version(name) != version:
            missing.append(pin)
    except m.PackageNotFoundError:
        missing.append(pin)
if missing:
    print("Installing " + " ".join(missing), flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
from huggingface_hub import snapshot_download
work = tempfile.mkdtemp(prefix="fts-job-")
source = snapshot_download(os.environ["FTS_DATA_REPO"], repo_type="dataset", local_dir=work + "/input",
                           token=os.environ.get("HF_TOKEN"))
sys.path.insert(0, source + "/code")
from backend.training.cloud import main
sys.exit(main(source, work))
"""


def command() -> list[str]:
    return ["python", "-c", BOOTSTRAP]


def pinned_packages() -> str:
    """``name==version`` of each training library as installed here, space-separated (``FTS_DEPS``)."""
    pins = []
    for name in TRAINING_PACKAGES:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)
    return " ".join(pins)


def write_bundle(spec: RunSpec, data: DataRefs, out: Path) -> str:
    """Write the dataset repo's content to ``out`` (``run/`` with spec and data, ``code/backend``); return its
    content key (sha256 of every file's path and bytes)."""
    folder = RunFolder(out / "run")
    (folder.path / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.training, folder.path / "data" / DATA_FILES["train"])
    if data.validation:
        shutil.copyfile(data.validation, folder.path / "data" / DATA_FILES["test"])
    folder.write_spec(spec)
    for source in sorted(_PACKAGE_ROOT.rglob("*.py")):
        target = out / "code" / "backend" / source.relative_to(_PACKAGE_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return content_key(out)


def content_key(out: Path) -> str:
    """sha256 of every file's path and bytes under ``out``: the dataset repo's name (a retry finds it)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest.update(path.relative_to(out).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
