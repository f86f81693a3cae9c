"""The action tracker's history, date checks and draft kept across pages, and the log of
review meetings."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pytest

from pmhc.present import excel
from pmhc.storage import review_log
from tests.test_app import open_app

pytestmark = pytest.mark.usefixtures("database")
TODAY = date(2026, 3, 1)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "recommendation", "owner", "due", "status"])


def test_every_change_is_kept_in_the_history(tmp_path):
    first = frame(
        [(None, "Night mobile crisis shift", "CIT coordinator", date(2026, 6, 30), "Not started")]
    )
    added = review_log.save_actions(tmp_path, first, by="lee")
    assert [e["change"] for e in added] == ["added"]
    saved = review_log.load_actions(tmp_path)
    key = saved["id"].iloc[0]

    saved.loc[0, "status"] = "In progress"
    saved.loc[0, "due"] = date(2026, 9, 30)
    changed = review_log.save_actions(tmp_path, saved, by="kim")
    assert {(e["change"], e["from"], e["to"]) for e in changed} == {
        ("status", "Not started", "In progress"),
        ("due", "2026-06-30", "2026-09-30"),
    }
    assert all(e["action"] == key and e["by"] == "kim" for e in changed)

    removed = review_log.save_actions(tmp_path, saved.iloc[0:0])
    assert [e["change"] for e in removed] == ["removed"]
    history = review_log.history(tmp_path)
    assert list(history["change"]) == ["added", "due", "status", "removed"]
    assert review_log.save_actions(tmp_path, saved.iloc[0:0]) == []  # nothing changed


def test_rows_saved_before_ids_keep_the_same_id_on_every_load(tmp_path):
    # The sample's actions as an earlier version kept them, imported on the first open
    records = tmp_path / "settings" / "sample"
    records.mkdir(parents=True)
    (records / "actions.json").write_text(
        json.dumps([{"recommendation": "Old row", "owner": None, "due": None, "status": None}])
    )
    a, b = review_log.load_actions(records), review_log.load_actions(records)
    assert list(a["id"]) == list(b["id"]) == ["row1"]
    assert review_log.same_actions(a, b)


def test_dates_and_rows_are_checked_before_saving():
    bad = frame(
        [
            ("a", "Train dispatchers", "Ops", date(1926, 3, 1), "In progress"),
            ("b", None, "Sgt Lee", date(2026, 5, 1), "Not started"),
            ("c", "Review policy", None, date(2099, 1, 1), None),
            ("d", "Fine", None, date(2026, 12, 1), "Done"),
        ]
    )
    assert review_log.check_actions(bad, TODAY) == [
        "Action 1 is due on 01 Mar 1926; a due date between 2000 and 2036 was expected "
        "(a typing slip?).",
        "Action 2 has no recommendation: write one or delete the row.",
        "Action 3 is due on 01 Jan 2099; a due date between 2000 and 2036 was expected "
        "(a typing slip?).",
    ]


def test_a_meeting_is_logged_with_roles_decisions_and_linked_actions(tmp_path):
    review_log.save_actions(tmp_path, frame([(None, "Night shift CIT", "Ops", None, None)]))
    actions = review_log.load_actions(tmp_path)
    assert review_log.add_meeting(tmp_path, date(2026, 1, 15), [], " ", []) == [
        "Name at least one role that attended.",
        "Write the decisions taken (one line each).",
    ]
    assert review_log.load_meetings(tmp_path) == []
    ok = review_log.add_meeting(
        tmp_path,
        date(2026, 1, 15),
        ["CIT coordinator", "Mental-health partner"],
        "Fund a night shift",
        [actions["id"].iloc[0]],
    )
    assert ok == []
    log = review_log.meetings_frame(tmp_path, actions)
    assert log.to_dict("records") == [
        {
            "date": "2026-01-15",
            "attended": "CIT coordinator, Mental-health partner",
            "decisions": "Fund a night shift",
            "linked actions": "Night shift CIT",
        }
    ]


def test_unsaved_actions_survive_leaving_the_page(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path, "review")
    assert at.session_state["actions"]["added_rows"] == []  # the tracker, empty
    # An edit as the browser sends it: one added row.
    added = [{"recommendation": "Draft action"}]
    at.session_state["actions"] = {"edited_rows": {}, "added_rows": added, "deleted_rows": []}
    at.run()
    assert any("Unsaved changes to the actions" in w.value for w in at.warning)
    at.switch_page("app_pages/overview.py").run()
    at.switch_page("app_pages/review.py").run()
    assert any("Unsaved changes to the actions" in w.value for w in at.warning)
    assert "Draft action" in at.session_state["actions_base"]["recommendation"].tolist()
    # nothing saved behind the user's back
    assert review_log.load_actions(tmp_path / "settings" / "sample").empty


def test_export_holds_actions_history_and_meetings(tmp_path):
    review_log.save_actions(tmp_path, frame([(None, "=cmd|' /C calc'!A0", "Ops", None, None)]))
    review_log.add_meeting(tmp_path, date(2026, 1, 15), ["Dispatch"], "Agreed", [])
    data = excel.actions_workbook(
        review_log.load_actions(tmp_path),
        review_log.history(tmp_path),
        review_log.meetings_frame(tmp_path, review_log.load_actions(tmp_path)),
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Actions", "History", "Review meetings"]
    cells = [c for row in wb["Actions"].iter_rows(values_only=True) for c in row if c]
    assert "'=cmd|' /C calc'!A0" in cells  # text, never a formula
    assert "id" not in cells
    history = [c for row in wb["History"].iter_rows(values_only=True) for c in row if c]
    assert "added" in history
