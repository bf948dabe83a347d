"""The Export dialog's GGUF and Inference Endpoints sections (pytest-qt, offscreen): a GGUF with its Modelfile
written and added to a fake ``ollama``, off the GUI thread; a deploy whose plan (instance, price per hour,
scale-to-zero) is confirmed before anything is sent, followed until ready, then paused and deleted; a refused
plan sends nothing; a failed endpoint says so."""

from __future__ import annotations

import json
import os

import pytest

from tests.fakes.endpoints import FakeEndpoints
from tests.fakes.hub import USER, FakeHub
from tests.fakes.ollama import fake_ollama
from tests.gguf.test_gguf_export import assert_gguf_folder
from tests.local.test_export import hub_account
from ui.monitor.export_dialog import ExportDialog

pytestmark = [pytest.mark.slow,
              pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")]
LONG = 180_000  # ms: merging and converting on a shared two-core machine


def test_the_dialog_writes_a_gguf_and_adds_it_to_ollama(qtbot, trained_run, tiny_model_dir, tmp_path, monkeypatch):
    bin_dir = fake_ollama(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    dialog = ExportDialog(trained_run)
    qtbot.addWidget(dialog)
    dialog.merged.setChecked(False)
    dialog.gguf.setChecked(True)
    assert dialog.gguf.ollama.isEnabled() and dialog.gguf.ollama.isChecked()  # ollama is on the PATH
    dialog.gguf.quant.setCurrentIndex(dialog.gguf.quant.findData("Q8_0"))
    dialog.gguf.folder.edit.setText(str(tmp_path / "gguf"))
    dialog.gguf.ollama_name.setText("tiny-ui")
    dialog.export_button.click()
    assert not dialog.gguf.isEnabled() and dialog.cancel_button.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: dialog._task is None, timeout=LONG)
    gguf_file = assert_gguf_folder(tmp_path / "gguf", "Q8_0", tiny_model_dir)
    assert dialog.status.text() == (f"Exported. Wrote {gguf_file} and its Ollama Modelfile. Added it to Ollama as "
                                    "“tiny-ui:latest”: it is in the playground.")
    [call] = [json.loads(line) for line in (bin_dir / "calls.jsonl").read_text().splitlines()]
    assert call["args"] == ["create", "tiny-ui", "-f", str(tmp_path / "gguf" / "Modelfile")]


def test_without_ollama_the_choice_says_where_to_get_it(qtbot, trained_run, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    dialog = ExportDialog(trained_run)
    qtbot.addWidget(dialog)
    dialog.gguf.setChecked(True)
    assert not dialog.gguf.ollama.isEnabled() and not dialog.gguf.ollama.isChecked()
    assert "https://ollama.com/download" in dialog.gguf.ollama.toolTip() and not dialog.gguf.ollama_name.isEnabled()


@pytest.fixture
def endpoint_services(tiny_model_dir, monkeypatch):
    from huggingface_hub import constants

    from ui.monitor.endpoint_panel import EndpointPanel

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(EndpointPanel, "poll_seconds", 0.01)
    with FakeHub(tiny_model_dir) as hub, FakeEndpoints() as fake:
        monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", fake.api)
        hub_account(hub)
        yield fake


def test_deploy_is_confirmed_with_its_price_then_sent_once_followed_paused_and_deleted(qtbot, trained_run,
                                                                                      endpoint_services):
    fake, asked, answers = endpoint_services, [], [False, True, True]
    dialog = ExportDialog(trained_run, confirm_fn=lambda parent, title, text: (asked.append(text), answers.pop(0))[1])
    qtbot.addWidget(dialog)
    panel = dialog.deploy
    panel.repo.setText(f"{USER}/tiny-ft")
    panel.deploy_button.click()  # refused at the question: nothing is sent
    qtbot.waitUntil(lambda: panel.status.text() == "Nothing was deployed.", timeout=20000)
    assert fake.creates() == 0 and "$0.80 per hour" in asked[0] and "scales to zero after 15 minutes" in asked[0]
    panel.deploy_button.click()
    assert not panel.deploy_button.isEnabled()  # a second click cannot send a second deploy
    panel.deploy_button.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Ready at"), timeout=20000)
    assert panel.status.text() == f"Ready at {fake.url}/ep/tiny-ft: “tiny-ft” is in the playground."
    assert fake.creates() == 1 and len(asked) == 2
    panel.actions["pause"].click()
    qtbot.waitUntil(lambda: "not billed until you resume it" in panel.status.text(), timeout=20000)
    assert fake.endpoints["tiny-ft"]["status"]["state"] == "paused"
    panel.actions["delete"].click()
    qtbot.waitUntil(lambda: "no longer billed" in panel.status.text(), timeout=20000)
    assert fake.endpoints == {} and asked[-1] == "Delete the endpoint “tiny-ft”?"


def test_a_failed_endpoint_is_said_with_how_to_stop_its_charges(qtbot, trained_run, endpoint_services):
    fake = endpoint_services
    fake.failing.add(f"{USER}/too-big")
    dialog = ExportDialog(trained_run, confirm_fn=lambda *args: True)
    qtbot.addWidget(dialog)
    dialog.deploy.repo.setText(f"{USER}/too-big")
    dialog.deploy.accelerator.setCurrentIndex(dialog.deploy.accelerator.findData("cpu"))
    dialog.deploy.deploy_button.click()
    qtbot.waitUntil(lambda: "failed" in dialog.deploy.status.text(), timeout=20000)
    assert "The endpoint “too-big” failed: Endpoint failed to start: the model does not fit in memory" in \
        dialog.deploy.status.text() and dialog.deploy.deploy_button.isEnabled()
    assert fake.endpoints["too-big"]["compute"]["instanceType"] == "intel-spr"
