"""The log file: rotating, in the user's log folder, and never holding a secret."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from backend import paths
from backend.errors import CredentialsError
from backend.log import REDACTED, file_handler, redact, register_secret
from ui.tasks import describe_error

REGISTERED = "correct-horse-battery-staple-42"  # no known shape: only registration catches it
SHAPED = [
    "sk-proj-Abc123_def456-GHI789jkl012MNO345",
    "sk-svcacct-ZZZ999yyy888XXX777www",
    "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "eyJhbGciOiJIUzI1NiJ9.payload-part.signature_part",  # a bearer token of any shape
]


@pytest.fixture
def log_file():
    """The app's file handler on a logger of its own; yields a function that returns all files' text."""
    handler = file_handler()
    logger = logging.getLogger("fts.test.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def read() -> str:
        handler.flush()
        return "".join(p.read_text(encoding="utf-8") for p in sorted(paths.log_dir().iterdir()))

    yield logger, handler, read
    logger.removeHandler(handler)
    handler.close()


def test_the_log_file_rotates_in_the_users_log_folder(log_file):
    logger, handler, read = log_file
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.baseFilename == str(paths.log_dir() / "finetune-studio.log")
    assert handler.maxBytes > 0 and handler.backupCount >= 2
    logger.info("first file")
    handler.doRollover()
    logger.info("second file")
    assert sorted(p.name for p in paths.log_dir().iterdir()) == ["finetune-studio.log", "finetune-studio.log.1"]
    assert "first file" in read() and "second file" in read()


def test_secrets_are_redacted_in_messages_arguments_and_tracebacks(log_file):
    logger, _, read = log_file
    register_secret(REGISTERED)
    logger.info("saving account with key %s", REGISTERED)
    logger.warning("OpenAI said: Incorrect API key provided: %s", SHAPED[0])
    logger.warning("request headers: {'Authorization': 'Bearer %s'}", SHAPED[3])
    logger.info("service account %s and hub token %s", SHAPED[1], SHAPED[2])
    logger.info('config {"api_key": "%s", "token": "abcdef123456"}', "plain-looking-value-99")
    try:
        raise RuntimeError(f"login failed for {REGISTERED} with {SHAPED[2]}")
    except RuntimeError:
        logger.exception("task failed")
    text = read()
    for secret in [REGISTERED, *SHAPED, "plain-looking-value-99", "abcdef123456"]:
        assert secret not in text
    assert text.count(REDACTED) >= 8
    assert "Traceback (most recent call last)" in text and "RuntimeError: login failed for" in text


def test_redaction_leaves_ordinary_words_alone():
    text = "task-runner-progress disk-usage-report ask-me-anything hf_hub_download tokens=1200"
    assert redact(text) == text


def test_error_messages_shown_to_the_user_are_redacted():
    register_secret(REGISTERED)
    shown = describe_error(ValueError(f"bad header Bearer {SHAPED[3]} for {REGISTERED}"))
    assert SHAPED[3] not in shown and REGISTERED not in shown and REDACTED in shown
    shown = describe_error(CredentialsError(f"The key {SHAPED[0]} was refused."))
    assert shown == f"The key {REDACTED} was refused."


def test_the_cli_prints_errors_redacted(capsys, monkeypatch):
    from backend import cli

    def fail(_args):
        raise CredentialsError(f"Hugging Face refused the token {SHAPED[2]}.")

    monkeypatch.setattr(cli, "build_parser", lambda: _parser_calling(fail))
    assert cli.run(["boom"]) == 1
    err = capsys.readouterr().err
    assert SHAPED[2] not in err and f"token {REDACTED}" in err


def _parser_calling(fn):
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("boom").set_defaults(func=fn)
    return parser
