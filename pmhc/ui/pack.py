"""The meeting pack's downloads: staff get the pages' own views, partners (and the
partner preview) the partner release the partner pages show. Apart from `components`
and `partner` because it needs both (they no longer import each other)."""

from __future__ import annotations

import functools

import streamlit as st

from pmhc.analysis import filters
from pmhc.application import report
from pmhc.present import report as writers
from pmhc.present.partner import Selection
from pmhc.ui import components as ui
from pmhc.ui import partner


def _build(kind: str, make: functools.partial) -> bytes:
    """The pack from what the page run bound (`make`). Streamlit runs a download's
    callable in a thread of its own with no session: `st.session_state` there is one
    state shared by every session of the process, so nothing here may read the session."""
    return writers.WRITERS[kind](make())


def _bound() -> functools.partial:
    """The meeting pack for the filters, dataset and audience of this page run, bound
    now (once for the three formats) and built when clicked."""
    if ui.audience() == "partner":
        return functools.partial(
            report.meeting_pack,
            ui.workspace(),
            ui.actor(),
            filters.Filters(),
            "partner",
            release=partner.session_release(),
            selection=st.session_state.get("partner_selection", Selection()),
            control=st.session_state.get("p_control"),  # the Review page's chart outcome
        )
    ds, ds_id = ui.current_dataset()
    return functools.partial(
        report.meeting_pack,
        ui.workspace(),
        ui.actor(),
        st.session_state.get("filters", filters.Filters()),
        "internal",
        ds_id,
        control=st.session_state.get("control_outcome"),  # the Review page's chart outcome
        ds=ds,
    )


def meeting_pack_downloads() -> None:
    st.header("Meeting pack")
    st.caption(
        "Every page for the filters and period in force, with the self-assessment, targets, "
        "control-chart signals and open actions"
        + (" (partner pack: no sources or actions)." if ui.audience() == "partner" else ".")
    )
    make = _bound()
    cols = st.columns(3)
    kinds: tuple[tuple[str, str, str], ...] = (
        (".pdf", "PDF", "application/pdf"),
        (".html", "HTML", "text/html"),
        (".xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
    for col, (kind, label, mime) in zip(
        cols,
        kinds,
        strict=True,
    ):
        col.download_button(
            f"Meeting pack ({label})",
            functools.partial(_build, kind, make),  # built when clicked
            file_name=f"pmhc_meeting_pack{kind}",
            mime=mime,
            key=f"pack{kind}",
            icon=":material/download:",
        )
