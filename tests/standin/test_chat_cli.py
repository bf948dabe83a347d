"""`chat --provider stand-in`: the command offers and runs a provider that is only its module and a registry line."""

from __future__ import annotations

from backend.cli import build_parser, run


def test_chat_streams_the_stand_in_echo(stand_in, capsys):
    assert run(["chat", "--provider", "stand-in", "--model", "echo-1", "hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "echo: hi\n"  # stdout holds the reply alone
    assert "2 tokens" in err


def test_the_provider_choices_come_from_the_registry(stand_in, capsys):
    chat = build_parser()._subparsers._group_actions[0].choices["chat"]
    provider = next(a for a in chat._actions if a.dest == "provider")
    assert "stand-in" in provider.choices and "hf-inference" in provider.choices
    assert run(["chat", "--provider", "stand-in", "--model", "echo-1", "--adapter", "/nowhere", "hi"]) == 1
    assert "--adapter applies to a model on this computer, not to Stand-in" in capsys.readouterr().err
