"""Base models from the Hugging Face Hub: suggestions, what is already on disk, downloads with progress.

Downloads go through ``huggingface_hub.snapshot_download`` into the standard Hugging Face cache,
so models are shared with every other Hugging Face tool on the computer. The Hub's errors
(gated, missing, no token, offline, a name that cannot be an id) are turned into sentences that say
what to do; a name is checked as an id before any Hub function sees it.

It is also the one place that speaks to the Hub about anything else: ``hub_error`` is the one translation
of the Hub's errors (models, datasets, tokens, Inference Providers, pushes), ``whoami`` tests a token,
``check_id`` is the one id check. Which saved account's token a Hub call uses is ``backend.accounts``' to say.
"""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path
from typing import Literal

from backend.cancel import CancelToken, EtaClock, ProgressFn
from backend.errors import CredentialsError, InvalidInput, NetworkError, NotFound, RateLimited, Refused, StudioError
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


def _is_dir(name: str) -> bool:
    """Whether ``name`` is a folder; a name the system refuses (too long, a NUL) is none."""
    try:
        return Path(name).expanduser().is_dir()
    except (OSError, ValueError):
        return False


def local_folder_exists(name: str) -> bool:
    """Whether the local model folder ``name`` exists (False for a name the system refuses)."""
    return _is_dir(name)


def is_local(name: str) -> bool:
    return _is_dir(name) or name.startswith(("/", "~", ".")) or (len(name) > 1 and name[1] == ":")


def _not_an_id(name: str, exc: Exception) -> InvalidInput:
    reason = str(exc).split(f": '{name}'")[0].strip().rstrip(".")  # the Hub's rule, without the name again
    return InvalidInput(f"“{name}” is not a Hugging Face model id: {reason[:1].lower()}{reason[1:]}.",
                        hint="An id looks like “owner/name”; a model folder on this computer starts with "
                             "/, ./ or ~.")


_REPO_EXAMPLE = "for example “my-model” (under your user name) or “my-org/my-model”"


def _repository_problem(repo_id: str) -> str | None:
    """What is wrong with ``repo_id`` as the name of a repository to create, in the Hub's rules, said one by
    one (a model id to read gets the Hub client's own wording instead: the id was typed to find a model)."""
    parts = repo_id.split("/")
    bad = sorted({c for c in repo_id if c != "/" and not (c.isascii() and (c.isalnum() or c in "-_."))})
    if len(parts) > 2:
        return "has more than one “/”: it is NAME or OWNER/NAME"
    if bad:
        shown = ", ".join("a space" if c == " " else f"“{c}”" for c in bad[:5])
        return f"contains {shown}: only letters, digits, “-”, “_” and “.” are allowed"
    if any(not part for part in parts):
        return "has an empty owner or name around its “/”"
    if any(len(part) > 96 for part in parts):
        return "is too long: an owner or a name has at most 96 characters"
    if "--" in repo_id or ".." in repo_id:
        return "contains “--” or “..”, which the Hub does not allow"
    if any(re.match(r"[-.]|.*[-.]$", part) for part in parts):
        return "starts or ends with “-” or “.”: an owner and a name start and end with a letter or a digit"
    if repo_id.endswith(".git"):
        return "ends in “.git”, which the Hub does not allow"
    return None


def check_id(name: str, *, subject: Literal["model", "repository"] = "model") -> str:
    """The one check of a Hub id before any Hub call sees it. ``subject="model"``: ``name`` when it can be a
    model id, else InvalidInput with the Hub client's reason (spaces, shell characters, "..", too many
    slashes, too long). ``subject="repository"``: a repository to create, stripped of surrounding spaces,
    with each rule said on its own (NAME or OWNER/NAME; letters, digits, "-", "_", ".")."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if subject == "repository":
        name = (name or "").strip()
        if not name:
            raise InvalidInput("Give the repository a name.", hint=f"Write it as NAME or OWNER/NAME, {_REPO_EXAMPLE}.")
        problem = _repository_problem(name)
        if problem:
            raise InvalidInput(f"The repository name “{name}” {problem}.", hint=f"Choose another name, {_REPO_EXAMPLE}.")
    try:
        validate_repo_id(name)
    except HFValidationError as exc:
        raise _invalid_id(name, exc, subject) from None
    return name


def _invalid_id(name: str, exc: Exception, subject: str) -> InvalidInput:
    if subject in ("repository", "push"):
        return InvalidInput(f"The repository name “{name}” is not valid: {exc}",
                            hint=f"Choose another name, {_REPO_EXAMPLE}.")
    return _not_an_id(name, exc)


def check_model_id(name: str) -> str:
    """``check_id`` for a model id (the wizard's name; kept for its callers)."""
    return check_id(name, subject="model")


def check_repo_id(repo_id: str) -> str:
    """``check_id`` for a repository to create (the export dialog's name; kept for its callers)."""
    return check_id(repo_id, subject="repository")


def local_path(name: str) -> Path | None:
    """The folder of a local model or of a Hub model already in the cache; None if it must be downloaded.
    Raises NotFound for a missing folder and InvalidInput for a name that is neither a folder nor an id."""
    if is_local(name):
        path = Path(name).expanduser()
        if not _is_dir(name):
            raise NotFound(f"The model folder “{path}” does not exist.", hint="Choose an existing folder.")
        return path
    check_id(name)
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(name, local_files_only=True, allow_patterns=MODEL_FILES))
    except Exception:  # noqa: BLE001 - not cached (or incomplete): it needs a download
        return None
    return folder if (folder / "config.json").exists() else None


def tokenizer_folder(name: str | None, *, cached: bool = True) -> str | None:
    """The folder holding ``name``'s own tokenizer when it is on this computer (a model folder, or with
    ``cached`` a Hub model already downloaded: that reads the Hugging Face cache, so call it off the GUI
    thread); None when it is not at hand."""
    if not name or (not cached and not is_local(name)):
        return None
    try:
        folder = local_path(name)
    except StudioError:
        return None
    if folder is None or not any((folder / f).is_file() for f in ("tokenizer_config.json", "tokenizer.json")):
        return None
    return str(folder)


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
        raise hub_error(exc, subject="model", name=repo_id) from exc
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


# -- the Hub's answers in words --------------------------------------------------------------------------
HUB_URL = "https://huggingface.co"
Subject = Literal["model", "dataset", "token", "inference", "push"]
_NOUN = {"model": "model", "dataset": "dataset", "inference": "model", "push": "repository", "token": "token"}
_OFFLINE = {"model": "the model was not looked up", "dataset": "the dataset was not read",
            "token": "the Hub was not asked", "inference": "Hub models cannot be reached",
            "push": "nothing was pushed"}
_DURING = {"push": "while pushing “{name}”", "dataset": "while reading “{name}”"}


def hub_error(exc: BaseException, *, subject: Subject, name: str, token_source: str | None = None,
              endpoint: str | None = None) -> BaseException:
    """The one translation of what ``huggingface_hub`` (or its HTTP library) raised into a StudioError whose
    sentence says what to do. ``subject`` is what was being done (a model looked up or downloaded, a dataset
    read, a token checked, an Inference Providers chat, a push), ``name`` what it was done to (a model,
    dataset or repository id; the Hub's address for a token), ``token_source`` how to name the token ("the
    token of the account “alice”"), ``endpoint`` the Hub's address (None: the configured one, HF_ENDPOINT, else
    huggingface.co). ``datasets``' own errors (a dataset missing, private or gated; no data files) keep
    datasets' words. An error that is not the Hub's comes back unchanged: it is a bug, and must not be dressed
    up as the network."""
    from huggingface_hub import constants, errors

    found = _hub_cause(exc)
    said = _datasets_words(exc)
    if said is not None and not _refused(found):  # a refused token first: datasets calls that "not found" too
        return NotFound(said)
    if found is None:
        return exc
    exc = found
    where = (endpoint or constants.ENDPOINT or HUB_URL).rstrip("/")
    service = "Hugging Face Inference Providers" if subject == "inference" else "The Hugging Face Hub"
    token = token_source or "the token"
    noun = _NOUN[subject]
    during = _DURING.get(subject, "").format(name=name)
    if isinstance(exc, errors.HFValidationError):
        return _invalid_id(name, exc, subject)
    if isinstance(exc, errors.OfflineModeIsEnabled) or (subject == "model" and isinstance(
            exc, errors.LocalEntryNotFoundError)):
        if subject == "model":  # a download was needed: the folder choice is the way out
            return NetworkError(f"“{name}” is not on this computer yet and the Hugging Face Hub cannot be reached.",
                                hint="Connect to the internet (and unset HF_HUB_OFFLINE), or choose a local "
                                     "model folder.")
        return NetworkError(f"Hugging Face offline mode is on (HF_HUB_OFFLINE), so {_OFFLINE[subject]}.",
                            hint="Unset HF_HUB_OFFLINE and start again.")
    if isinstance(exc, errors.GatedRepoError):
        return CredentialsError(f"“{name}” is a gated {noun}: its authors must grant you access first.",
                                hint=f"Accept its licence on {where}/{'datasets/' if subject == 'dataset' else ''}"
                                     f"{name} while signed in, then add a Hugging Face token on the Accounts page.")
    if _refused(exc):  # a bad token, not a missing repository (which the Hub also answers with 401)
        return _http_error(exc, subject, name, service, token, where, during)
    if isinstance(exc, errors.RevisionNotFoundError):
        return NotFound(f"“{name}” has no such revision.")
    if isinstance(exc, errors.RepositoryNotFoundError) and subject != "inference":
        return NotFound(f"There is no {noun} “{name}” on the Hugging Face Hub, or it is private.",
                        hint="Check the spelling, or add a token that can see it on the Accounts page.")
    if isinstance(exc, errors.HfHubHTTPError) and exc.response is not None:
        return _http_error(exc, subject, name, service, token, where, during)
    if _is_transport_error(exc) or isinstance(exc, errors.LocalEntryNotFoundError):
        # LocalEntryNotFoundError outside a model download: not offline, so the Hub did not answer
        if subject == "model":
            return NetworkError(f"“{name}” is not on this computer yet and the Hugging Face Hub cannot be reached.",
                                hint="Connect to the internet, or choose a local model folder.")
        place = "Hugging Face Inference Providers" if subject == "inference" else f"the Hugging Face Hub at {where}"
        return NetworkError(f"Could not reach {place}"
                            f"{' ' + during if during else ''}.",
                            hint="Check the internet connection" + (" and the account's Hub URL." if subject in (
                                "token", "push") else "."))
    return exc


def _http_error(exc, subject: str, name: str, service: str, token: str, where: str, during: str) -> BaseException:
    status = exc.response.status_code
    said = " ".join((exc.server_message or "").split()) or str(exc).split("\n")[0]
    for_name = f" for “{name}”" if subject in ("inference", "dataset", "model") else ""
    if status == 401 and subject == "dataset":  # said after "it could not be loaded:"
        return CredentialsError(f"The Hub refused {token} (wrong or revoked).",
                                hint="Replace it with a valid one, or remove it.")
    if status == 401 or (status == 403 and subject == "inference"):
        if subject == "inference":
            hint = "Check the token on the Accounts page; it needs the Inference Providers permission."
        elif subject == "push":
            hint = (f"It is wrong, expired or revoked: make a token with write access at {where}/settings/tokens "
                    "and enter it on the Accounts page.")
        else:
            hint = f"It is wrong, expired or revoked: create a new one at {where}/settings/tokens and enter it."
        return CredentialsError(f"{service} refused {token}{for_name}"
                                + (f": {said}" if subject == "inference" and said else "."), hint=hint)
    if status == 403:
        if subject == "push":
            return Refused(f"The Hub did not let {token} write “{name}”" + (f": {said}" if said else "."),
                           hint="Push under your own user name or an organisation you can write to, with a "
                                "token that has write access.")
        return CredentialsError(f"{service} did not let {token} reach “{name}”" + (f": {said}" if said else "."),
                                hint="Use a token that can see it, on the Accounts page.")
    if status == 404:
        if subject == "token":
            return NetworkError(f"{where} answered, but not as a Hugging Face Hub (HTTP 404).",
                                hint="Check the account's Hub URL, or leave it empty for huggingface.co.")
        if subject == "inference":
            return NotFound(f"No Inference Provider serves “{name}”.",
                            hint="Choose a model whose Hub page lists Inference Providers.")
        return NotFound(f"There is no {_NOUN[subject]} “{name}” on the Hugging Face Hub, or it is private.",
                        hint="Check the spelling, or add a token that can see it on the Accounts page.")
    if status in (400, 422) and subject == "push":
        return InvalidInput(f"The Hub refused “{name}”" + (f": {said}" if said else "."),
                            hint="Choose another repository name.")
    if status == 429:
        return RateLimited(f"{service} is asking us to slow down.",
                           hint="Wait a minute" + (", or check the account's credits." if subject == "inference"
                                                   else ", then try again."))
    return NetworkError(f"{service} had a problem (HTTP {status}){' ' + during if during else ''}"
                        + (f": {said}" if said and subject == "inference" else "."),
                        hint="Try again in a few minutes.")


def _hub_cause(exc: BaseException) -> BaseException | None:
    """The Hub's own error or a transport error in ``exc``'s chain (uploads and ``datasets`` wrap them), or
    None when there is none."""
    from huggingface_hub import errors

    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, (errors.HfHubHTTPError, errors.HFValidationError, errors.OfflineModeIsEnabled,
                             errors.LocalEntryNotFoundError)) or _is_transport_error(seen):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _refused(exc: BaseException | None) -> bool:
    """Whether the Hub refused the token itself (a wrong token; the Hub answers a missing repository with 401
    too, but without "Invalid credentials")."""
    from huggingface_hub import errors

    return isinstance(exc, errors.HfHubHTTPError) and exc.response is not None and (
        exc.response.status_code == 401 and "Invalid credentials" in (exc.server_message or ""))


def _datasets_words(exc: BaseException) -> str | None:
    """``datasets``' own sentence for a dataset it could not find (missing, private, gated, a revision, no data
    files), or None. Its chain holds FileNotFoundErrors and the Hub's errors; datasets' words say it better."""
    try:
        from datasets.exceptions import DatasetNotFoundError, FileNotFoundDatasetsError
    except ImportError:  # datasets is optional: without it, no error can be its
        return None
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, (DatasetNotFoundError, FileNotFoundDatasetsError)):
            text = " ".join(str(seen).split())
            return text if text.endswith(".") else text + "."
        seen = seen.__cause__ or seen.__context__
    return None


# Connection and timeout errors of the HTTP libraries the Hub client has used, by package and class name
# (only the installed one can be imported); their status-code and decoding errors are not the network.
_TRANSPORT = {"httpx": {"TransportError"}, "httpx2": {"TransportError"},  # huggingface_hub 1.x uses httpx, 2.x httpx2
              "httpcore": {"ConnectError", "TimeoutException", "NetworkError", "ProxyError"},
              "requests": {"ConnectionError", "Timeout"},
              "urllib3": {"NewConnectionError", "ConnectTimeoutError", "MaxRetryError", "TimeoutError", "ProtocolError"}}
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def _is_transport_error(exc: BaseException) -> bool:
    """A real connection failure or timeout: the builtin ConnectionError/TimeoutError, a name that does not
    resolve, an unreachable network, or the HTTP library's connect/timeout errors. Not any OSError: datasets
    and huggingface_hub put FileNotFoundError (and its kin) in the chain of a missing or gated repository."""
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, socket.herror)):
        return True
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return True
    return any(cls.__name__ in _TRANSPORT.get(cls.__module__.split(".")[0], ()) for cls in type(exc).__mro__)


def whoami(endpoint: str | None, token: str) -> str:
    """"Connected to the Hugging Face Hub as NAME." for a token the Hub at ``endpoint`` (None: huggingface.co)
    accepts; raises StudioError otherwise. What "Test connection" and ``LocalProvider.check_account`` say."""
    from huggingface_hub import HfApi

    from backend.log import register_secret

    register_secret(token)
    api = HfApi(endpoint=endpoint or None, token=token)
    try:
        who = api.whoami(token=token)
    except Exception as exc:  # noqa: BLE001 - the Hub's errors in words; anything else is re-raised as is
        raise hub_error(exc, subject="token", name=api.endpoint or HUB_URL, endpoint=api.endpoint) from None
    role = ((who.get("auth") or {}).get("accessToken") or {}).get("role")
    return f"Connected to the Hugging Face Hub as {who.get('name', 'an unnamed user')}" + (
        f" (a {role} token)." if role else ".")
