"""The stand-in provider in the playground, with no change outside its module and its registry line: the catalog
heads its chat model "Stand-in", and a pane streams its echo."""

from __future__ import annotations

from backend.chat_catalog import base_ref, build_catalog, group_title
from backend.models import Job, JobStatus
from backend.store import JobStore


def test_the_catalog_groups_the_stand_in_and_a_pane_streams_its_echo(qtbot, stand_in):
    from ui.context import AppContext
    from ui.playground.page import PlaygroundPage

    catalog = build_catalog(JobStore())
    assert [(r.model, r.label, r.kind) for r in catalog.groups()["Stand-in"]] == [("echo-1", "Echo 1", "base")]
    assert catalog.problems == []

    page = PlaygroundPage(AppContext())
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page._catalog_task.running, timeout=10000)
    page.set_pane_count(1)
    pane = page.panes[0]
    items = [pane.picker.itemText(i) for i in range(pane.picker.count())]
    index = items.index("Echo 1")  # no leading spaces: the list indents models itself
    assert items[index - 1] == "Stand-in"  # the heading, from the class's label
    pane.picker.setCurrentIndex(index)
    pane.picker.activated.emit(index)
    assert pane.state.model.provider is stand_in.kind and pane.state.model.model == "echo-1"

    page.prompt.setPlainText("hello there")
    page.send()
    qtbot.waitUntil(lambda: pane.state.turns[-1].role == "assistant" and pane.state.turns[-1].stats is not None,
                    timeout=10000)
    reply = pane.state.turns[-1]
    assert reply.content == "echo: hello there" and not reply.error and pane.views[-1].text == reply.content
    assert reply.stats.tokens == 2  # the stand-in sends two chunks


def test_a_succeeded_stand_in_job_offers_its_model_beside_its_base(stand_in):
    """A provider without ``JobModels`` gets the default: the succeeded job's model, under its own heading."""
    store = JobStore()
    job = store.save_job(Job(provider=stand_in.kind, name="echo run", base_model="echo-1",
                             fine_tuned_model="echo-1:tuned", status=JobStatus.SUCCEEDED))
    tuned = next(r for r in build_catalog(store, with_accounts=False).models if r.model == "echo-1:tuned")
    assert (tuned.provider, tuned.kind, tuned.label, group_title(tuned)) == (
        stand_in.kind, "fine-tuned", "echo run (fine-tuned)", "Stand-in")
    assert base_ref(job).model_dump(include={"provider", "model", "kind"}) == {
        "provider": stand_in.kind, "model": "echo-1", "kind": "base"}
