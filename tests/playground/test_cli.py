"""``python main.py chat``: streams a local model's reply to stdout; Ctrl-C stops it and keeps what came."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _chat(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "chat", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_chat_streams_a_reply_and_its_figures(tiny_model_dir):
    from backend import local_chat
    from backend.models import ChatMessage, ChatParams

    process = _chat("--model", str(tiny_model_dir), "--max-tokens", "10", "--system", "Be brief.",
                    "What is the capital of France?")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    expected = "".join(local_chat.stream_reply(str(tiny_model_dir), [
        ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="What is the capital of France?")],
        ChatParams(max_tokens=10)))
    assert out.decode() == expected + "\n"  # stdout holds the reply alone
    assert "tokens/s" in err.decode() and "10 tokens" in err.decode()


def test_ctrl_c_stops_the_reply(tiny_model_dir):
    process = _chat("--model", str(tiny_model_dir), "--max-tokens", "100000", "--temperature", "1", "Talk.")
    first = process.stdout.read(1)  # the reply has started
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert first and process.returncode == 130
    assert "stopped" in err.decode() and "Traceback" not in err.decode()


def test_chat_with_a_missing_account_is_one_sentence(tiny_model_dir):
    process = _chat("--model", "gpt-4o-mini", "--provider", "openai", "Hi")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err.decode().startswith("error: ") and "Traceback" not in err.decode()
