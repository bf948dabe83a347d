"""The playground's model list is asked of the accounts when they change, not on every job update, and an
account that does not answer is asked again only after a delay that doubles (a clock the test moves)."""

from __future__ import annotations

import socket

import pytest

from backend import accounts, credentials
from backend.chat_catalog import AccountModels
from backend.models import Account, AccountKind, Job, JobStatus, ProviderKind


@pytest.fixture(autouse=True)
def session_keys():
    credentials.install(credentials.SecretStore(session_only=True))
    yield
    credentials.install(None)


@pytest.fixture
def nowhere() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _page(qtbot, clock):
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    page = PlaygroundPage(AppContext())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page._catalog_task.running, timeout=15000)
    page.sources = AccountModels(clock=clock)
    page.refresh_models()
    _settle(qtbot, page)
    return page


def _settle(qtbot, page):
    qtbot.waitUntil(lambda: not page._catalog_task.running and not page._catalog_again, timeout=15000)


def _titles(page) -> list[str]:
    return [page.panes[0].picker.itemText(i) for i in range(page.panes[0].picker.count())]


def test_job_updates_rebuild_from_the_store_without_asking_the_accounts_again(qtbot, fake_openai):
    accounts.save_account(Account(name="work", kind=AccountKind.OPENAI, base_url=fake_openai.base_url),
                          fake_openai.api_key)
    page = _page(qtbot, Clock())
    listed = fake_openai.count("GET", "*models")
    asked = page.sources.asked  # each account once, and each source without one (Ollama on this computer)
    assert listed >= 1 and asked >= 1
    assert any("gpt-4o-mini" in t for t in _titles(page))
    resets = []
    page.panes[0].picker.model().modelReset.connect(lambda: resets.append(1))
    page.panes[0].set_catalog = lambda catalog, _f=page.panes[0].set_catalog: (resets.append(1), _f(catalog))

    store = page.context.store
    job = store.save_job(Job(provider=ProviderKind.OPENAI, base_model="gpt-4o-mini-2024-07-18", name="support-bot",
                             status=JobStatus.RUNNING, remote_id="ftjob-1"))
    for _ in range(12):  # a running job's progress: many updates, no new model
        page.context.job_changed.emit(job.id)
        _settle(qtbot, page)
    assert page.sources.asked == asked and fake_openai.count("GET", "*models") == listed
    pickers_rebuilt = len(resets)

    job.status, job.fine_tuned_model = JobStatus.SUCCEEDED, "ft:gpt-4o-mini-2024-07-18:org::abc123"
    store.save_job(job)
    page.context.job_changed.emit(job.id)  # it succeeded: its model appears, still without the network
    _settle(qtbot, page)
    assert "support-bot (fine-tuned)" in _titles(page)
    assert len(resets) > pickers_rebuilt
    assert page.sources.asked == asked and fake_openai.count("GET", "*models") == listed

    page.context.accounts_changed.emit()  # an account added, edited or removed: asked again
    _settle(qtbot, page)
    assert page.sources.asked == 2 * asked and fake_openai.count("GET", "*models") > listed


def test_an_unreachable_account_is_asked_again_after_a_doubling_delay_and_the_page_says_so(qtbot, fake_openai,
                                                                                           nowhere):
    accounts.save_account(Account(name="work", kind=AccountKind.OPENAI, base_url=fake_openai.base_url),
                          fake_openai.api_key)
    accounts.save_account(Account(name="lab", kind=AccountKind.OPENAI, base_url=nowhere), "sk-unreachable")
    clock = Clock()
    page = _page(qtbot, clock)
    start = page.sources.asked  # both accounts once (and any source without an account)
    assert start >= 2
    message = page.message.text()
    assert "“lab” is unreachable" in message and "next try is at" in message
    assert any("gpt-4o-mini" in t for t in _titles(page))  # the account that answers still lists its models
    assert page.retry_timer.isActive()  # the page asks again by itself once the delay has passed

    for _ in range(5):  # job updates before the delay has passed: nobody is asked
        page.context.job_changed.emit("some-job")
        _settle(qtbot, page)
    assert page.sources.asked == start

    delays = []
    for _ in range(4):
        delays.append(page.sources.next_retry_in())
        clock.now += delays[-1]  # the delay has passed: only the failed account is asked again
        page.load_catalog()
        _settle(qtbot, page)
    assert page.sources.asked == start + 4
    assert delays == [30.0, 60.0, 120.0, 240.0]
    assert "“lab” is unreachable" in page.message.text()

    clock.now += 10  # before the next delay: not asked
    page.load_catalog()
    _settle(qtbot, page)
    assert page.sources.asked == start + 4

    page.refresh_button.click()  # the user's Refresh asks every source at once
    _settle(qtbot, page)
    assert page.sources.asked == start + 4 + start


def test_the_delay_stops_growing_at_its_ceiling():
    clock = Clock()
    sources = AccountModels(clock=clock)
    key = ("openai", "a")
    account = Account(name="lab", kind=AccountKind.OPENAI)
    from backend.errors import NetworkError

    for _ in range(12):
        sources._failed(ProviderKind.OPENAI, account, key, NetworkError("Could not reach OpenAI."))
    assert sources.next_retry_in() == AccountModels.MAX_DELAY
    assert "is unreachable (Could not reach OpenAI). The next try" in sources._failures[key].problem
