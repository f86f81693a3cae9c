"""The app's caches (page views, chart specs, rules) are shared by every session of a server
process, so their keys must name everything a figure depends on: two datasets, two filters
or two rule versions never get each other's figures, and a dataset replaced under the same
name shows its own. Each chart sent is the spec and data `st.altair_chart` would send, and
its table the bytes `st.dataframe` would make."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.elements import vega_charts
from streamlit.testing.v1 import AppTest

from pmhc.domain import rules
from pmhc.present import labels, views
from pmhc.storage import datasets as store
from pmhc.storage import uploads
from pmhc.storage.workspace import Workspace
from pmhc.ui import components as ui

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


def export(north: int, south: int, arrest_every: int) -> bytes:
    """`north` + `south` PERSON IN CRISIS calls in 2025, every `arrest_every`th an arrest."""
    rows = ["Incident No,Call Date,Call Time,Call Type,District,Disposition"]
    for i in range(north + south):
        district = "North" if i < north else "South"
        outcome = "Subject Arrested" if i % arrest_every == 0 else "Transported to ED"
        rows.append(
            f"INC-{i:04d},2025-{1 + i % 12:02d}-{1 + i % 28:02d},10:{i % 60:02d},"
            f"PERSON IN CRISIS,{district},{outcome}"
        )
    return ("\n".join(rows) + "\n").encode()


def save(ws: Workspace, name: str, data: bytes) -> str:
    _, ds_id = uploads.save_uploads(ws, [(name, data)], {})
    store.rename(ws.datasets_dir, ds_id, name)
    return ds_id


def figures(monkeypatch, ws: Workspace, ds_id: str, district: str | None = None) -> dict:
    """The Overview's key figures in a new session showing `ds_id`, filtered by district."""
    monkeypatch.setenv("PMHC_DATA_DIR", str(ws.folder))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["dataset_id"] = ds_id
    if district:
        at.query_params["district"] = district
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


def test_two_datasets_and_two_filters_get_their_own_figures(monkeypatch, ws):
    a = save(ws, "a.csv", export(120, 80, arrest_every=4))  # 200 calls, 50 arrests
    b = save(ws, "b.csv", export(200, 100, arrest_every=3))  # 300 calls, 100 arrests
    first_a = figures(monkeypatch, ws, a)
    assert (first_a["MH calls"], first_a["Arrested"]) == ("200", "25.0%")
    first_b = figures(monkeypatch, ws, b)
    assert (first_b["MH calls"], first_b["Arrested"]) == ("300", "33.3%")
    assert figures(monkeypatch, ws, a) == first_a  # b's views did not replace a's
    # Same dataset, two districts: b's North is calls 0..199 (67 arrests), South 200..299
    # (33 arrests: 201, 204, ..., 297).
    north, south = figures(monkeypatch, ws, b, "North"), figures(monkeypatch, ws, b, "South")
    assert (north["MH calls"], north["Arrested"]) == ("200", "33.5%")
    assert (south["MH calls"], south["Arrested"]) == ("100", "33.0%")
    assert figures(monkeypatch, ws, b) == first_b  # unfiltered again


def test_a_dataset_replaced_under_the_same_name_shows_the_new_figures(monkeypatch, ws):
    old = save(ws, "calls.csv", export(100, 0, arrest_every=2))
    assert figures(monkeypatch, ws, old)["MH calls"] == "100"
    store.delete(ws.datasets_dir, old)
    new = save(ws, "calls.csv", export(250, 0, arrest_every=5))
    assert store.name_of(ws.datasets_dir, new) == "calls.csv"
    shown = figures(monkeypatch, ws, new)
    assert (shown["MH calls"], shown["Arrested"]) == ("250", "20.0%")
    # A session still holding the deleted dataset falls back to the sample, never to
    # the old figures.
    assert figures(monkeypatch, ws, old)["MH calls"] not in ("100", "250")


def test_edited_rules_are_read_again(monkeypatch, ws):
    monkeypatch.setenv("PMHC_DATA_DIR", str(ws.folder))
    before = ui.rules()
    assert "WELFARE CHECK" not in set(before.mh_terms["term"].str.upper())
    table = pd.concat(
        [before.mh_terms, pd.DataFrame([{"term": "welfare check", "kind": "include"}])]
    )
    rules.save_rule_table(ws.rules_dir, "mh_terms", table)
    after = ui.rules()
    assert "WELFARE CHECK" in set(after.mh_terms["term"].str.upper())
    assert ui.rules() is after  # read once per version of the files


def test_charts_are_sent_as_streamlit_would_send_them(ws):
    sent = []
    for name, data in (("a.csv", export(12, 8, 4)), ("b.csv", export(20, 10, 3))):
        ds = uploads.save_uploads(ws, [(name, data)], {})[0]
        [fig, *_] = [f for f in views.overview(views.Scope(ds)).charts if not f.empty]
        spec, datasets = ui.vega_lite(fig)
        assert ui.vega_lite(fig) is fig.vega_lite  # made once, kept with the cached figure
        theirs = vega_charts._convert_altair_to_vega_lite_spec(fig.chart)
        their_data = theirs.pop("datasets")
        assert sorted(their_data.values()) == sorted(datasets.values())  # same Arrow bytes
        # The same spec once the data's names (content hashes, made two ways) are aligned.
        text = json.dumps(theirs, sort_keys=True)
        for their_name, raw in their_data.items():
            text = text.replace(their_name, next(k for k, v in datasets.items() if v == raw))
        assert json.loads(text) == json.loads(spec)
        # The numbers behind the chart: the bytes st.dataframe would make from the frame in
        # words, made once while the figure's frame lives.
        table, config = ui._drawn(fig.data, None)
        assert ui._drawn(fig.data, None)[0] is table
        raw = dataframe_util.convert_arrow_table_to_arrow_bytes(table)
        assert raw == dataframe_util.convert_pandas_df_to_arrow_bytes(labels.readable(fig.data))
        assert config == ui.column_config(fig.data)
        sent.append(datasets)
    assert sent[0] != sent[1]  # each dataset's own numbers


def test_a_table_drawn_once_is_forgotten_with_its_frame():
    frame = pd.DataFrame({"district": ["north", "south"], "calls": [12503, 7]})
    key = (id(frame), ("drawn", 1, (2, 2), ("district", "calls")))
    table, _ = ui._drawn(frame, 1)
    assert table.num_rows == 1 and key in ui._KEPT
    assert ui._drawn(frame, 1)[0] is table  # the second run draws what the first made
    del frame, table
    gc.collect()
    assert key not in ui._KEPT  # a new frame at the same address is drawn afresh
