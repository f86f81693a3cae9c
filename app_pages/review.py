"""Question 6: review. Before and after the programme start, a control chart, targets
against actuals, and the action tracker."""

import pandas as pd
import streamlit as st

from pmhc.analysis import metrics
from pmhc.storage import settings
from pmhc.ui import components as ui
from pmhc.ui import partner as partner_view

if ui.audience() == "partner":
    partner_view.page("review")
    st.stop()

partner = not ui.can("edit")  # read-only for viewers (partners get partner_view.page above)


def programme_start(ws, values: dict) -> None:
    current = values.get("programme_start")
    picked = st.date_input(
        "Programme start (the baseline ends the day before)",
        value=settings.programme_start(values),
        format="DD/MM/YYYY",
        disabled=partner,
        key="programme_start_input",
    )
    if picked and (current is None or picked.isoformat() != current):
        ui.save_settings(programme_start=picked.isoformat())
        st.rerun()


def targets_editor(ws, values: dict, outcomes: list) -> None:
    """Targets are rates in percent, one per outcome; blank means no target."""
    saved = values.get("targets") or {}
    table = pd.DataFrame(
        [
            {"outcome": o.label, "target %": 100 * saved[o.key] if o.key in saved else None}
            for o in outcomes
        ]
    )
    with st.expander("Targets for the key outcomes"):
        edited = st.data_editor(
            table,
            hide_index=True,
            disabled=["outcome"] if not partner else True,
            key="targets",
            column_config={
                "target %": st.column_config.NumberColumn(
                    "Target (%)", min_value=0, max_value=100, step=0.5
                )
            },
        )
        if not partner and st.button("Save targets", icon=":material/save:"):
            keys = {o.label: o.key for o in outcomes}
            targets = {
                keys[r["outcome"]]: r["target %"] / 100
                for _, r in edited.iterrows()
                if pd.notna(r["target %"])
            }
            ui.save_settings(targets=targets)
            st.rerun()


def action_tracker(ws) -> None:
    st.subheader("Action tracker")
    st.caption("Recommendations from reviews, with an owner, a due date and a status.")
    edited = st.data_editor(
        settings.load_actions(ws.folder, ds_id),
        num_rows="dynamic",
        hide_index=True,
        key="actions",
        disabled=partner,
        column_config={
            "recommendation": st.column_config.TextColumn("Recommendation", width="large"),
            "owner": st.column_config.TextColumn("Owner"),
            "due": st.column_config.DateColumn("Due", format="DD/MM/YYYY"),
            "status": st.column_config.SelectboxColumn("Status", options=settings.ACTION_STATUSES),
            "shared": st.column_config.CheckboxColumn(
                "Shared with partners",
                help="Partners see this row (recommendation, owner, due date and status) "
                "once the partner release is published.",
                default=False,
            ),
        },
    )
    if not partner and st.button("Save actions", icon=":material/save:"):
        settings.save_actions(ws.folder, edited, ds_id)
        ui.record("actions-edit", rows=len(edited), dataset=ds_id)
        st.toast("Actions saved")


ui.page_header("review")
ws = ui.workspace()
values = ui.workspace_settings()
ds, ds_id = ui.current_dataset()
outcomes = metrics.available_outcomes(ds.calls) if ds.calls is not None else []
labels = {o.label: o.key for o in outcomes}
with st.container(border=True):
    left, right = st.columns(2)
    with left:
        programme_start(ws, values)
    chosen = right.selectbox(
        "Outcome for the control chart", list(labels) or ["—"], key="control_outcome"
    )
    targets_editor(ws, values, outcomes)
targets = tuple(sorted((values.get("targets") or {}).items()))
ui.render(ui.view("review", outcome_key=labels.get(chosen, "connection"), targets=targets))
st.divider()
action_tracker(ws)
st.divider()
ui.checklist_section(6)
