"""A chat server on 127.0.0.1 whose streamed reply breaks halfway: it sends a few chunks, then either
an SSE ``error`` event (as OpenAI does when generation fails) or drops the connection."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIRST_PART = ["The answer ", "starts ", "here"]


class BrokenStreamServer:
    def __init__(self, mode: str = "error"):
        self.mode = mode  # "error" | "drop"
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        for text in FIRST_PART:
            self._send(f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {'content': text}}]})}\n\n")
        if self.server.owner.mode == "error":  # type: ignore[attr-defined]
            error = {"error": {"message": "The server had an error while generating.", "type": "server_error"}}
            self._send(f"event: error\ndata: {json.dumps(error)}\n\n")
            self._send("")
        else:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
