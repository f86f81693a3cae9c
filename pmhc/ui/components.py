"""Streamlit components shared by the pages: the current dataset, the sidebar filters,
cached page views, and how key figures, charts and checklists are drawn.

This is the only module of the package that imports Streamlit; everything it shows is
computed elsewhere (`views`, `metrics`, `summary`)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from altair.utils import schemapi
from streamlit import dataframe_util

from pmhc.analysis import filters
from pmhc.application import datasets, figures, report, review
from pmhc.application import settings as setting
from pmhc.application.actor import Actor
from pmhc.application.guard import allowed
from pmhc.domain import checklist
from pmhc.domain.errors import InputError
from pmhc.domain.rules import Rules
from pmhc.domain.untrusted import escape_markdown
from pmhc.present import excel as reports
from pmhc.present import labels, views
from pmhc.present.charts import Figure
from pmhc.present.guidance import PAGE_BY_KEY
from pmhc.storage import dataset, files, uploads
from pmhc.storage.workspace import Workspace
from pmhc.ui import auth

# The page icon is a file served by the app itself: an emoji or Material icon as favicon
# would be drawn from a font or image fetched from another host.
ICON = str(Path(__file__).with_name("static") / "icon.png")


def workspace() -> Workspace:
    return Workspace.default()


def private_workspace() -> None:
    """Files this server writes are its own (0600, folders 0700), whatever the umask."""
    files.restrict_new_files()
    files.private_dir(workspace().folder)


def actor() -> Actor:
    """Who acts in this session, as the sign-in gate verified them."""
    return auth.actor()


def audience() -> str:
    """Partner when the server says so (a hosted link), else the user's preview toggle."""
    if locked_partner() or st.session_state.get("partner_preview"):
        return "partner"
    return "internal"


def locked_partner() -> bool:
    """A partner link, or a server started for partners only (PMHC_AUDIENCE=partner)."""
    return auth.visitor().partner or os.environ.get("PMHC_AUDIENCE", "").lower() == "partner"


def can(ability: str) -> bool:
    """Whether to draw a control at all (tidiness only: the use case is the check)."""
    return allowed(actor(), ability) and not locked_partner()


def record(action: str, **details) -> None:
    """An audit log entry for what this visitor just saw (an error shown)."""
    report.record_event(workspace(), actor(), action, **details)


FAILED = object()  # what `attempt` returns when the use case refused or failed


def attempt(use_case, *args, **kwargs):
    """Run a use case as this session's actor; a refusal or bad input is shown as its one
    sentence, and FAILED returned (nothing was changed)."""
    try:
        return use_case(workspace(), actor(), *args, **kwargs)
    except InputError as error:
        st.error(escape_markdown(str(error), 1000), icon=":material/error:")
        return FAILED


def say(error: InputError) -> None:
    """A refusal or a bad input that reached the page's frame: its one sentence."""
    st.error(escape_markdown(str(error), 1000), icon=":material/error:")


def done(use_case, *args, **kwargs) -> bool:
    """`attempt`, for a caller that only needs to know whether the change was made."""
    return attempt(use_case, *args, **kwargs) is not FAILED


# --- datasets --------------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the sample workbooks…")
def _sample(folder: str, rules_version: str, routes: tuple[str, ...]) -> dataset.Dataset:
    return figures.read_sample(Workspace(Path(folder)))


@st.cache_resource(max_entries=4, show_spinner="Opening the saved dataset…")
def _stored(folder: str, ds_id: str) -> dataset.Dataset:
    return figures.read_dataset(Workspace(Path(folder)), ds_id)


def _load(ws: Workspace, ds_id: str | None) -> dataset.Dataset:
    """The application's reading, cached per process: a saved dataset by its id (which
    names its content), the sample by the rules' version and the MH routes."""
    if ds_id:
        return _stored(str(ws.folder), ds_id)
    return _sample(str(ws.folder), ws.rules_version(), figures.routes(ws))


_RUN = "_pmhc_run"  # counts this session's script runs (app.py starts each: `new_run`)
# ((run, chosen id), weak reference to the dataset, its id): this run's current_dataset. Weak:
# an idle session must not keep a dataset the process's cache has let go.
_OPENED = "_pmhc_opened"


def new_run() -> None:
    """Mark the start of a script run: what a run memoises is asked for again in the next.
    (A run that changes the dataset, its rules or its settings reruns at once.) Only app.py
    calls it: a fragment (`st.fragment`) reruns without it, so must not use the memo."""
    st.session_state[_RUN] = st.session_state.get(_RUN, 0) + 1


def current_dataset() -> tuple[dataset.Dataset, str]:
    """(dataset, id): the dataset this session chose, else the sample. Opened once a run:
    a page asks for it a dozen times, and each opening reads the workspace's settings."""
    key = (st.session_state.get(_RUN), active_id())
    opened = st.session_state.get(_OPENED)
    if key[0] is not None and opened is not None and opened[0] == key:
        ds = opened[1]()
        if ds is not None:
            return ds, opened[2]
    ds, ds_id = _open_current()
    st.session_state[_OPENED] = ((key[0], active_id()), weakref.ref(ds), ds_id)
    return ds, ds_id


def _open_current() -> tuple[dataset.Dataset, str]:
    try:
        ds, ds_id = datasets.open_dataset(workspace(), actor(), active_id(), loader=_load)
    except InputError as refused:  # another's draft (a role changed): the sample instead
        say(refused)
        st.session_state["dataset_id"] = None
        ds, ds_id = datasets.open_dataset(workspace(), actor(), None, loader=_load)
    if ds.is_sample:
        st.session_state["dataset_id"] = None  # deleted in another session: the sample
    return ds, ds_id


@st.cache_resource(max_entries=4, show_spinner=False)
def _rules(folder: str, version: str) -> Rules:
    return Workspace(Path(folder)).rules()


def rules() -> Rules:
    """The workspace's rules, read and checked once per saved version of its rule files
    (every page run of the Data page would otherwise parse them all again). Read-only:
    edits are saved to the files, which makes a new version."""
    ws = workspace()
    return _rules(str(ws.folder), ws.rules_version())


def _flagged(rules: Rules, calls: pd.DataFrame | None, _kind: str) -> pd.DataFrame | None:
    if calls is None or "call_type_final" not in calls:
        return None
    return uploads.call_types_flagged(rules, calls)


# What the Data page lists beside the rule tables, from the calls of the dataset in view.
_RULE_LISTS: dict[str, Callable[[Rules, pd.DataFrame | None, str], pd.DataFrame | None]] = {
    "unmatched": uploads.unmatched_values,
    "flagged": _flagged,
    "inferred": uploads.inferred_readings,
}


# Kept as objects, not copies (cache_resource): the frames are only read, and a frame kept
# is drawn from what table_view made of it the first time.
@st.cache_resource(max_entries=64, show_spinner=False)
def _rule_list(folder: str, ds_id: str, version: str, what: str, kind: str) -> pd.DataFrame | None:
    return _RULE_LISTS[what](rules(), current_dataset()[0].calls, kind)


def _listed(what: str, kind: str = "") -> pd.DataFrame | None:
    """`what` for the dataset in view, worked out once per (workspace, dataset id, rules
    version), not on every run of the Data page: a dataset id names its content."""
    ws = workspace()
    _, ds_id = current_dataset()
    return _rule_list(str(ws.folder), ds_id, ws.rules_version(), what, kind)


def unmatched_values(kind: str) -> pd.DataFrame | None:
    """The values of the dataset in view that no rule of `kind` recognises."""
    return _listed("unmatched", kind)


def call_types_flagged() -> pd.DataFrame | None:
    """Each final call type of the dataset in view with the term that made it an MH call."""
    return _listed("flagged")


def inferred_readings(kind: str) -> pd.DataFrame | None:
    """The abbreviations read from the dataset in view for rules of `kind`."""
    return _listed("inferred", kind)


def dataset_name() -> str:
    """The name the user gave the dataset in view (its file names by default)."""
    ds, ds_id = current_dataset()
    if ds.is_sample:
        return "Sample data"
    return datasets.dataset_name(workspace(), actor(), ds_id) or ds.label


def active_id() -> str | None:
    """The saved dataset this session shows (None: the sample). Each session keeps its
    own choice; a new one starts from the user's last choice. (Partners never get here:
    they see the published release, pmhc.ui.partner.)"""
    if "dataset_id" not in st.session_state:
        st.session_state["dataset_id"] = datasets.last_choice(workspace(), actor())
    return st.session_state["dataset_id"]


def show_dataset(ds_id: str | None) -> None:
    """Show `ds_id` in this session (a use case already made it the user's choice). The
    filters are refitted to it on the next run (`_follow_the_data`)."""
    st.session_state["dataset_id"] = ds_id


def choose_dataset(ds_id: str | None) -> None:
    """Show `ds_id` (None: the sample) and remember it as this user's choice."""
    if attempt(datasets.choose_dataset, ds_id) is not FAILED:
        show_dataset(ds_id)


def setting_base(ds_id: str | None, editor: str, fresh: bool = False) -> dict[str, int]:
    """The settings' versions an editor of this session was drawn from (key -> version),
    passed back with its save so a setting someone changed meanwhile is refused, not
    overwritten. `fresh`: the editor shows what is saved (nothing unsaved), read again."""
    key = f"setting-base-{editor}-{ds_id}"
    if fresh or key not in st.session_state:
        st.session_state[key] = setting.setting_versions(workspace(), actor(), ds_id)
    return st.session_state[key]


def forget_base(ds_id: str | None, editor: str) -> None:
    """After a save: the editor starts from what is saved now."""
    st.session_state.pop(f"setting-base-{editor}-{ds_id}", None)


def workspace_settings() -> dict:
    ds, ds_id = current_dataset()
    return setting.current(workspace(), actor(), ds_id, ds.is_sample)


def upload_hash(uploaded) -> str:
    """The SHA-256 of an uploaded file, computed once per upload rather than on every
    rerun of the Data page (a 100 MB file takes a third of a second)."""
    hashes = st.session_state.setdefault("upload_hashes", {})
    if uploaded.file_id not in hashes:
        hashes[uploaded.file_id] = hashlib.sha256(uploaded.getvalue()).hexdigest()
    return hashes[uploaded.file_id]


@st.cache_resource(max_entries=16, show_spinner=False)
def _mapping_view(
    file_hash: str,
    sheet: str | None,
    header_row: int | None,
    kind: str,
    mapping: tuple,
    _report,
    _name: str,
    _data: bytes,
) -> uploads.MappingView:
    return uploads.mapping_view(_report, _name, _data)


def mapping_view(report, name: str, data: bytes, file_hash: str) -> uploads.MappingView:
    """The Data page's mapping table for one sheet, re-read from the upload only when the
    sheet's reading changes (keyed on the file's hash, never on its bytes)."""
    return _mapping_view(
        file_hash,
        report.sheet,
        report.header_row,
        report.kind,
        tuple(sorted(report.mapping.items())),
        report,
        name,
        data,
    )


# --- sidebar ---------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def _filter_choices(ds_id: str) -> tuple[date, date, dict[str, list[str]]]:
    """Period bounds and filter values: once per dataset, not on every rerun."""
    incidents = current_dataset()[0].calls
    if incidents is None:  # callers ask only for a dataset with calls
        raise ValueError("filter choices need calls")
    when = incidents["received_at"]
    return when.min().date(), when.max().date(), filters.options(incidents)


def sidebar_filters(ds: dataset.Dataset, ds_id: str) -> filters.Filters:
    """Filters the data supports, each bound to the URL's query string."""
    if ds.calls is None or ds.calls.empty:
        return filters.Filters()
    lo, hi, options = _filter_choices(ds_id)
    st.sidebar.markdown("**Filters**")
    followed = _follow_the_data(ds_id, lo, hi, options)
    if followed:
        st.sidebar.caption(escape_markdown(followed))
    unfit = _unfit_filters(options)
    if unfit:  # Streamlit drops them from the widget and the URL; say so
        st.sidebar.caption(
            ":material/filter_alt_off: Reset, not in this dataset: "
            + ", ".join(escape_markdown(u) for u in unfit)
            + "."
        )
    picked = st.sidebar.date_input(
        "Period",
        value=(lo, hi),
        min_value=lo,
        max_value=hi,
        key="period",
        bind="query-params",
        format="DD/MM/YYYY",
        help="Calls received in this period (inclusive).",
    )
    start, end = _period(picked, lo, hi)
    chosen = {}
    for key, values in options.items():
        chosen[key] = (
            tuple(
                st.sidebar.multiselect(
                    filters.LABELS[key], values, key=key, bind="query-params", placeholder="All"
                )
            )
            if values
            else ()
        )
    return filters.Filters(start, end, **chosen)


def _follow_the_data(ds_id: str, lo: date, hi: date, options: dict[str, list[str]]) -> str:
    """When the data in view changed since the filters were last drawn (a load, an append,
    another dataset, rules re-applied), refit them before their widgets draw: a widget
    keeps its old value across reruns, so a period set on the old data would silently
    hide the new month. Returns the sentence saying what is now shown ('' if unchanged)."""
    seen = st.session_state.get("_filters_fit")
    st.session_state["_filters_fit"] = (ds_id, lo, hi)
    if seen is None or seen == (ds_id, lo, hi):
        return ""
    period = filters.refit_period(st.session_state.get("period"), seen[1:], (lo, hi))
    st.session_state["period"] = period
    chosen = {k: list(st.session_state.get(k) or []) for k in filters.LABELS}
    for key, kept in filters.refit_choices(chosen, options).items():
        st.session_state[key] = kept
    for key in set(filters.LABELS) - set(options):  # a filter this data cannot offer
        st.session_state.pop(key, None)
    districts = st.session_state.get("district") or options.get("district", [])
    return filters.describe_view(period, len(districts))


def _unfit_filters(options: dict[str, list[str]]) -> list[str]:
    """Labels of the filters whose values in the URL (a shared link, another dataset) are
    not among this dataset's values."""
    unfit = []
    for key, values in options.items():
        if key in st.session_state:  # the widget already holds its own value
            continue
        asked = st.query_params.get_all(key)
        if asked and not set(asked) <= set(values):
            unfit.append(filters.LABELS[key].lower())
    return unfit


def _period(picked, lo: date, hi: date) -> tuple[date | None, date | None]:
    if not isinstance(picked, (tuple, list)) or len(picked) == 0:
        return None, None
    start = picked[0]
    end = picked[1] if len(picked) > 1 else hi
    return (None if start <= lo else start), (None if end >= hi else end)


# --- views -----------------------------------------------------------------------------


@st.cache_resource(max_entries=64, show_spinner=False)
def _view(
    page: str,
    folder: str,
    ds_id: str,
    f: filters.Filters,
    values_json: str,
    answers_json: str,
    options: tuple,
) -> views.View:
    ds, _ = current_dataset()
    values = json.loads(values_json)
    answers = json.loads(answers_json)
    return figures.page_view(ds, page, values, f, answers, **dict(options))


def view(page: str, _filters: filters.Filters | None = None, **options) -> views.View:
    """The page's computed view (`figures.page_view`: every setting honoured), cached on
    workspace, dataset id (a hash of the dataset's content), filters and settings (never
    on a DataFrame, which Streamlit would hash from a sample of rows), and shared by every
    session of the server process. `_filters` replaces the sidebar's (a side by side)."""
    ds, ds_id = current_dataset()
    values = workspace_settings()
    f = _filters or st.session_state.get("filters", filters.Filters())
    answers = review.answers(workspace(), actor()) if page == "overview" else {}
    cached = functools.partial(
        _view,
        page,
        str(workspace().folder),  # two workspaces' samples share an id, not their settings
        ds_id,
        f,
        json.dumps(values, sort_keys=True, default=str),
        json.dumps(answers, sort_keys=True, default=str),
        tuple(sorted(options.items())),
    )
    return datasets.page_figures(workspace(), actor(), ds, page, values, f, answers, cached)


# --- drawing ---------------------------------------------------------------------------


def page_header(key: str) -> None:
    text = PAGE_BY_KEY[key]
    ds, _ = current_dataset()
    prefix = f"Question {text.question} · " if text.question else ""
    # The browser tab and a screen reader's first words name the page, not just the app.
    st.set_page_config(page_title=f"{text.nav} · PMHC Dashboard")
    st.title(escape_markdown(f"{prefix}{text.title}"))
    st.caption(
        (
            ":material/science: **Sample data**"
            if ds.is_sample
            else "**Published figures**"  # a partner never sees the name of an uploaded file
            if locked_partner()
            else f"**{escape_markdown(dataset_name())}**"
        )
        + (" · partner view: counts from 1 to 10 are hidden" if audience() == "partner" else "")
    )
    st.info(f"**What good looks like.** {escape_markdown(text.good)}", icon=":material/lightbulb:")


def render(v: views.View, prefix: str = "") -> None:
    for note in v.notes:
        st.warning(escape_markdown(note), icon=":material/info:")
    if v.figures:
        # Half a page (side by side) holds two cards whose labels and values stay whole.
        columns = st.columns(min(len(v.figures), 2 if prefix else 5))
        for i, fig in enumerate(v.figures):
            with columns[i % len(columns)]:
                st.metric(
                    escape_markdown(fig.label),
                    fig.value,
                    fig.delta,
                    delta_color=fig.delta_color,  # type: ignore[arg-type]  # the view's word
                    help=fig.help,
                    border=True,
                )
                if fig.caption:  # the period and base, on the card itself
                    st.caption(escape_markdown(fig.caption))
    for chart in v.charts:
        show_figure(chart, prefix)
    for name, table in v.tables.items():
        st.header(escape_markdown(name))
        table_view(table)
        st.download_button(
            f"Download {name.lower()} (CSV)",
            functools.partial(reports.csv_bytes, table),  # built when clicked
            file_name=_file_name(name) + ".csv",
            mime="text/csv",
            key=f"dl-table-{prefix}{name}",
        )
    if v.missing:
        with st.container(border=True):
            st.markdown("**Unlock more of this page**")
            for item in v.missing:
                st.markdown(f"- {escape_markdown(item.replace('**', ''))}")


PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stSidebarCollapsedControl"], [data-testid="stExpander"],
  [data-testid="stDownloadButton"], [data-testid="stDecoration"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"] {
    margin: 0 !important; padding: 0 !important; max-width: 100% !important; }
  * { word-break: normal !important; overflow-wrap: normal !important;
      hyphens: manual !important; }
  [data-testid="stVegaLiteChart"], [data-testid="stMetric"], .stAlert {
    break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
}
/* A card's long label or value wraps instead of being cut ("too few to ju…"). */
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  white-space: normal !important; text-overflow: clip !important; overflow: visible !important; }
/* On a phone a question's title takes a few lines, not the whole first screen. */
@media (max-width: 640px) {
  h1 { font-size: 1.9rem !important; line-height: 1.2 !important; } }
/* Disabled controls (the partner view) stay readable: WCAG AA contrast on white. */
input:disabled, textarea:disabled, [aria-disabled="true"], [data-baseweb] [disabled],
button:disabled, button:disabled p, [data-testid="stWidgetLabel"][disabled] p {
  color: #4a4a4a !important; -webkit-text-fill-color: #4a4a4a !important; opacity: 1 !important; }
input:disabled::placeholder, textarea:disabled::placeholder {
  color: #595959 !important; -webkit-text-fill-color: #595959 !important; opacity: 1 !important; }
</style>"""


def print_styles() -> None:
    """On paper: no sidebar or app chrome, words whole, charts not split across pages."""
    st.html(PRINT_CSS)


def show_figure(fig: Figure, prefix: str = "") -> None:
    with st.container(border=True):
        if fig.empty:
            st.markdown(f"**{escape_markdown(fig.alt.rstrip('.'))}**")
            st.caption(escape_markdown(fig.empty))
            return
        if meeting_mode():  # projector-sized text and bar labels, built for this view
            chart = fig.chart_for(True)
            st.altair_chart(chart, key=f"chart-{prefix}{fig.key}")  # type: ignore[call-overload]
        else:
            spec, datasets = vega_lite(fig)
            # A fresh dict each run: Streamlit moves the datasets out of the spec it is given.
            st.vega_lite_chart(
                {**json.loads(spec), "datasets": datasets}, key=f"chart-{prefix}{fig.key}"
            )
        with st.expander("Numbers behind this chart"):
            table_view(fig.data)
            st.download_button(
                "Download CSV",
                lambda: reports.csv_bytes(fig.data),  # built when clicked
                file_name=_file_name(fig.key) + ".csv",
                mime="text/csv",
                key=f"dl-{prefix}{fig.key}",
            )


# Altair's theme and data transformer are process-wide settings: one conversion at a time.
_ALTAIR_LOCK = threading.Lock()


def _to_arrow(data, datasets: dict[str, bytes]) -> dict[str, str]:
    """An Altair data transformer: the chart's frame as Arrow IPC bytes, named by content."""
    raw = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = "data-" + hashlib.blake2b(raw, digest_size=16).hexdigest()
    datasets[name] = raw
    return {"name": name}


alt.data_transformers.register("pmhc_arrow", _to_arrow)


def vega_lite(fig: Figure) -> tuple[str, dict[str, bytes]]:
    """The figure's Vega-Lite spec (JSON, without data) and its data as Arrow IPC bytes,
    as `st.altair_chart` would send them, made once per figure: the figure lives in the
    cached view, so every later run of the page, in any session, reuses them. Altair's
    schema validation, most of the cost of building and converting, is skipped here;
    tests/test_views.py validates every chart the views build."""
    made = fig.vega_lite
    if made is None:
        with _ALTAIR_LOCK:  # sessions waiting here for the same figure find it made
            made = fig.vega_lite or _convert(fig)
            fig.vega_lite = made
    return made


def _convert(fig: Figure) -> tuple[str, dict[str, bytes]]:
    """Build and convert the chart; it changes Altair's global settings, so only under
    _ALTAIR_LOCK."""
    datasets: dict[str, bytes] = {}
    with (
        # Altair also validates every part of a chart as it is built: half the build time.
        schemapi.debug_mode(False),
        alt.theme.enable("none"),  # Streamlit's theme sizes the chart, not Altair's default
        alt.data_transformers.enable("pmhc_arrow", datasets=datasets),
    ):
        spec = fig.chart.to_dict(validate=False)
    for name, values in spec.pop("datasets", {}).items():  # inline values (not frames)
        datasets.setdefault(name, dataframe_util.convert_anything_to_arrow_bytes(values))
    return json.dumps(spec), datasets


MISSING = labels.MISSING  # a figure that cannot be given, in every table
_FORMATS = {
    "percent": lambda label: st.column_config.NumberColumn(label, format="percent"),
    "decimal": lambda label: st.column_config.NumberColumn(label, format="%.1f"),
    "whole": lambda label: st.column_config.NumberColumn(label, format="%d"),
    "count": lambda label: st.column_config.NumberColumn(label, format="localized"),
    "month": lambda label: st.column_config.DateColumn(label, format="MMM YYYY"),
    "date": lambda label: st.column_config.DateColumn(label, format="D MMM YYYY"),
}


def column_config(frame: pd.DataFrame, **overrides) -> dict:
    """Headings and formats in people's words for a table (`labels`), with a page's own
    settings for some columns on top."""
    config = {
        name: _FORMATS[kind](label) if kind else label
        for name, (label, kind) in labels.column_formats(frame).items()
    }
    return {**config, **overrides}


def table_view(frame: pd.DataFrame, rows: int | None = None, **kwargs) -> None:
    """A read-only table in people's words: headings, codes, percentages and dates, and
    a dash where a figure cannot be given (not Streamlit's grey "None"); its first `rows`
    rows when given."""
    table, config = _drawn(frame, rows)
    config = {**config, **kwargs.pop("column_config", {})}
    kwargs.setdefault("placeholder", MISSING)
    st.dataframe(table, hide_index=True, column_config=config, **kwargs)


# Tables as table_view draws them (in words, as Arrow, with their headings), made once per
# frame object: a frame kept in a cache (a view's figure, a dataset's rejected rows, the
# unmatched values) is drawn on every run of its page, and making it again was a third of
# a run of the Data page. Frames are never changed once shown.
def _drawn(frame: pd.DataFrame, rows: int | None) -> tuple[object, dict]:
    def make() -> tuple[object, dict]:
        part = frame if rows is None else frame.head(rows)
        table = dataframe_util.convert_pandas_df_to_arrow_table(labels.readable(part))
        return table, column_config(part)

    # The shape and columns in the name too: a frame changed in place after it was drawn
    # (none is) would at least not be drawn with the wrong columns.
    return kept_with(frame, ("drawn", rows, frame.shape, tuple(map(str, frame.columns))), make)


T = TypeVar("T")

# What kept_with made: (id of the owner, name) -> (weak reference to the owner, value).
_KEPT: dict[tuple[int, object], tuple[weakref.ref, Any]] = {}


def kept_with(owner: object, name: object, make: Callable[[], T]) -> T:
    """What `make` makes for `owner` (a dataset, a load report, a frame kept in a cache:
    never changed once made) under `name`, made once and kept while the owner lives (an
    entry goes with its owner, so a new object at the same address is not mistaken for
    it)."""
    key = (id(owner), name)
    found = _KEPT.get(key)
    if found is not None and found[0]() is owner:
        return found[1]
    value = make()
    # The callback holds the dict itself: at shutdown the module's globals are gone first.
    _KEPT[key] = (weakref.ref(owner, functools.partial(_forget_kept, _KEPT, key)), value)
    return value


def _forget_kept(kept: dict, key: tuple[int, object], _gone: object) -> None:
    kept.pop(key, None)


def _file_name(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


# --- self-assessment -------------------------------------------------------------------


def save_answer(item_id: str, current: dict, choice: str, note: str, shared: bool) -> None:
    """Save an item the user changed, against the version their widgets were drawn from:
    an answer someone else saved meanwhile is refused with its sentence, never overwritten."""
    seen = f"answer-version-{item_id}"
    changed = choice and (
        choice != current.get("answer")
        or note != current.get("note", "")
        or shared != bool(current.get("shared"))
    )
    if not changed:
        st.session_state[seen] = int(current.get("version") or 0)
        return
    based_on = st.session_state.get(seen, int(current.get("version") or 0))
    saved = attempt(review.save_answer, item_id, choice, note, shared, based_on=based_on)
    if saved is not FAILED:
        st.session_state[seen] = int(saved.get("version") or 0)
        st.toast(f"Saved {escape_markdown(item_id)}")


def checklist_section(number: int) -> None:
    q = checklist.QUESTION_BY_NUMBER[number]
    answers = review.answers(workspace(), actor())
    score, answered = checklist.score(q, answers)
    st.header("Self-assessment")
    st.caption("What only the agency knows. Answers are saved for everyone using this workspace.")
    if score is not None:
        st.progress(
            score,
            text=f"Score {score:.0%} over {answered} of {len(q.items)} items "
            "answered Yes, Partly or No",
        )
    disabled = audience() == "partner" or not can("edit")
    for item_id, text in q.items:
        current = answers.get(item_id, {})
        cols = st.columns([4, 3, 3, 1])  # the answer's box holds "Not answered" at 1280 px
        cols[0].markdown(f"**{escape_markdown(item_id)}** {escape_markdown(text)}")
        choice = cols[1].selectbox(
            # Collapsed, but still the control's accessible name: the item it answers.
            f"Answer to {item_id}: {text}",
            ("", *checklist.ANSWERS),
            index=(("", *checklist.ANSWERS)).index(current.get("answer", "")),
            key=f"answer-{item_id}",
            format_func=lambda answer: answer or "Not answered",
            label_visibility="collapsed",
            disabled=disabled,
        )
        note = cols[2].text_input(
            f"Note on {item_id}",
            current.get("note", ""),
            key=f"note-{item_id}",
            label_visibility="collapsed",
            placeholder="Note (optional)",
            disabled=disabled,
        )
        shared = cols[3].checkbox(
            "Share",
            value=bool(current.get("shared")),
            key=f"share-{item_id}",
            help="Partners see this note once the partner release is published.",
            disabled=disabled,
        )
        save_answer(item_id, current, choice, note, shared)
    st.download_button(
        "Export the self-assessment (Excel)",
        functools.partial(review.answers_workbook, workspace(), actor()),  # built when clicked
        file_name="pmhc_self_assessment.xlsx",
        key=f"export-sa-{number}",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def question_page(key: str) -> None:
    page_header(key)
    if not (meeting_mode() and side_by_side(key)):
        render(view(key))
    number = PAGE_BY_KEY[key].question
    if number and not meeting_mode():
        st.divider()
        checklist_section(number)


# --- meeting mode ----------------------------------------------------------------------

MEETING_CSS = """<style>
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 2.4rem !important; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p {
  font-size: 1.1rem !important; white-space: normal !important; overflow: visible !important; }
[data-testid="stMain"] h1 { font-size: 2rem; }
/* The projector gets the whole width: the sidebar (its filters, its toggles) is hidden and
   "Leave meeting mode" at the top of the page brings it back. */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none !important; }
</style>"""


def meeting_mode() -> bool:
    """Larger type, editing hidden, two districts or periods side by side (sidebar toggle)."""
    return bool(st.session_state.get("meeting_mode"))


def meeting_styles() -> None:
    if meeting_mode():
        st.html(MEETING_CSS)
        st.button(
            "Leave meeting mode",
            key="leave_meeting",
            icon=":material/close_fullscreen:",
            on_click=lambda: st.session_state.update(meeting_mode=False),
        )


def side_by_side(key: str) -> bool:
    """In meeting mode, the page for two districts or two periods in two columns; False
    when the user keeps one view."""
    f = st.session_state.get("filters", filters.Filters())
    ds, ds_id = current_dataset()
    if ds.calls is None or ds.calls.empty:
        return False
    lo, hi, options = _filter_choices(ds_id)
    modes = ["One view", "Two periods"] + (["Two districts"] if options.get("district") else [])
    mode = st.segmented_control("Side by side", modes, default="One view", key="compare_mode")
    if mode in (None, "One view"):
        return False
    pick, left, right = st.columns(2), None, None
    if mode == "Two districts":
        names = options["district"]
        a = pick[0].selectbox("Left district", names, index=0, key="cmp_d1")
        b = pick[1].selectbox("Right district", names, index=min(1, len(names) - 1), key="cmp_d2")
        left, right = replace(f, district=(a,)), replace(f, district=(b,))
        titles: tuple[str, ...] = (a, b)
    else:
        middle = lo + (hi - lo) / 2
        p1 = pick[0].date_input("Left period", (lo, middle), lo, hi, key="cmp_p1")
        after = middle + timedelta(days=1)  # the halves do not share a day
        p2 = pick[1].date_input("Right period", (after, hi), lo, hi, key="cmp_p2")
        (s1, e1), (s2, e2) = _period(p1, lo, hi), _period(p2, lo, hi)
        left, right = replace(f, start=s1, end=e1), replace(f, start=s2, end=e2)
        titles = tuple(_period_name(x, lo, hi) for x in (p1, p2))
    for column, chosen, title, side in zip(
        st.columns(2), (left, right), titles, ("l-", "r-"), strict=True
    ):
        with column:
            st.header(escape_markdown(title))
            render(view(key, chosen), prefix=side)
    return True


def _period_name(picked, lo: date, hi: date) -> str:
    days = list(picked) if isinstance(picked, (tuple, list)) else []
    start = days[0] if days else lo
    end = days[1] if len(days) > 1 else hi
    return f"{start:%d %b %Y} to {end:%d %b %Y}"
