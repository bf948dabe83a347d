"""Logging: a rotating file in the user's log folder, with every secret redacted.

Redaction has two nets: the exact secrets the app has handled this session (registered by
the credential store), and patterns of well-known key formats, so a key that reaches a log
line through a provider's error message is caught either way.
"""

from __future__ import annotations

import logging
import re
import threading

from backend import paths

REDACTED = "[REDACTED]"

_PATTERNS = [
    re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{8,}"),  # OpenAI keys (sk-, sk-proj-, sk-svcacct-), not "task-..."
    re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{8,}"),  # Hugging Face tokens
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)((?:api[-_]?key|token|authorization|password|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{6,}"),
]

_known: set[str] = set()
_known_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Remember a secret so it is redacted wherever it appears in a log record."""
    if secret and len(secret) >= 4:
        with _known_lock:
            _known.add(secret)


def redact(text: str) -> str:
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and exception text) with secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_configured = False


def file_handler() -> logging.handlers.RotatingFileHandler:
    """The app's log file in the user's log folder: 2 MB, then rotated, five old files kept; redacted."""
    import logging.handlers  # here: 20 ms that the window's first page need not wait for

    handler = logging.handlers.RotatingFileHandler(
        paths.log_file(), maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    return handler


def setup_logging(level: int = logging.INFO, *, console: bool = False) -> logging.Handler:
    """Install the rotating, redacting file handler on the root logger (once)."""
    global _configured
    root = logging.getLogger()
    if _configured:
        return next(h for h in root.handlers if getattr(h, "_fts", False))
    handler = file_handler()
    handler._fts = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        stream.addFilter(RedactingFilter())
        root.addHandler(stream)
    root.setLevel(level)
    # The SDKs log request details at DEBUG; keep them at INFO or above.
    for noisy in ("httpx", "httpcore", "openai", "urllib3", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
    return handler
