"""The Data page's error box: a file the readers cannot use (a reader panic, a zip bomb, a
sheet that only looks like a services list) gives one sentence on the page, no traceback."""

from __future__ import annotations

import re

from corpus import cases
from test_app import open_app

CASES = {c.name: c for c in cases()}


def test_an_unusable_upload_is_one_sentence_in_an_error_box(monkeypatch, tmp_path):
    """One session uploads each file in turn (opening the app is most of the cost): each
    upload's box holds its own sentence, and the page keeps working after every one."""
    at = open_app(monkeypatch, tmp_path / "ws", "data")
    for name in ["formula.xls", "far.xlsx", "protected.xlsx", "note.xls"]:
        case = CASES[name]
        data = case.build()
        at.file_uploader(key="uploads").set_value([(name, data, "application/octet-stream")])
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])
        expected = case.error(data) if callable(case.error) else case.error
        # file names in the sentence are escaped for Markdown: compare the text as shown
        assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [expected], name


def test_a_sheet_refused_as_services_says_why(monkeypatch, tmp_path):
    case = CASES["timesheet.xlsx"]
    at = open_app(monkeypatch, tmp_path / "ws", "data")
    at.file_uploader(key="uploads").set_value(
        [("timesheet.xlsx", case.build(), "application/octet-stream")]
    )
    at.run()
    assert not at.exception and not at.error
    loaded = at.dataframe[0].value
    assert loaded[["sheet", "kind"]].values.tolist() == [["Timesheet", "not loaded"]]
    # A sheet's note comes from the upload, so the page shows it as plain text.
    notes = "\n".join(m.value for m in [*at.markdown, *at.text])
    assert "known service categories" in notes
