"""A signed-in viewer who forges widget values changes nothing on disk.

A raw websocket client speaks Streamlit's own protocol (as bench/sessions.py does), signs
in with the viewer's passphrase, and on every page sends values for every editor and
button an analyst is shown there and every control the viewer is shown (disabled or not):
edited and added rows for the data editors (Data's unmatched values and rule tables,
Review's actions, targets and milestones), clicks on "Add rules", "Save these rules",
"Save actions", "Log the meeting", publish and rename, the definitions, the self-assessment
answers and the programme start. The workspace's files are the same afterwards, and the
audit log holds nothing but the two sign-ins: the use cases refused whatever got past the
page.

Twice: on an empty workspace (the sample), and on one holding an agency dataset (loaded
with `pmhc load --agency`) that both users have chosen, with a programme start, targets,
milestones, actions, a logged meeting and an answer, so the editors shown only with data
(unmatched values, the dataset's versions, rename and delete, the action tracker, the
meeting log) are forged too."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pmhc import cli
from pmhc.application import actor as actors
from pmhc.application import datasets, review, settings
from pmhc.domain import access
from pmhc.storage import audit
from pmhc.storage.workspace import Workspace
from tests import partner_exports as exports
from tests.browsing import running_app
from tests.databases import workspace_state

websockets = pytest.importorskip("websockets")
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

PHRASES = {"viewer": "river delta viewer 42", "analyst": "harbour lights analyst 7"}
RUN_SECONDS = 240  # one script run, on a machine shared with other test workers
# The viewer's own controls, which change only their session (or, for the dataset choice,
# what they are allowed to change): not forged. Downloads build files, they change nothing.
LEGIT = ("pick-dataset", "period", "meeting_mode", "partner_preview", "sign-out", "leave_")
LEGIT += ("control_outcome", "split_choice", "compare_mode", "cmp_", "district", "p_control")
DOWNLOADS = ("pack.", "dl-", "export-", "rej-")
EDITORS = ("assign-", "rules-", "actions", "targets", "milestones", "map-")
ADDED_ROWS = {
    "actions": {"recommendation": "Forged action", "status": "Done", "shared": True},
    "milestones": {"date": "2024-01-01", "label": "Forged milestone"},
}


class Widget:
    def __init__(self, kind: str, proto):
        self.kind, self.proto, self.id = kind, proto, proto.id

    @property
    def key(self) -> str:
        return self.id.split("-", 2)[2] if self.id.startswith("$$ID-") else ""


def widgets_of(msg: ForwardMsg, found: dict[str, Widget], alerts: list[str]) -> None:
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return
    proto = getattr(element, kind)
    if kind == "alert":
        alerts.append(proto.body)
    if kind == "exception":
        alerts.append(f"exception: {proto.message}")
    if getattr(proto, "id", ""):
        found[proto.id] = Widget(kind, proto)


async def run(ws, page: str = "", states=None) -> tuple[dict[str, Widget], list[str], list]:
    """One script run (and the reruns it asks for): its widgets, alerts and pages."""
    back = BackMsg()
    back.rerun_script.page_script_hash = page
    back.rerun_script.context_info.timezone = "UTC"
    if states is not None:
        back.rerun_script.widget_states.widgets.extend(states)
    await ws.send(back.SerializeToString())
    found: dict[str, Widget] = {}
    alerts: list[str] = []
    pages: list = []
    async with asyncio.timeout(RUN_SECONDS):
        async for payload in ws:
            msg = ForwardMsg.FromString(payload)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                widgets_of(msg, found, alerts)
            elif kind == "navigation":
                pages = [(p.url_pathname, p.page_script_hash) for p in msg.navigation.app_pages]
            elif kind == "new_session":
                found, alerts = {}, []  # a rerun the script asked for starts the page again
            elif kind == "script_finished":
                name = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if name != "FINISHED_EARLY_FOR_RERUN":
                    return found, alerts, pages
    raise AssertionError("the script run did not finish")


def state(widget: Widget, value):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    out = WidgetState(id=widget.id)
    kind, proto = widget.kind, widget.proto
    if kind == "button":
        out.trigger_value = True
    elif kind == "checkbox":
        out.bool_value = not proto.default
    elif kind in ("text_input", "text_area"):
        out.string_value = value
    elif kind == "selectbox":
        options = list(proto.options)
        if not options:
            return None
        out.string_value = options[-1]
    elif kind == "multiselect":
        out.string_array_value.data.extend(list(proto.options)[:1])
    elif kind == "date_input":
        out.string_array_value.data.extend(["2024-03-01"])
    elif kind == "number_input":
        out.double_value = 7.0
    elif kind in ("arrow_data_frame", "dataframe") and widget.key.startswith(EDITORS):
        out.string_value = json.dumps(edits(widget.key))
    else:
        return None
    return out


def edits(key: str) -> dict:
    """A data editor's forged change: an assignment, a row added, a cell changed."""
    if key.startswith("assign-"):
        return {"edited_rows": {"0": {"assign": "include"}}, "added_rows": [], "deleted_rows": []}
    if key in ADDED_ROWS:
        return {"edited_rows": {}, "added_rows": [ADDED_ROWS[key]], "deleted_rows": []}
    if key == "targets":
        return {"edited_rows": {"0": {"target %": 50}}, "added_rows": [], "deleted_rows": []}
    return {"edited_rows": {}, "added_rows": [], "deleted_rows": [0]}


def forged(widgets: dict[str, Widget]) -> list:
    out = []
    for widget in widgets.values():
        key = widget.key
        if key.startswith(LEGIT) or key.startswith(DOWNLOADS) or widget.kind == "file_uploader":
            continue
        made = state(widget, "Forged by a viewer")
        if made is not None:
            out.append(made)
    return out


async def signed_in(url: str, role: str):
    """A websocket session signed in with the role's passphrase."""
    ws = await websockets.connect(
        url.replace("http", "ws", 1) + "/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
    )
    first, _, _ = await run(ws)
    phrase = next(w for w in first.values() if w.kind == "text_input")
    submit = next(w for w in first.values() if w.kind == "button")
    states = [state(phrase, PHRASES[role]), state(submit, None)]
    _, alerts, pages = await run(ws, "", states)
    assert not [a for a in alerts if "not right" in a], alerts
    assert pages, "the passphrase did not let the session in"
    return ws, pages


async def page_widgets(ws, pages) -> dict[str, dict[str, Widget]]:
    out = {}
    for _, page_hash in pages:
        widgets, alerts, _ = await run(ws, page_hash)
        assert not [a for a in alerts if a.startswith("exception") or "went wrong" in a], alerts
        out[page_hash] = widgets
    return out


def snapshot(folder: Path) -> dict[str, str]:
    """Files and database rows, the audit log aside (the test reads it at the end)."""
    state = workspace_state(folder)
    state.pop("db:audit", None)
    return {k: v for k, v in state.items() if "logs" not in Path(k).parts}


async def forge(url: str, folder: Path) -> tuple[list[str], set[str]]:
    """The alerts the viewer's forged runs drew, and the keys of the widgets forged."""
    analyst, pages = await signed_in(url, "analyst")
    async with analyst:
        shown = await page_widgets(analyst, pages)
    viewer, viewer_pages = await signed_in(url, "viewer")
    async with viewer:
        assert {h for _, h in viewer_pages} <= {h for _, h in pages}
        own = await page_widgets(viewer, viewer_pages)
        before = snapshot(folder)
        seen, keys = [], set()
        for _, page_hash in viewer_pages:
            widgets = {**shown.get(page_hash, {}), **own[page_hash]}
            states = forged(widgets)
            keys |= {widgets[s.id].key or widgets[s.id].kind for s in states}
            _, alerts, _ = await run(viewer, page_hash, states)
            seen += alerts
        assert snapshot(folder) == before
    return seen, keys


SETUP = actors.OPERATOR  # the person at the terminal, who furnishes the workspace


def furnished(folder: Path) -> str:
    """An agency dataset loaded as `pmhc load --agency` does, chosen by both users, with
    settings, actions, a meeting and an answer; the dataset's id."""
    export = folder.parent / "calls_export.csv"
    export.write_bytes(exports.csv_bytes(exports.base_export()))
    assert cli.main(["load", str(export), "--data-dir", str(folder), "--agency"]) == 0
    ws = Workspace(folder)
    ds_id = datasets.last_choice(ws, SETUP)
    settings.set_programme_start(ws, SETUP, ds_id, date(2024, 7, 1))
    settings.set_targets(ws, SETUP, ds_id, {"connection": 0.5})
    milestone = pd.DataFrame({"date": [date(2024, 9, 1)], "label": ["Mobile crisis launched"]})
    assert settings.set_milestones(ws, SETUP, ds_id, milestone) == []
    action = {"recommendation": "Add CIT", "owner": "Lt", "due": None, "status": "Not started"}
    review.save_actions(ws, SETUP, ds_id, pd.DataFrame([action]))
    assert review.add_meeting(ws, SETUP, ds_id, date(2025, 1, 5), ["Dispatch"], "Keep it", []) == []
    review.save_answer(ws, SETUP, "6.1", "Yes", "Board meets monthly")
    for role in PHRASES:  # what each sees on signing in: the agency's dataset
        datasets.choose_dataset(ws, actors.user(f"passphrase:{role}", role), ds_id)
    return ds_id


# Editors only a workspace with data shows, each of which must have been forged there.
WITH_DATA = {"actions", "targets", "milestones", "assign-mh_terms", "rules-mh_terms"}
WITH_DATA |= {"assign-save-mh_terms", "rename-dataset", "answer-6.1", "note-6.1"}


@pytest.mark.slow
@pytest.mark.parametrize("workspace", ["empty", "agency dataset"])
def test_a_viewers_forged_widget_values_change_nothing(tmp_path, workspace):
    folder = tmp_path / "ws"
    folder.mkdir()
    if workspace == "agency dataset":
        furnished(folder)
    setup = audit.read(folder)
    hashes = {role: access.hash_passphrase(phrase) for role, phrase in PHRASES.items()}
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[pmhc.passphrases]\n" + "".join(f'{r} = "{h}"\n' for r, h in hashes.items())
    )
    # The client runs in a thread of its own: a browser test earlier in this worker may
    # have left Playwright's event loop running in this one, where asyncio.run() refuses.
    with (
        running_app(folder, args=("--secrets.files", str(secrets))) as url,
        ThreadPoolExecutor(1) as thread,
    ):
        alerts, keys = thread.submit(asyncio.run, forge(url, folder)).result()
    assert not [a for a in alerts if a.startswith("exception") or "went wrong" in a], alerts
    if workspace == "agency dataset":
        assert keys >= WITH_DATA, sorted(keys)
    entries = audit.read(folder)
    assert entries[: len(setup)] == setup
    assert [(e["who"], e["action"]) for e in entries[len(setup) :]] == [
        ("passphrase:analyst", "sign-in"),
        ("passphrase:viewer", "sign-in"),
    ]
