"""Base models from the Hugging Face Hub: suggestions, what is already on disk, downloads with progress.

Downloads go through ``huggingface_hub.snapshot_download`` into the standard Hugging Face cache,
so models are shared with every other Hugging Face tool on the computer. The Hub's errors
(gated, missing, no token, offline, a name that cannot be an id) are turned into sentences that say
what to do; a name is checked as an id before any Hub function sees it.
"""

from __future__ import annotations

from pathlib import Path

from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import CredentialsError, InvalidInput, NetworkError, NotFound
from backend.models import BaseModelInfo

# Small instruct models that fine-tune on one consumer GPU (and the smallest on a CPU).
SUGGESTED: list[BaseModelInfo] = [
    BaseModelInfo(id="HuggingFaceTB/SmolLM2-135M-Instruct", label="SmolLM2 135M Instruct (0.3 GB, fine on a CPU)",
                  parameters=135_000_000, context_length=8192, methods=("supervised", "dpo")),
    BaseModelInfo(id="HuggingFaceTB/SmolLM2-360M-Instruct", label="SmolLM2 360M Instruct (0.7 GB)",
                  parameters=362_000_000, context_length=8192, methods=("supervised", "dpo")),
    BaseModelInfo(id="Qwen/Qwen2.5-0.5B-Instruct", label="Qwen2.5 0.5B Instruct (1.0 GB)",
                  parameters=494_000_000, context_length=32768, methods=("supervised", "dpo")),
    BaseModelInfo(id="Qwen/Qwen2.5-1.5B-Instruct", label="Qwen2.5 1.5B Instruct (3.1 GB, GPU)",
                  parameters=1_540_000_000, context_length=32768, methods=("supervised", "dpo")),
    BaseModelInfo(id="HuggingFaceTB/SmolLM2-1.7B-Instruct", label="SmolLM2 1.7B Instruct (3.4 GB, GPU)",
                  parameters=1_710_000_000, context_length=8192, methods=("supervised", "dpo")),
    BaseModelInfo(id="meta-llama/Llama-3.2-1B-Instruct", label="Llama 3.2 1B Instruct (2.5 GB, gated: accept "
                  "the licence on the Hub)", parameters=1_240_000_000, context_length=131072,
                  methods=("supervised", "dpo")),
]

# What training and chat need; skips duplicate weight formats (PyTorch .bin, ONNX, GGUF).
MODEL_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken", "tokenizer*"]


def is_local(name: str) -> bool:
    return Path(name).expanduser().is_dir() or name.startswith(("/", "~", ".")) or (len(name) > 1 and name[1] == ":")


def _not_an_id(name: str, exc: Exception) -> InvalidInput:
    reason = str(exc).split(f": '{name}'")[0].strip().rstrip(".")  # the Hub's rule, without the name again
    return InvalidInput(f"“{name}” is not a Hugging Face model id: {reason[:1].lower()}{reason[1:]}.",
                        hint="An id looks like “owner/name”; a model folder on this computer starts with "
                             "/, ./ or ~.")


def check_model_id(name: str) -> str:
    """``name`` when it can be a Hub model id; else InvalidInput with the Hub's reason (spaces, shell
    characters, "..", too many slashes, too long), so that no Hub call sees it."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError as exc:
        raise _not_an_id(name, exc) from None
    return name


def explain_error(repo_id: str, exc: Exception) -> Exception:
    """The Hub's exception as a StudioError with a sentence that says what to do."""
    from huggingface_hub import errors

    if isinstance(exc, errors.HFValidationError):
        return _not_an_id(repo_id, exc)
    if isinstance(exc, errors.GatedRepoError):
        return CredentialsError(f"“{repo_id}” is a gated model: its authors must grant you access first.",
                                hint=f"Accept its licence on https://huggingface.co/{repo_id} while signed in, "
                                "then add a Hugging Face token on the Accounts page.")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return NotFound(f"There is no model “{repo_id}” on the Hugging Face Hub, or it is private.",
                        hint="Check the spelling, or add a token that can see it on the Accounts page.")
    if isinstance(exc, errors.RevisionNotFoundError):
        return NotFound(f"“{repo_id}” has no such revision.")
    if isinstance(exc, errors.HfHubHTTPError) and getattr(exc.response, "status_code", None) == 401:
        return CredentialsError("The Hugging Face Hub refused the token.", hint="Enter a new token on the Accounts page.")
    if isinstance(exc, (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, ConnectionError, OSError)):
        return NetworkError(f"“{repo_id}” is not on this computer yet and the Hugging Face Hub cannot be reached.",
                            hint="Connect to the internet (and unset HF_HUB_OFFLINE), or choose a local model folder.")
    return exc


def local_path(name: str) -> Path | None:
    """The folder of a local model or of a Hub model already in the cache; None if it must be downloaded.
    Raises NotFound for a missing folder and InvalidInput for a name that is neither a folder nor an id."""
    if is_local(name):
        path = Path(name).expanduser()
        if not path.is_dir():
            raise NotFound(f"The model folder “{path}” does not exist.", hint="Choose an existing folder.")
        return path
    check_model_id(name)
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(name, local_files_only=True, allow_patterns=MODEL_FILES))
    except Exception:  # noqa: BLE001 - not cached (or incomplete): it needs a download
        return None
    return folder if (folder / "config.json").exists() else None


def model_state(name: str) -> str:
    """Where a base model is, in a sentence for the model page."""
    try:
        folder = local_path(name)
    except (NotFound, InvalidInput) as exc:
        return str(exc)
    if folder is None:
        size = next((m.label.split("(")[1].split(",")[0].rstrip(")") for m in SUGGESTED if m.id == name), None)
        return f"Downloads into the Hugging Face cache when you launch{f' ({size})' if size else ''}."
    if not (folder / "config.json").exists():
        return f"“{folder}” has no config.json: it is not a model folder."
    return "A model folder on this computer." if is_local(name) else "Already downloaded."


def _bar_class(progress: ProgressFn | None, cancel: CancelToken | None):
    from tqdm.auto import tqdm

    class ReportingBar(tqdm):
        """Never drawn; turns the download's byte counter into Progress and checks cancel."""

        def __init__(self, *args, **kwargs):
            kwargs.pop("name", None)
            super().__init__(*args, **{**kwargs, "disable": True})
            # snapshot_download counts bytes written in its "Reconstructing" bar (the other is per file)
            self.reports = kwargs.get("unit") == "B" and "Reconstruct" in str(kwargs.get("desc", ""))
            self.clock: EtaClock | None = None

        def update(self, n=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            self.n += n or 0
            if progress is not None and self.reports and self.total:
                if self.clock is None or self.clock.total != self.total:
                    self.clock = EtaClock(self.total)
                progress(self.clock.progress(self.n, f"Downloading {self.n / 2**20:.0f} of {self.total / 2**20:.0f} MB"))

    return ReportingBar


def download_model(repo_id: str, *, token: str | None = None, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> Path:
    """Download (or find in the cache) a Hub model's weights, config and tokenizer; return its folder."""
    from huggingface_hub import snapshot_download

    from backend.log import register_secret

    register_secret(token)
    try:
        folder = snapshot_download(repo_id, token=token or None, allow_patterns=MODEL_FILES,
                                   tqdm_class=_bar_class(progress, cancel))
    except Exception as exc:  # noqa: BLE001 - translated into a sentence below
        raise explain_error(repo_id, exc) from exc
    return Path(folder)


def cached_models() -> list[BaseModelInfo]:
    """Models already in the Hugging Face cache (so they can be fine-tuned offline)."""
    from huggingface_hub import scan_cache_dir

    try:
        cache = scan_cache_dir()
    except Exception:  # noqa: BLE001 - no cache folder yet
        return []
    found = []
    for repo in cache.repos:
        if repo.repo_type == "model" and any(f.file_name == "config.json" for r in repo.revisions for f in r.files):
            found.append(BaseModelInfo(id=repo.repo_id, label=f"{repo.repo_id} (downloaded, {repo.size_on_disk / 1e9:.1f} GB)",
                                       methods=("supervised", "dpo")))
    return found


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` without surrounding spaces, or InvalidInput saying what is wrong with it as a Hub
    repository name (NAME or OWNER/NAME: letters, digits, "-", "_", "."; the Hub's own rules)."""
    import re

    from backend.errors import InvalidInput

    repo_id = (repo_id or "").strip()
    example = "for example “my-model” (under your user name) or “my-org/my-model”"
    if not repo_id:
        raise InvalidInput("Give the repository a name.", hint=f"Write it as NAME or OWNER/NAME, {example}.")
    problem = None
    parts = repo_id.split("/")
    bad = sorted({c for c in repo_id if c != "/" and not (c.isascii() and (c.isalnum() or c in "-_."))})
    if len(parts) > 2:
        problem = "has more than one “/”: it is NAME or OWNER/NAME"
    elif bad:
        shown = ", ".join("a space" if c == " " else f"“{c}”" for c in bad[:5])
        problem = f"contains {shown}: only letters, digits, “-”, “_” and “.” are allowed"
    elif any(not part for part in parts):
        problem = "has an empty owner or name around its “/”"
    elif any(len(part) > 96 for part in parts):
        problem = "is too long: an owner or a name has at most 96 characters"
    elif "--" in repo_id or ".." in repo_id:
        problem = "contains “--” or “..”, which the Hub does not allow"
    elif any(re.match(r"[-.]|.*[-.]$", part) for part in parts):
        problem = "starts or ends with “-” or “.”: an owner and a name start and end with a letter or a digit"
    elif repo_id.endswith(".git"):
        problem = "ends in “.git”, which the Hub does not allow"
    if problem is None:  # anything the Hub client still refuses, in its own words
        from huggingface_hub.utils import HFValidationError, validate_repo_id

        try:
            validate_repo_id(repo_id)
        except HFValidationError as exc:
            problem = f"is not valid: {exc}"
    if problem:
        raise InvalidInput(f"The repository name “{repo_id}” {problem}.", hint=f"Choose another name, {example}.")
    return repo_id
