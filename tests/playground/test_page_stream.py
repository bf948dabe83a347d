"""The playground page against the fake OpenAI service: streaming, Stop, side by side, errors, untrusted text."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PySide6.QtCore import Qt

from backend.chat import ModelRef
from backend.models import ProviderKind
from tests.playground.broken_stream import FIRST_PART, BrokenStreamServer
from tests.playground.conftest import MODEL, OTHER_MODEL, ask, openai_factory


def test_reply_streams_into_each_pane_with_stats(qtbot, page, fake_openai):
    fake_openai.set_reply("Paris is the capital of France.", chunks=6)
    page.system.setPlainText("Answer briefly.")
    shown: list[str] = []
    page.prompt.setPlainText("What is the capital of France?")
    page.send()
    page.panes[0].stream.text.connect(shown.append)  # batches are delivered on the GUI thread, later
    qtbot.waitUntil(lambda: all(p.state.turns[-1].stats for p in page.panes), timeout=15000)

    for pane in page.panes:
        user, reply = pane.state.turns
        assert (user.role, user.content) == ("user", "What is the capital of France?")
        assert reply.content == "Paris is the capital of France."
        assert pane.views[-1].text == reply.content
        assert reply.stats.tokens == 6 and reply.stats.first_token_s is not None
        assert "tokens/s" in pane.views[-1].stats.text()
    assert "".join(shown).endswith("France.")  # what the pane showed is what arrived (batched)
    sent = fake_openai.state.chat_requests
    assert sorted(r["model"] for r in sent) == sorted([MODEL, OTHER_MODEL])  # one request per pane, own model
    assert all(r["stream"] and r["messages"][0] == {"role": "system", "content": "Answer briefly."} for r in sent)


def test_four_panes_stream_the_same_prompt_in_parallel(qtbot, page, fake_openai):
    fake_openai.set_reply("one two three four five six " * 5, chunks=30)
    fake_openai.state.stream_delay = 0.05
    while page.add_pane():
        pass
    for pane in page.panes[2:]:
        pane.set_model(ModelRef(provider=ProviderKind.OPENAI, model=MODEL))
    assert len(page.panes) == 4 and not page.add_pane_button.isEnabled()
    page.prompt.setPlainText("Count.")
    page.send()
    qtbot.waitUntil(lambda: all(p.busy for p in page.panes))  # all four stream at once
    assert not any(p.state.turns[-1].stats for p in page.panes)
    qtbot.waitUntil(lambda: all(p.state.turns[-1].stats for p in page.panes), timeout=15000)
    assert [p.state.turns[-1].content for p in page.panes] == ["one two three four five six " * 5] * 4
    assert len(fake_openai.state.chat_requests) == 4


def test_stop_ends_the_reply_and_keeps_what_arrived(qtbot, page, fake_openai):
    fake_openai.set_reply("word " * 400, chunks=400)
    fake_openai.state.stream_delay = 0.01
    page.set_pane_count(1)
    pane = page.panes[0]
    page.prompt.setPlainText("Talk a lot.")
    page.send()
    qtbot.waitUntil(lambda: pane.views[-1].text.count("word") >= 3, timeout=10000)
    assert pane.stop_button.isEnabled()
    qtbot.mouseClick(pane.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not pane.busy, timeout=5000)
    reply = pane.state.turns[-1]
    assert reply.stats.stopped and "stopped" in pane.views[-1].stats.text()
    assert 3 <= reply.content.count("word") < 400
    assert reply.content == pane.views[-1].text
    assert not pane.stop_button.isEnabled()
    fake_openai.state.stream_delay = 0.0
    fake_openai.set_reply("Still here.")
    ask(qtbot, page, "Again?")  # the conversation goes on after a Stop
    assert [t.role for t in pane.state.turns] == ["user", "assistant", "user", "assistant"]
    assert pane.state.turns[-1].content == "Still here."


class _ImageServer:
    """Counts any request at all: an inert reply never makes one."""

    def __init__(self):
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_html_in_a_reply_is_shown_literally_and_fetches_nothing(qtbot, page, fake_openai):
    images = _ImageServer()
    reply = (f"<img src=\"{images.url}/pixel.png\"> <b>bold</b> <a href=\"{images.url}/x\">click</a> "
             f"<script>alert(1)</script> ![img]({images.url}/md.png)")
    fake_openai.set_reply(reply, chunks=9)
    ask(qtbot, page, "Say something dangerous.")
    for pane in page.panes:
        body = pane.views[-1].body
        assert body.toPlainText() == reply  # every tag is there as text, not interpreted
        assert not body.acceptRichText() and body.isReadOnly()
        html = body.document().toHtml()
        assert "&lt;img" in html and "<img" not in html and "<a href" not in html and "<b>" not in html
        block = body.document().firstBlock()
        fragments = []
        it = block.begin()
        while not it.atEnd():
            fragments.append(it.fragment())
            it += 1
        assert len(fragments) == 1  # one run of plain characters: no image, anchor or bold span
        assert not fragments[0].charFormat().isAnchor() and not fragments[0].charFormat().isImageFormat()
    qtbot.wait(200)  # give any (wrong) image loader a chance to fetch
    assert images.hits == 0
    images.server.shutdown()
    images.server.server_close()


def test_provider_error_mid_stream_is_shown_in_the_pane_and_the_conversation_survives(qtbot, page, fake_openai):
    fake_openai.set_reply("First answer.")
    ask(qtbot, page, "First question?")
    for mode in ("error", "drop"):
        broken = BrokenStreamServer(mode)
        page.panes[0].open_provider = openai_factory(broken.base_url, "sk-test-broken-000")
        page.prompt.setPlainText(f"Second question ({mode})?")
        page.send()
        qtbot.waitUntil(lambda: not any(p.busy for p in page.panes), timeout=15000)
        broken.stop()
        pane = page.panes[0]
        failed = pane.state.turns[-1]
        assert failed.error and failed.content == "".join(FIRST_PART)  # what arrived is kept
        assert pane.views[-1].error.isVisible() or not pane.isVisible()
        assert pane.views[-1].error.text() == failed.error
        assert "Traceback" not in failed.error
        assert [t.content for t in pane.state.turns[:2]] == ["First question?", "First answer."]
        assert page.panes[1].state.turns[-1].content == "First answer." and not page.panes[1].state.turns[-1].error
    errors = [t.error for t in page.panes[0].state.turns if t.error]
    assert "server had an error" in errors[0].lower()  # the provider's own sentence



def test_opening_a_comparison_mid_stream_starts_clean(qtbot, page, fake_openai):
    fake_openai.set_reply("slow " * 100, chunks=100)
    fake_openai.state.stream_delay = 0.02
    page.prompt.setPlainText("Take your time.")
    page.send()
    qtbot.waitUntil(lambda: all(p.busy and p.views[-1].text for p in page.panes), timeout=10000)
    old_streams = [p.stream for p in page.panes]
    page.context.open_in_playground.emit([{"provider": "openai", "model": OTHER_MODEL, "label": "tuned"}])
    assert len(page.panes) == 1 and not page.panes[0].busy and page.panes[0].state.turns == []
    assert page.panes[0].state.model.model == OTHER_MODEL
    qtbot.waitUntil(lambda: not any(s.running for s in old_streams), timeout=10000)
    assert page.panes[0].views == [] and page.conversation.panes == [page.panes[0].state]
    fake_openai.state.stream_delay = 0.0
    fake_openai.set_reply("Fresh.")
    ask(qtbot, page, "New question?")
    assert [t.content for t in page.panes[0].state.turns] == ["New question?", "Fresh."]


def test_copy_puts_the_turn_on_the_clipboard(qtbot, page, fake_openai):
    from PySide6.QtGui import QGuiApplication

    fake_openai.set_reply("Copy me <b>exactly</b>.")
    ask(qtbot, page, "Something to copy?")
    page.panes[0].views[1].copy_button.click()
    assert QGuiApplication.clipboard().text() == "Copy me <b>exactly</b>."
