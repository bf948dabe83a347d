"""A fake Hugging Face Hub on 127.0.0.1: serves one model's files and any number of dataset repos, and
answers for gated, private, missing and refused repositories the way the Hub does (status codes and
X-Error-Code headers), for the real ``huggingface_hub`` and ``datasets``. ``requests`` records every
(method, path).

Dataset repos follow the Hub's rules: revisions are "main" or the one commit (others: 404 RevisionNotFound);
a wrong token is refused with 401 even on a public repo; an anonymous request for a missing or private repo
gets 401 RepoNotFound, an authenticated one 404; a gated repo lists its files and gives its README.md and
.gitattributes to anyone, its other files only with ``token`` (401 GatedRepo without one); oids and ETags are
git blob ids; byte ranges follow RFC 9110 (suffix ranges, 416 past the end).

Model repos are created and written as on the Hub: every write needs ``token`` (401 otherwise); a repo goes
under the token's user (``USER``) or one of ``orgs`` (403 elsewhere), with a valid name (400), once (409, which
``exist_ok`` accepts). Weights and other binary files go through Git LFS (preupload says "lfs", the batch API
says where to PUT them, the bytes are checked against their sha256, then verified); text files ride inline in
the commit, and a binary file sent inline is refused. ``uploaded`` holds what was committed, ``lfs`` what was
sent; ``lfs_gate`` lets a test hold an upload in flight."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
GOOD_TOKEN = "hf_" + "g" * 34  # the one token the fake accepts
USER = "alice"  # the token's user: a repository created without an owner goes under this name
ERRORS = {  # model repos; dataset repos follow the rules above
    "org/gated": (403, {"X-Error-Code": "GatedRepo", "X-Error-Message": "Access to model org/gated is restricted."}),
    "org/missing": (404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}),
    "org/refused": (401, {"X-Error-Message": "Invalid credentials in Authorization header"}),
}


def _oid(body: bytes) -> str:
    """Git's blob id: the oid the Hub lists for a file, and the ETag of a file stored in git (not LFS)."""
    return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()


def _byte_range(spec: str | None, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single "bytes=" range; None without a valid one (or for several: the whole
    body is an allowed answer); False when it starts past the end (416)."""
    first, dash, last = spec[6:].strip().partition("-") if spec and spec.startswith("bytes=") else ("", "", "")
    if not dash or "," in spec or not all(n.isdigit() for n in (first, last) if n) or not (first or last):
        return None
    if not first:  # "bytes=-N": the last N bytes
        return (max(size - int(last), 0), size - 1) if size and int(last) else False
    start, end = int(first), int(last) if last else size - 1
    if last and end < start:  # not a valid range: ignored
        return None
    return (start, min(end, size - 1)) if start < size else False


def _is_lfs(path: str, sample: bytes, size: int) -> bool:
    """The Hub's choice for a new file: LFS for the weight formats its default .gitattributes lists, for
    binary content and for anything of 10 MB or more; otherwise a regular (git) file."""
    return path.endswith((".safetensors", ".bin", ".pt", ".pth", ".gguf")) or b"\0" in sample or size >= 10 * 2**20


def _tree(files: dict[str, bytes], under: str, recursive: bool) -> list[dict] | None:
    """The Hub's tree listing of ``under`` ("" for the root): files and folders, one level unless recursive."""
    prefix = under.strip("/") + "/" if under.strip("/") else ""
    if prefix and not any(name.startswith(prefix) for name in files):
        return None
    entries: dict[str, dict] = {}
    for name, body in sorted(files.items()):
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix):].split("/")
        for depth in range(1, len(parts)):
            folder = prefix + "/".join(parts[:depth])
            if recursive or depth == 1:
                entries.setdefault(folder, {"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(),
                                            "size": 0, "path": folder})
        if recursive or len(parts) == 1:
            entries[name] = {"type": "file", "oid": _oid(body), "size": len(body), "path": name}
    return list(entries.values())


class FakeHub:
    def __init__(self, model_dir: Path, repo_id: str = "org/tiny",
                 datasets: dict[str, dict[str, bytes]] | None = None, private: frozenset[str] = frozenset(),
                 gated: frozenset[str] = frozenset()):
        self.repo_id = repo_id
        self.datasets = datasets or {}  # dataset repo id -> path in the repo -> content
        self.private = set(private)  # dataset repos only ``token`` may see (a private one created is added)
        self.gated = gated  # dataset repos whose data files only ``token`` may download
        self.requests: list[tuple[str, str]] = []
        self.token = GOOD_TOKEN  # the token whoami accepts; a test may choose its own
        self.files = {p.name: p.read_bytes() for p in Path(model_dir).iterdir() if p.is_file()}
        self.created: dict[str, dict] = {}  # repo id -> create_repo's JSON body
        self.uploaded: dict[str, dict[str, bytes]] = {}  # repo id -> path -> content, once committed
        self.orgs: set[str] = {"acme"}  # organisations the token's user may create repositories in
        self.lfs: dict[str, bytes] = {}  # LFS objects uploaded (sha256 -> bytes), committed or not
        self.lfs_started = threading.Event()  # set when an LFS upload arrives
        self.lfs_gate: threading.Event | None = None  # when set by a test, uploads wait for it
        from tests.fakes.hub_jobs import FakeJobs

        self.jobs = FakeJobs(self)  # Hugging Face Jobs (tests/fakes/hub_jobs.py)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _route(self, head: bool):
                path = urlparse(self.path).path
                hub.requests.append((self.command, unquote(path)))
                parts = [unquote(part) for part in path.strip("/").split("/")]
                if parts[:2] == ["api", "jobs"]:
                    return hub.jobs.handle(self, self.command, parts, b"")
                if parts[:2] == ["api", "datasets"] or parts[:1] == ["datasets"]:
                    return self._dataset(parts, head)
                if parts == ["api", "whoami-v2"]:
                    if self.headers.get("Authorization") == f"Bearer {hub.token}":
                        return self._reply(200, json.dumps({"name": "alice", "type": "user"}).encode(), head=head)
                    return self._reply(401, b'{"error": "Invalid credentials"}',
                                       {"X-Error-Message": "Invalid credentials in Authorization header"}, head)
                if parts[:2] == ["api", "models"]:
                    repo = "/".join(parts[2:4])
                elif len(parts) >= 5 and parts[2] == "resolve":
                    repo = "/".join(parts[:2])
                else:
                    return self._reply(404, b"{}", head=head)
                if repo in hub.created and parts[:2] == ["api", "models"] and len(parts) == 4:  # repo_info
                    info = {"id": repo, "sha": COMMIT, "private": hub.created[repo].get("visibility") == "private",
                            "siblings": [{"rfilename": name} for name in sorted(hub.uploaded.get(repo, {}))]}
                    return self._json(200, info, head)
                if repo in hub.created:  # a model repo written through the API: its committed files
                    return self._created_model(repo, parts, head)
                if repo in ERRORS:
                    status, headers = ERRORS[repo]
                    return self._reply(status, json.dumps({"error": headers["X-Error-Message"]}).encode(),
                                       headers, head)
                if repo != hub.repo_id:
                    return self._reply(404, b"{}", ERRORS["org/missing"][1], head)
                if parts[:2] == ["api", "models"] and len(parts) > 4 and parts[4] == "tree":
                    return self._listing(hub.files, "/".join(parts[6:]), head)
                if parts[:2] == ["api", "models"]:
                    info = {"id": repo, "modelId": repo, "sha": COMMIT, "private": False,
                            "siblings": [{"rfilename": name} for name in sorted(hub.files)]}
                    return self._reply(200, json.dumps(info).encode(), {"Content-Type": "application/json"}, head)
                name = "/".join(parts[4:])
                body = hub.files.get(name)
                if body is None:
                    return self._reply(404, b"", {"X-Error-Code": "EntryNotFound"}, head)
                etag = hashlib.sha256(body).hexdigest()
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _created_model(self, repo: str, parts: list[str], head: bool):
                files = hub.uploaded.get(repo, {})
                if parts[0] == "api" and len(parts) > 4 and parts[4] == "tree":
                    return self._listing(files, "/".join(parts[6:]), head)
                if parts[0] == "api":
                    request = hub.created[repo]
                    private = request.get("visibility") == "private" or bool(request.get("private"))
                    info = {"id": repo, "modelId": repo, "sha": COMMIT, "private": private,
                            "siblings": [{"rfilename": name} for name in sorted(files)]}
                    return self._json(200, info, head)
                body = files.get("/".join(parts[4:]))
                if body is None:
                    return self._reply(404, b"", {"X-Error-Code": "EntryNotFound"}, head)
                return self._reply(200, body, {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(body).hexdigest()}"',
                                               "Content-Type": "application/octet-stream"}, head)

            def _json(self, status: int, value, head: bool, headers: dict | None = None):
                self._reply(status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})},
                            head)

            def _listing(self, files: dict[str, bytes], under: str, head: bool):
                """The tree API: one folder's entries, or all below it with ?recursive=true."""
                entries = _tree(files, under, "recursive=true" in urlparse(self.path).query.lower())
                if entries is None:
                    return self._json(404, {"error": "Entry not found"}, head, {"X-Error-Code": "EntryNotFound"})
                return self._json(200, entries, head)

            def _dataset(self, parts: list[str], head: bool, form: dict | None = None):
                """/api/datasets/{repo}[/revision/{rev}], /api/datasets/{repo}/tree/{rev}[/{path}],
                /api/datasets/{repo}/paths-info/{rev} (POST) and /datasets/{repo}/resolve/{rev}/{path}."""
                api = parts[0] == "api"
                repo = "/".join(parts[2:4] if api else parts[1:3])
                rest = parts[4:] if api else parts[3:]
                files = hub.datasets.get(repo)
                auth = self.headers.get("Authorization")
                if auth is not None and auth != f"Bearer {hub.token}":  # a wrong token: refused, public repo or not
                    return self._json(401, {"error": "Invalid credentials in Authorization header"}, head,
                                      {"X-Error-Message": "Invalid credentials in Authorization header"})
                if files is None or (repo in hub.private and auth is None):  # anonymous: 401, signed in: 404
                    return self._json(401 if auth is None else 404, {"error": "Repository not found"}, head,
                                      {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"})
                kind = rest[0] if rest else "revision"
                if kind not in (("revision", "tree", "paths-info") if api else ("resolve",)):
                    return self._json(404, {"error": "Not found"}, head)
                revision = rest[1] if len(rest) > 1 else "main"
                if revision not in ("main", COMMIT):
                    message = f"Invalid rev id: {revision}"
                    return self._json(404, {"error": message}, head,
                                      {"X-Error-Code": "RevisionNotFound", "X-Error-Message": message})
                if kind == "revision":  # dataset_info
                    blobs = "blobs=true" in urlparse(self.path).query.lower()  # sizes and blob ids of siblings
                    info = {"_id": hashlib.sha1(repo.encode()).hexdigest()[:24], "id": repo,
                            "author": repo.split("/")[0], "sha": COMMIT, "private": repo in hub.private,
                            "gated": "manual" if repo in hub.gated else False, "disabled": False, "tags": [],
                            "downloads": 0, "likes": 0, "createdAt": "2026-01-01T00:00:00.000Z",
                            "lastModified": "2026-01-01T00:00:00.000Z", "cardData": {},
                            "siblings": [{"rfilename": name} | (
                                {"size": len(body), "blobId": _oid(body)} if blobs else {})
                                for name, body in sorted(files.items())]}
                    return self._json(200, info, head)
                if kind == "tree":
                    return self._listing(files, "/".join(rest[2:]), head)
                if kind == "paths-info":
                    wanted = (form or {}).get("paths", [])
                    return self._json(200, [e for e in _tree(files, "", True) or [] if e["path"] in wanted], head)
                name = "/".join(rest[2:])
                if repo in hub.gated and auth is None and name not in ("README.md", ".gitattributes"):
                    message = (f"Access to dataset {repo} is restricted. You must have access to it and be "
                               "authenticated to access it. Please log in.")
                    return self._json(401, {"error": message}, head,
                                      {"X-Error-Code": "GatedRepo", "X-Error-Message": message})
                body = files.get(name)
                if body is None:
                    return self._json(404, {"error": "Entry not found"}, head,
                                      {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"})
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{_oid(body)}"',
                           "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
                wanted = _byte_range(self.headers.get("Range"), len(body))
                if wanted is False:
                    return self._reply(416, b"", {**headers, "Content-Range": f"bytes */{len(body)}"}, head)
                if wanted:
                    start, end = wanted
                    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    return self._reply(206, body[start:end + 1], headers, head)
                return self._reply(200, body, headers, head)

            def do_POST(self):
                path = [unquote(part) for part in urlparse(self.path).path.strip("/").split("/")]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if path[:2] == ["api", "jobs"]:
                    hub.requests.append(("POST", unquote(urlparse(self.path).path)))
                    return hub.jobs.handle(self, "POST", path, body)
                written = path[:2] == ["api", "datasets"] and path[4:5] in (["preupload"], ["commit"])
                if path[:2] == ["api", "datasets"] and not written:
                    hub.requests.append(("POST", unquote(urlparse(self.path).path)))
                    from urllib.parse import parse_qs

                    form = parse_qs(body.decode()) if body and not body.startswith(b"{") else json.loads(body or b"{}")
                    return self._dataset(path, False, form)
                if path == ["api", "validate-yaml"]:  # the model card's metadata block must be YAML
                    import yaml

                    content = json.loads(body)["content"]
                    try:
                        yaml.safe_load(content.split("---")[1])
                    except (IndexError, yaml.YAMLError) as exc:
                        return self._reply(400, json.dumps({"errors": [{"message": str(exc)}]}).encode())
                    return self._reply(200, json.dumps({"errors": [], "warnings": []}).encode())
                hub.requests.append(("POST", unquote(urlparse(self.path).path)))
                if self.headers.get("Authorization") != f"Bearer {hub.token}":  # writes need a valid token
                    return self._json(401, {"error": "Invalid credentials in Authorization header"}, False,
                                      {"X-Error-Message": "Invalid credentials in Authorization header"})
                if path == ["api", "repos", "create"]:
                    return self._create(json.loads(body))
                if len(path) == 6 and path[1].endswith(".git") and path[2:] == ["info", "lfs", "objects", "batch"]:
                    return self._lfs_batch(f"{path[0]}/{path[1][:-4]}", json.loads(body))
                if len(path) == 7 and path[0] == "datasets" and path[3:] == ["info", "lfs", "objects", "batch"]:
                    return self._lfs_batch(f"{path[1]}/{path[2][:-4]}", json.loads(body))
                if path == ["_lfs", "verify"]:
                    item = json.loads(body)
                    stored = hub.lfs.get(item["oid"])
                    return self._json(200 if stored is not None and len(stored) == item["size"] else 404, {}, False)
                repo = "/".join(path[2:4])
                if path[:2] not in (["api", "models"], ["api", "datasets"]) or repo not in hub.created:
                    return self._json(404, {"error": "Repository not found"}, False,
                                      {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"})
                if path[4:5] == ["preupload"]:
                    files = [{"path": f["path"], "shouldIgnore": False,
                              "uploadMode": "lfs" if _is_lfs(f["path"], base64.b64decode(f["sample"]), f["size"])
                              else "regular"} for f in json.loads(body)["files"]]
                    return self._json(200, {"files": files, "commitOid": COMMIT}, False)
                if path[4:5] == ["commit"]:
                    return self._commit(repo, body)
                return self._reply(404, b"{}")

            def _create(self, request: dict):
                """The Hub's rules: a valid name, under the token's user or one of its organisations, once."""
                owner = request.get("organization") or USER
                name = request.get("name", "")
                repo = f"{owner}/{name}"
                if not re.fullmatch(r"\w[\w.-]{0,95}", name, re.ASCII) or name[-1] in "-." or ".." in name \
                        or "--" in name or name.endswith(".git"):
                    return self._json(400, {"error": f"Invalid repo name: {name}"}, False)
                if owner not in (USER, *hub.orgs):
                    message = f'You don\'t have the rights to create a model under the namespace "{owner}"'
                    return self._json(403, {"error": message}, False, {"X-Error-Message": message})
                if repo in hub.created:
                    return self._json(409, {"error": "You already created this model repo", "url": f"{hub.url}/{repo}"},
                                      False)
                hub.created[repo] = request
                return self._json(200, {"url": f"{hub.url}/{repo}", "name": repo}, False)

            def _lfs_batch(self, repo: str, request: dict):
                """Git LFS's batch API: where to PUT each object not stored yet, and where to verify it."""
                if repo not in hub.created:
                    return self._json(404, {"message": "Repository not found"}, False)
                objects = []
                for item in request["objects"]:
                    entry = {"oid": item["oid"], "size": item["size"], "authenticated": True}
                    if item["oid"] not in hub.lfs:
                        entry["actions"] = {"upload": {"href": f"{hub.url}/_lfs/{item['oid']}"},
                                            "verify": {"href": f"{hub.url}/_lfs/verify"}}
                    objects.append(entry)
                return self._json(200, {"transfer": "basic", "objects": objects}, False)

            def _commit(self, repo: str, body: bytes):
                """Regular files carry their text inline; binary ones must have gone up through LFS first."""
                files = {}
                for line in body.splitlines():
                    item = json.loads(line)
                    value = item["value"]
                    if item["key"] == "file":
                        content = base64.b64decode(value["content"])
                        if b"\0" in content[:8000]:
                            return self._json(400, {"error": "Your push was rejected because it contains binary "
                                                             f"files ({value['path']}). Please use LFS."}, False)
                        files[value["path"]] = content
                    elif item["key"] == "lfsFile":
                        if value["oid"] not in hub.lfs:
                            return self._json(422, {"error": f"LFS object {value['oid']} of {value['path']} was "
                                                             "never uploaded"}, False)
                        files[value["path"]] = hub.lfs[value["oid"]]
                hub.uploaded.setdefault(repo, {}).update(files)
                if hub.created[repo].get("type") == "dataset":  # readable through the dataset routes
                    hub.datasets.setdefault(repo, {}).update(files)
                    if hub.created[repo].get("visibility") == "private" or hub.created[repo].get("private"):
                        hub.private.add(repo)
                return self._json(200, {"commitUrl": f"{hub.url}/{repo}/commit/{COMMIT}", "commitOid": COMMIT,
                                        "success": True}, False)

            def _body(self) -> bytes:
                if "chunked" not in self.headers.get("Transfer-Encoding", ""):
                    length = int(self.headers.get("Content-Length", 0))
                    data = self.rfile.read(length)
                    if len(data) < length:
                        raise ConnectionError("the body ended early")
                    return data
                data = b""
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return data

            def do_PUT(self):
                """An LFS object's bytes (on the Hub: a presigned storage URL, no token)."""
                path = urlparse(self.path).path.strip("/").split("/")
                hub.requests.append(("PUT", urlparse(self.path).path))
                if path[:1] != ["_lfs"] or len(path) != 2:
                    return self._reply(404, b"")
                hub.lfs_started.set()
                if hub.lfs_gate is not None:  # a test holds the upload here (to cancel during it)
                    hub.lfs_gate.wait(60)
                try:
                    data = self._body()
                except (ConnectionError, ValueError):  # the client gave up (a cancelled upload)
                    self.close_connection = True
                    return
                if hashlib.sha256(data).hexdigest() != path[1]:
                    return self._reply(400, b"the content does not match its oid")
                hub.lfs[path[1]] = data
                return self._reply(200, b"")

            def do_GET(self):
                self._route(head=False)

            def do_HEAD(self):
                self._route(head=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.jobs.stop()
        self.server.shutdown()
        self.server.server_close()
