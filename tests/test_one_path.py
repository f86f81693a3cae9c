"""One path from a workspace to figures: the same workspace, with settings that are not the
defaults (MH calls by final call type only, holds and shelter transports counted as
connections, a data end date), gives the same headline figures on the four surfaces —
the app's pages, the command line (`summarize`, `publish`), the meeting pack and the
partner release preview."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from pmhc import cli
from pmhc.analysis.filters import Filters
from pmhc.analysis.release import ALL_CALLS
from pmhc.analysis.released import Released, Selection
from pmhc.application import figures, partners, report
from pmhc.application.actor import OPERATOR
from pmhc.storage import releases, settings
from pmhc.storage.workspace import Workspace
from tests.test_app import APP, TIMEOUT, assert_clean, metrics

YEAR = (date(2024, 1, 1), date(2024, 12, 31))
SETTINGS = {"mh_routes": ["final"], "holds_as_connection": True, "shelter_as_treatment": True}


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    folder = tmp_path_factory.mktemp("one-path")
    settings.save_settings(folder, None, **SETTINGS, data_end="2025-06-20")
    return Workspace(folder)


@pytest.fixture(scope="module")
def pack_2024(ws):
    """The meeting pack of 2024, as `pmhc report --start 2024-01-01 --end 2024-12-31`."""
    return report.meeting_pack(ws, OPERATOR, Filters(*YEAR))


def card(view, label: str):
    return next(f for f in view.figures if f.label == label)


def test_the_settings_change_the_headline_figures(ws, tmp_path):
    ds = figures.read_dataset(ws, None)
    plain = figures.read_dataset(Workspace(tmp_path), None)
    assert len(ds.mh) < len(plain.mh)  # final call type only: fewer MH calls
    values = figures.values(ws, None, True)
    ours = figures.page_view(ds, "overview", values, Filters(*YEAR))
    theirs = figures.page_view(plain, "overview", figures.values(Workspace(tmp_path), None, True))
    assert card(ours, "MH calls").value != card(theirs, "MH calls").value


def test_app_and_pack_show_the_same_key_figures(ws, pack_2024, monkeypatch):
    monkeypatch.setenv("PMHC_DATA_DIR", str(ws.folder))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.date_input(key="period").set_value(YEAR).run()
    assert_clean(at)
    overview = next(s.view for s in pack_2024.sections if s.key == "overview")
    assert metrics(at) == {f.label: f.value for f in overview.figures}
    assert "MH calls" in metrics(at)


def test_command_line_pack_and_release_count_the_same_calls(ws, pack_2024, capsys):
    assert cli.main(["summarize", "--workspace", "--json", "--data-dir", str(ws.folder)]) == 0
    summary = json.loads(capsys.readouterr().out)
    ds = figures.read_dataset(ws, None)
    draft, _ = partners.draft(ws, OPERATOR, ds, figures.sample_id(ws))
    assert cli.main(["publish", "--data-dir", str(ws.folder)]) == 0
    published = releases.load(ws.folder)
    assert published is not None and published.fingerprint() == draft.fingerprint()
    overview = next(s.view for s in pack_2024.sections if s.key == "overview")
    pack_calls = int(card(overview, "MH calls").value.replace(",", ""))
    rel = Released(published)
    assert summary["calls"]["by_year"]["2024"] == pack_calls
    assert rel.count(ALL_CALLS, Selection(), "2024") == pack_calls
    # The connection: the pack's card says "N of M" calls; partners' 2024 count is that N,
    # under the same definition (holds and shelters counted).
    connected = card(overview, "Connected")
    numerator = int(re.match(r"([\d,]+) of", connected.help).group(1).replace(",", ""))
    assert rel.count("connection:yes", Selection(), "2024") == numerator
