"""A fake ``ollama`` executable and a fake of Ollama's OpenAI-compatible server (``/v1/models``,
``/v1/chat/completions``), tied together: the executable records each call (arguments, working folder, the
Modelfile given with ``-f``) in ``calls.jsonl``, and the server lists the models ``ollama create`` made, named
``NAME:latest`` as Ollama lists them. A chat with an unknown model is refused as Ollama refuses it (404,
"model ... not found"); a known one streams "Paris." in OpenAI's chunk format."""

from __future__ import annotations

import json
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPLY = ("Par", "is.")


def fake_ollama(folder: Path, exit_code: int = 0) -> Path:
    """``folder/ollama``: records its arguments; says "success" (or fails with ``exit_code``)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "ollama"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                      f"log = {str(folder / 'calls.jsonl')!r}\n"
                      "modelfile = open(sys.argv[sys.argv.index('-f') + 1]).read() if '-f' in sys.argv else None\n"
                      "open(log, 'a').write(json.dumps({'args': sys.argv[1:], 'cwd': os.getcwd(),"
                      " 'modelfile': modelfile}) + '\\n')\n"
                      f"print('gathering model components\\nsuccess' if not {exit_code} "
                      "else 'Error: unknown parameter')\n"
                      f"sys.exit({exit_code})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def created_models(folder: Path) -> list[str]:
    calls = folder / "calls.jsonl"
    if not calls.exists():
        return []
    names = [json.loads(line)["args"][1] for line in calls.read_text().splitlines()
             if json.loads(line)["args"][:1] == ["create"]]
    return [n if ":" in n else f"{n}:latest" for n in names]


class FakeOllamaServer:
    def __init__(self, folder: Path):
        self.folder, self.requests = folder, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, None))
                if self.path.rstrip("/") != "/v1/models":
                    return self._json(404, {"error": "404 page not found"})
                self._json(200, {"object": "list", "data": [
                    {"id": name, "object": "model", "created": 1700000000, "owned_by": "library"}
                    for name in created_models(fake.folder)]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.requests.append(("POST", self.path, body))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._json(404, {"error": "404 page not found"})
                if body.get("model") not in created_models(fake.folder):
                    return self._json(404, {"error": {"message": f"model \"{body.get('model')}\" not found, try "
                                                                 "pulling it first", "type": "api_error"}})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, piece in enumerate(REPLY):
                    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                             "model": body["model"], "system_fingerprint": "fp_ollama",
                             "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece},
                                          "finish_reason": "stop" if i == len(REPLY) - 1 else None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeOllamaServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
