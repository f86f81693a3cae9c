"""People's words on every page: what a reader sees — titles, text, captions, cards,
alerts, every table's column names and cells, every chart's titles and category labels —
has no raw field name (`incident_id`), no unformatted float (`0.4362`, `45.9`), no
midnight timestamp (`2022-03-04 00:00:00`) and no icon name (`keyboard_arrow_right`).

Pages are opened with AppTest on the sample, internal and in the partner view. A table's
cells are read with the column configuration Streamlit sends beside them: a float column
given a number format (percent, whole number) is written as people read it."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from tests.test_app import PAGES, assert_clean, charts, open_app

# A file's own name (riverside_calls_2025.xlsx) is the user's word, not a field name.
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b(?!\.[a-z])")
LONG_FLOAT = re.compile(r"(?<![\d.,])\d+\.\d{3,}(?![\d%])")
MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00:00")
ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # a machine's time stamp
ICON_MARKUP = re.compile(r":material/[a-z0-9_]+:")  # drawn as an icon, never as text
PARTNER_PAGES = [p for p in PAGES if p != "data"]


def offences_in_text(where: str, text: str) -> list[str]:
    text = ICON_MARKUP.sub("", str(text))
    found = []
    for pattern, kind in ((SNAKE, "field name"), (LONG_FLOAT, "bare float")):
        found += [
            f"{where}: {kind} {m.group(0)!r} in {text[:80]!r}" for m in pattern.finditer(text)
        ]
    found += [f"{where}: midnight timestamp in {text[:80]!r}" for _ in MIDNIGHT.finditer(text)]
    found += [f"{where}: ISO time stamp in {text[:80]!r}" for _ in ISO_STAMP.finditer(text)]
    return found


def elements(node):
    """Every element of the rendered tree, depth first."""
    if getattr(node, "type", None) not in (None, "block", "root"):
        yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from elements(child)


TEXT_TYPES = {"title", "header", "subheader", "markdown", "caption", "alert", "toast"}
ALERTS = {"error", "warning", "info", "success"}


def page_text(at) -> list[tuple[str, str]]:
    out = []
    for e in elements(at._tree):
        if e.type in TEXT_TYPES or e.type in ALERTS:
            out.append((e.type, e.value))
        elif e.type == "metric":
            out += [("metric label", e.label), ("metric value", e.value)]
            if e.proto.delta:
                out.append(("metric delta", e.proto.delta))
        elif e.type in ("expander", "tab"):
            out.append((e.type, getattr(e, "label", "")))
        elif hasattr(e, "label") and e.type not in ("dataframe",):
            out.append((f"{e.type} label", e.label))
    return out


def formatted(config: dict) -> bool:
    """A column configured with a number or date format, or hidden."""
    if config.get("hidden"):
        return True
    type_config = config.get("type_config") or {}
    return bool(type_config.get("format"))


def table_offences(where: str, frame: pd.DataFrame, columns: dict) -> list[str]:
    found = []
    for name in frame.columns:
        config = columns.get(str(name)) or {}
        if config.get("hidden"):
            continue
        found += offences_in_text(f"{where} column", config.get("label") or str(name))
        values = frame[name].dropna()
        options = (config.get("type_config") or {}).get("options") or []
        shown_as = {o["value"]: o.get("label") for o in options if isinstance(o, dict)}
        values = values.replace(shown_as) if shown_as else values
        if values.empty or formatted(config):
            continue
        if pd.api.types.is_float_dtype(values) and not (values == values.round()).all():
            found.append(f"{where}: bare float in {name!r}: {values.iloc[0]!r}")
        elif (
            pd.api.types.is_datetime64_any_dtype(values) and (values == values.dt.normalize()).all()
        ):
            found.append(f"{where}: midnight timestamps in {name!r}")
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            for v in values.astype(str).unique()[:200]:
                found += offences_in_text(f"{where} cell of {name!r}", v)
    return found


def tables(at) -> list[str]:
    found = []
    for e in elements(at._tree):
        if e.type not in ("dataframe", "arrow_data_frame"):
            continue
        columns = json.loads(e.proto.columns or "{}")
        found += table_offences("table", e.value, columns)
    return found


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, dict) and "expr" in node:  # a wrapped title: its JSON literals
        yield from (s for s in re.findall(r'"((?:[^"\\]|\\.)*)"', node["expr"]))
    elif isinstance(node, dict):
        yield from strings(node.get("text", ""))


def chart_titles(spec) -> list[str]:
    """Every title in a Vega-Lite spec: chart, axes, legends, tooltips."""
    out = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("title", "subtitle"):
                out += list(strings(value))
            elif key != "datasets":
                out += chart_titles(value)
    elif isinstance(spec, list):
        for item in spec:
            out += chart_titles(item)
    return out


def category_fields(spec) -> set[str]:
    """Fields drawn as words: nominal and ordinal encodings (axis and legend labels)."""
    out = set()
    if isinstance(spec, dict):
        field, kind = spec.get("field"), spec.get("type")
        if isinstance(field, str) and kind in ("nominal", "ordinal"):
            out.add(field)
        for key, value in spec.items():
            if key != "datasets":
                out |= category_fields(value)
    elif isinstance(spec, list):
        for item in spec:
            out |= category_fields(item)
    return out


def chart_offences(at) -> list[str]:
    found = []
    for spec, alt_text, data in charts(at):
        name = next(iter(chart_titles(spec.get("title", ""))), "chart")[:40]
        for text in chart_titles(spec):
            found += offences_in_text(f"chart {name!r} title", text)
        found += offences_in_text(f"chart {name!r} description", alt_text)
        fields = category_fields(spec)
        for table in data:
            frame = table.to_pandas()
            for field in fields & set(frame.columns):
                for v in frame[field].dropna().astype(str).unique()[:200]:
                    found += offences_in_text(f"chart {name!r} label", v)
    return found


def every_offence(at) -> list[str]:
    found = [o for kind, text in page_text(at) for o in offences_in_text(kind, text)]
    return found + tables(at) + chart_offences(at)


def test_the_scan_finds_each_kind_of_raw_output():
    frame = pd.DataFrame(
        {
            "share_of_connected": [0.4362],
            "last_cit_training": [pd.Timestamp("2022-03-04")],
            "Field": ["transport_destination"],
        }
    )
    found = table_offences("t", frame, {})
    assert len(found) == 5, found  # two column names, a float, midnight dates, a field
    assert offences_in_text("x", "Icon keyboard_arrow_right, 45.9123 months") == [
        "x: field name 'keyboard_arrow_right' in 'Icon keyboard_arrow_right, 45.9123 months'",
        "x: bare float '45.9123' in 'Icon keyboard_arrow_right, 45.9123 months'",
    ]
    # Formatted: a percent column, a whole number, a date column, a share as words.
    config = {"share_of_connected": {"label": "Connected", "type_config": {"format": "percent"}}}
    assert table_offences("t", frame[["share_of_connected"]], config) == []
    assert offences_in_text("x", "44% of 1,234 calls; :material/science: Sample data") == []


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("ws-words")


@pytest.mark.parametrize("page", PAGES)
def test_internal_pages_are_in_peoples_words(monkeypatch, workspace, page):
    at = open_app(monkeypatch, workspace, page)
    found = every_offence(at)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("page", PARTNER_PAGES)
def test_partner_pages_are_in_peoples_words(monkeypatch, workspace, page):
    at = open_app(monkeypatch, workspace)
    at.toggle(key="partner_preview").set_value(True).run()
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py").run()
    assert_clean(at)
    assert at.get("vega_lite_chart") or at.metric  # the page drew figures
    found = every_offence(at)
    assert found == [], "\n".join(found)


def table_with(at, column: str):
    """(frame, column config) of the first table with `column`."""
    for e in elements(at._tree):
        if e.type in ("dataframe", "arrow_data_frame") and column in e.value.columns:
            return e.value, json.loads(e.proto.columns or "{}")
    raise AssertionError(f"no table with {column!r}")


def test_refresher_table_reads_dates_and_whole_months(monkeypatch, workspace):
    """The sample's officers overdue for CIT refresher: the last course a date (no
    00:00:00), months since it whole (45.9 read as 46), headings in words."""
    at = open_app(monkeypatch, workspace, "training")
    frame, config = table_with(at, "months_since")
    assert config["last_cit_training"]["label"] == "Last CIT training"
    assert config["last_cit_training"]["type_config"]["format"] == "D MMM YYYY"
    assert config["months_since"]["label"] == "Months since"
    months = frame["months_since"].dropna()
    assert len(months) and (months == months.round()).all()
    assert months.max() >= 24  # overdue: two years and more


def test_headings_and_formats_of_a_table():
    from pmhc.present import labels

    frame = pd.DataFrame(
        {
            "share_of_connected": [0.4362, 0.21],
            "months_since": [45.9, 24.2],
            "overdue": [True, False],
            "hours_per_officer": [7.2254, 1.5],
            "month": pd.to_datetime(["2026-03-01", "2026-04-01"]),
        }
    )
    assert labels.column_formats(frame) == {
        "share_of_connected": ("Share of connected", "percent"),
        "months_since": ("Months since", "whole"),
        "overdue": ("Overdue", None),
        "hours_per_officer": ("Hours per officer", "decimal"),
        "month": ("Month", "month"),
    }
    shown = labels.readable(frame)
    assert shown["months_since"].tolist() == [46, 24]
    # A share above 1 is not a share: a count of hours stays a number with one decimal.
    assert labels.column_format("share", pd.Series([1.5, 0.2])) == "decimal"


def test_review_table_reads_counts_whole_and_no_figure_as_a_dash(monkeypatch, workspace):
    """The sample's before/after table on the Review page: 12,503 calls before the start
    (a thousands separator), and the change for the non-police responder, which no call had
    before or after, a dash rather than Streamlit's grey "None"."""
    at = open_app(monkeypatch, workspace, "review")
    frame, config = table_with(at, "change_points")
    assert frame["before_calls"].iloc[0] == 12503
    assert config["before_calls"]["type_config"]["format"] == "localized"
    none = frame[frame["change_points"].isna()]
    assert len(none) == 1 and none["after"].iloc[0] == 0
    (table,) = [
        e
        for e in elements(at._tree)
        if e.type in ("dataframe", "arrow_data_frame") and "change_points" in e.value.columns
    ]
    assert table.proto.placeholder == "–"
    from pmhc.present import labels

    # A year is a name, not a count: never 2,024.
    assert labels.column_format("year", pd.Series([2024, 2025])) is None
    assert labels.column_format("calls", pd.Series([999, 1000])) == "count"
    assert labels.column_format("row", pd.Series([1234])) is None  # the sheet's row 1234


def test_admin_page_is_in_peoples_words(monkeypatch, tmp_path):
    """The audit log and the partner links: times as '3 Dec 2026, 10:42' (no ISO stamp),
    details as words (no JSON keys), statuses and dates in words."""
    from pmhc.application import partners
    from pmhc.application.actor import Actor
    from pmhc.application.guard import audit
    from pmhc.storage.workspace import Workspace

    folder = tmp_path / "ws-admin"
    monkeypatch.setenv("PMHC_DATA_DIR", str(folder))
    ws, admin = Workspace(folder), Actor("admin@example.org", "admin")
    partners.create_link(ws, admin, "County crisis line", 30)
    before = {"date": "2026-11-02", "decisions": "Review the arrests"}
    after = {"date": "2026-11-03", "decisions": "Review the arrests"}
    audit(ws, admin, "meeting-edit", before=before, after=after, dataset_id="ab12")
    at = open_app(monkeypatch, folder, "admin")
    log, _ = table_with(at, "When (UTC)")
    assert len(log) >= 2
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", log["When (UTC)"].iloc[0])
    edit = log[log["What"] == "Corrected a review meeting"]["Details"].iloc[0]
    assert "Dataset ID ab12" in edit and "After (Date 3 Nov 2026" in edit, edit
    found = every_offence(at)
    assert found == [], "\n".join(found)
