"""The wizard's data page in a bare QWizard with a draft: choose, validate, findings, Next, cancel."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWizard

from backend.data import Finding, Severity
from backend.models import ProviderKind
from tests.data.conftest import chat, chats
from ui.wizard.data_findings import FindingsModel
from ui.wizard.data_page import DataPage
from ui.wizard.draft import WizardDraft


@pytest.fixture
def page(qtbot):
    wizard = QWizard()
    wizard.draft = WizardDraft(provider=ProviderKind.OPENAI, base_model="gpt-4o-mini")
    page = DataPage()
    wizard.addPage(page)
    qtbot.addWidget(wizard)
    wizard.show()
    yield page
    qtbot.waitUntil(lambda: page._task is None, timeout=10000)


def validated(qtbot, page, path):
    page.set_path(str(path))
    qtbot.waitUntil(lambda: page.report is not None or page._task is None, timeout=15000)
    return page.report


def test_findings_model_contract(qtmodeltester):
    model = FindingsModel()
    model.set_findings([Finding(line=3, column=7, check="invalid_json", severity=Severity.ERROR, message="Bad.",
                                how_to_fix="Fix it."),
                        Finding(line=0, check="byte_order_mark", severity=Severity.WARNING, message="BOM.",
                                how_to_fix="Save without.")])
    qtmodeltester.check(model)
    assert model.data(model.index(0, 0)) == "3:7" and model.data(model.index(1, 0)) == "file"  # errors first
    assert model.rowCount() == 2 and model.headerData(4, Qt.Orientation.Horizontal) == "How to fix it"


def test_good_file_enables_next(qtbot, page, write_jsonl):
    with qtbot.waitSignal(page.completeChanged, timeout=15000, check_params_cb=lambda *a: page.report is not None):
        page.set_path(str(write_jsonl(chats(12))))
    qtbot.waitUntil(lambda: page.report is not None, timeout=15000)
    assert page.isComplete() and page.report.ok
    draft = page.wizard().draft
    assert draft.report is page.report and draft.data_path.endswith("data.jsonl")
    assert "Ready to use" in page.summary.text()
    qtbot.waitUntil(lambda: page.preview.widget().layout().count() > 1, timeout=10000)  # bubbles shown


def test_findings_block_next_until_invalid_rows_are_dropped(qtbot, page, write_jsonl):
    report = validated(qtbot, page, write_jsonl(chats(12) + ['{"messages": [', {"messages": []}]))
    assert report.error_count == 2 and not page.isComplete()
    assert page.findings.rowCount() == 2 and page.drop_invalid.isVisibleTo(page)
    page.drop_invalid.setChecked(True)
    assert page.isComplete() and page.wizard().draft.data.drop_invalid is True
    page.table.clicked.emit(page.findings.index(0, 3))
    qtbot.waitUntil(lambda: '{"messages": [' in page.example_view.toPlainText(), timeout=5000)
    assert "Line 13, column 15 (the end of the line) (invalid_json)" in page.example_view.toPlainText()


def test_unusable_file_never_enables_next(qtbot, page, write_jsonl):
    validated(qtbot, page, write_jsonl(chats(3)))  # OpenAI needs 10
    assert not page.isComplete() and not page.drop_invalid.isVisibleTo(page)
    assert "cannot be used" in page.summary.text()


def test_cancel(qtbot, page, write_jsonl):
    page.set_path(str(write_jsonl(chats(20000))))
    assert page.cancel_button.isVisibleTo(page) and not page.isComplete()
    page.cancel_button.click()
    assert page.summary.text() == "Validation cancelled." and page.report is None and not page.isComplete()
    assert not page.cancel_button.isVisibleTo(page)


def test_split_settings_go_to_the_draft(qtbot, page, write_jsonl, tmp_path):
    validated(qtbot, page, write_jsonl(chats(12)))
    page.ratio_split.setChecked(True)
    page.ratio.setValue(20)
    page.seed.setValue(7)
    draft = page.wizard().draft
    assert (draft.validation_split, draft.split_seed, draft.validation_path) == (0.2, 7, None)
    page.file_split.setChecked(True)
    page.val_edit.setText(str(tmp_path / "missing.jsonl"))
    assert not page.isComplete() and draft.validation_split == 0.0
    page.val_edit.setText(str(write_jsonl(chats(3), "val.jsonl")))
    assert page.isComplete() and draft.validation_path.endswith("val.jsonl")


def test_hub_id_offline_is_a_clear_message(qtbot, page):
    page.set_path("someone/some-dataset")
    qtbot.waitUntil(lambda: page._task is None, timeout=10000)
    assert "offline" in page.summary.text() and not page.isComplete()


def test_dropping_a_file(qtbot, page, write_jsonl):
    path = write_jsonl(chats(12))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    qtbot.waitUntil(lambda: page.report is not None, timeout=15000)
    assert page.path_edit.text() == str(path) and page.isComplete()


def test_csv_format_shows_the_column_button(qtbot, page, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("question,answer\n" + "".join(f"q{i},a{i}\n" for i in range(12)), encoding="utf-8")
    report = validated(qtbot, page, path)
    assert report.ok and page.columns_button.isVisibleTo(page)
    assert json.loads(json.dumps(page.wizard().draft.data_path)) == str(path)


def test_column_mapping_dialog(qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.wizard.data_columns import ColumnMappingDialog

    dialog = ColumnMappingDialog(["sys", "q", "a"], {"system": "sys", "user": "q", "assistant": "a"})
    qtbot.addWidget(dialog)
    assert dialog.mapping() == {"system": "sys", "user": "q", "assistant": "a"}
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.boxes["assistant"].setCurrentText("q")
    assert not ok.isEnabled() and "only one" in dialog.problem.text()
    dialog.boxes["assistant"].setCurrentText("a")
    assert ok.isEnabled()


def test_local_model_preview_highlights_trained_tokens(qtbot, page, write_jsonl, tiny_model_dir):
    draft = page.wizard().draft
    draft.provider, draft.base_model = ProviderKind.HF_LOCAL, str(tiny_model_dir)
    report = validated(qtbot, page, write_jsonl(chats(3)))
    assert report.stats.tokenizer == str(tiny_model_dir)  # counted with the model's own tokenizer
    qtbot.waitUntil(lambda: page.tabs.isTabVisible(3), timeout=15000)
    text = page.template.toPlainText()
    assert "<|im_start|>assistant\nAnswer 0." in text
    cursor = page.template.textCursor()
    cursor.setPosition(text.index("Answer 0.") + 1)
    trained_bg = cursor.charFormat().background().color().name()
    cursor.setPosition(text.index("Question 0") + 1)
    assert trained_bg != cursor.charFormat().background().color().name()


def test_a_json_finding_marks_its_column(qtbot, page, write_jsonl):
    validated(qtbot, page, write_jsonl(chats(12) + ['{"messages": [{"role": "user" "content": "x"}]}']))
    page.table.clicked.emit(page.findings.index(0, 0))
    qtbot.waitUntil(lambda: "(marked)" in page.example_view.toPlainText(), timeout=5000)
    [mark] = page.example_view.extraSelections()
    assert mark.cursor.selectedText() == '"'  # where the comma is missing
    assert "column 31" in page.example_view.toPlainText()


def test_histogram_axes_have_whole_round_ticks(qtbot, page, write_jsonl):
    from ui.wizard.data_stats import _whole_ticks

    assert [_whole_ticks(n) for n in (1, 5, 6, 11, 99, 1234)] == [(1, 1), (1, 5), (2, 6), (5, 15), (20, 100),
                                                                   (500, 1500)]
    validated(qtbot, page, write_jsonl(chats(12) + [chat("long " * 50, "x")]))
    y = next(a for a in page.stats.chart.axes() if a.alignment() == Qt.AlignmentFlag.AlignLeft)
    assert (y.min(), y.max(), y.tickCount()) == (0, 15, 4)  # 12 in one bin: 0, 5, 10, 15


def test_a_parquet_file_is_counted_in_rows_not_lines(qtbot, page, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = chats(12) + [{"messages": [{"role": "user", "content": "No reply here"}]}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "chats.parquet")
    report = validated(qtbot, page, tmp_path / "chats.parquet")
    assert report.error_count == 1 and report.errors[0].line == 13
    assert page.findings.headerData(0, Qt.Orientation.Horizontal) == "Row"
    assert page.stats.figures["longest"].text().startswith("row ")
    page.table.clicked.emit(page.findings.index(0, 3))
    qtbot.waitUntil(lambda: page.example_view.toPlainText().startswith("Row 13 (example_missing_assistant_message)"),
                    timeout=5000)
    lines = tmp_path / "chats.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    page.set_path(str(lines))
    qtbot.waitUntil(lambda: page.report is not None and page.report.path.endswith(".jsonl"), timeout=15000)
    assert page.findings.headerData(0, Qt.Orientation.Horizontal) == "Line"
    assert page.stats.figures["longest"].text().startswith("line ")


def test_the_data_settings_travel_in_the_configuration_as_jobs_have_always_stored_them():
    """The format, the column mapping and the two switches reach ``TrainingConfig.data_settings`` (what every
    provider's preparation reads), stored under the option keys older jobs have, and a clone reads them back."""
    from backend.models import DataSettings

    settings = DataSettings(format="csv", column_mapping={"user": "q", "assistant": "a"}, dedupe=True)
    draft = WizardDraft(provider=ProviderKind.OPENAI, base_model="gpt-4o-mini", data_path="t.csv", data=settings,
                        options={"kept": 1})
    config = draft.to_config()
    assert config.options == {"kept": 1, "data_format": "csv", "column_mapping": {"user": "q", "assistant": "a"},
                              "dedupe": True, "drop_invalid": False}
    assert config.data_settings == settings
    clone = WizardDraft.from_config(config)
    assert clone.data == settings and clone.options == {"kept": 1}


def test_a_report_for_another_provider_is_not_reused(qtbot, page, write_jsonl):
    """Back to the provider page, from local training to OpenAI: the same 5 examples are checked again."""
    draft = page.wizard().draft
    draft.provider, draft.base_model = ProviderKind.HF_LOCAL, None
    report = validated(qtbot, page, write_jsonl(chats(5)))
    assert report.ok and page.isComplete() and report.provider == "hf-local"
    assert page.stats.figures["price"].text() == "nothing to pay: training on this computer"
    draft.provider, draft.base_model = ProviderKind.OPENAI, "gpt-4o-mini-2024-07-18"
    page.report = None
    page.initializePage()
    qtbot.waitUntil(lambda: page.report is not None and page.report.provider == "openai", timeout=15000)
    assert page.report.counts == {"too_few_examples": 1} and not page.isComplete()
    assert page.stats.figures["rules"].text().startswith("OpenAI, as chosen: at least 10 examples, at most 65,536")
    draft.base_model = None  # the model page comes after the data page
    page.validate()
    qtbot.waitUntil(lambda: page.report is not None and page.report.model is None, timeout=15000)
    assert page.stats.figures["price"].text() == "once you choose a model (next page)"
    assert page.stats.figures["examples"].text() == "5 read, 5 valid, 0 duplicates, 5 examples without a system message"


def _shown(page, key: str) -> bool:
    return page.stats.form.isRowVisible(page.stats.figures[key])


def test_a_local_run_speaks_its_own_language_and_counts_with_the_models_tokenizer(qtbot, page, write_jsonl,
                                                                                    tiny_model_dir):
    """For training on this computer: no billed tokens, no "what the provider picks", and once a model folder is
    chosen the tokens are counted with its own tokenizer (named), not with OpenAI's o200k_base."""
    draft = page.wizard().draft
    draft.provider, draft.base_model = ProviderKind.HF_LOCAL, None
    path = write_jsonl(chats(12))
    validated(qtbot, page, path)
    figures = page.stats.figures
    assert not _shown(page, "billed") and "provider" not in figures["epochs"].text()
    assert figures["epochs"].text() == "3 for 12 examples (you can change them on the next page)"
    assert figures["counted"].text().startswith("OpenAI's o200k_base tokenizer, an estimate until a model")
    draft.base_model = str(tiny_model_dir)  # back from the model page: the report is counted again
    page.initializePage()
    qtbot.waitUntil(lambda: page.report is not None and page.report.stats.tokenizer == str(tiny_model_dir),
                    timeout=30000)
    assert figures["counted"].text() == f"the model's own tokenizer (from {tiny_model_dir.name})"
    assert "o200k" not in figures["counted"].text() and "o200k" not in figures["tokens"].text()
    assert "1 example" not in page.summary.text() and "(s)" not in page.summary.text()


def test_a_billed_provider_shows_billed_tokens_and_its_own_auto_epochs(qtbot, page, write_jsonl):
    draft = page.wizard().draft
    draft.provider, draft.base_model = ProviderKind.OPENAI, "gpt-4o-mini-2024-07-18"
    validated(qtbot, page, write_jsonl(chats(12)))
    figures = page.stats.figures
    assert _shown(page, "billed") and " × 8 epochs = " in figures["billed"].text()
    assert figures["epochs"].text() == "8 for 12 examples (what OpenAI picks; you can set them on the next page)"
    assert figures["counted"].text() == "OpenAI's o200k_base tokenizer"


def test_the_histogram_keeps_one_set_of_axes_across_revalidations(qtbot, page, write_jsonl):
    """A re-validation once drew a second set of axes over the first: the chart keeps its three axes (one hidden
    category axis, the token scale, the count) and the bars use those."""
    path = write_jsonl(chats(12))
    validated(qtbot, page, path)
    chart = page.stats.chart
    axes = list(chart.axes())
    for _again in range(2):
        page.validate()
        qtbot.waitUntil(lambda: page._task is None and page.report is not None, timeout=15000)
        assert list(chart.axes()) == axes and len(axes) == 3
        [series] = chart.series()
        assert set(series.attachedAxes()) == {page.stats.x_axis, page.stats.y_axis}


def test_findings_wrap_their_text_instead_of_cutting_it(qtbot, page, write_jsonl):
    path = write_jsonl([{"messages": [{"role": "user", "content": "no reply"}]}] + chats(12))
    validated(qtbot, page, path)
    page.wizard().resize(900, 700)
    table = page.table
    row = next(r for r in range(page.findings.rowCount()) if page.findings.finding(r).severity.value == "error")
    fix = page.findings.finding(row).how_to_fix
    column = table.columnWidth(4)
    assert table.fontMetrics().horizontalAdvance(fix) > column  # longer than its column: it must wrap
    qtbot.waitUntil(lambda: table.rowHeight(row) >= 2 * table.fontMetrics().lineSpacing(), timeout=5000)



def test_path_field_losing_focus_as_the_wizard_closes_is_harmless(qtbot, tmp_path):
    """The path field reports "editing finished" when it loses focus, also while the wizard is being closed:
    then the page has no wizard, or only its Qt part without the draft (the Python wizard is gone). Nothing is
    validated then, and nothing raises."""
    alone = DataPage()
    qtbot.addWidget(alone)
    torn_down = QWizard()  # what wizard() gives while the FineTuneWizard is destroyed: no draft
    inside = DataPage()
    torn_down.addPage(inside)
    qtbot.addWidget(torn_down)
    for page in (alone, inside):
        page.path_edit.setText(str(tmp_path / "typed.jsonl"))
        page.path_edit.editingFinished.emit()
        assert page._task is None and page.report is None
