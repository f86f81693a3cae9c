"""Question 6: review. Before and after the programme start, a control chart, targets
against actuals, and the action tracker."""

from datetime import date

import pandas as pd
import streamlit as st

from pmhc.analysis import metrics
from pmhc.domain.errors import StaleEdit
from pmhc.present import excel
from pmhc.storage import review_log, settings
from pmhc.ui import auth
from pmhc.ui import components as ui
from pmhc.ui import partner as partner_view

if ui.audience() == "partner":
    partner_view.page("review")
    st.stop()

# Partners get partner_view.page above; viewers and meeting mode see the records without
# editing them.
read_only = ui.meeting_mode() or not ui.can("edit")


def records_folder(ws):
    """Actions, their history and the meeting log are kept with the dataset in view."""
    _, ds_id = ui.current_dataset()
    return settings.dataset_folder(ws.folder, ds_id)


def programme_start(ws, values: dict) -> None:
    current = values.get("programme_start")
    picked = st.date_input(
        "Programme start (the baseline ends the day before)",
        value=settings.programme_start(values),
        format="DD/MM/YYYY",
        disabled=read_only,
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
            disabled=["outcome"] if not read_only else True,
            key="targets",
            column_config={
                "target %": st.column_config.NumberColumn(
                    "Target (%)", min_value=0, max_value=100, step=0.5
                )
            },
        )
        if not read_only and st.button("Save targets", icon=":material/save:"):
            keys = {o.label: o.key for o in outcomes}
            targets = {
                keys[r["outcome"]]: r["target %"] / 100
                for _, r in edited.iterrows()
                if pd.notna(r["target %"])
            }
            ui.save_settings(targets=targets)
            st.rerun()


def milestones_editor(ws, values: dict) -> None:
    """Dated events drawn on every time chart and offered as before/after splits."""
    with st.expander("Milestones (drawn on every time chart)"):
        edited = st.data_editor(
            settings.milestones_frame(values),
            num_rows="dynamic" if not read_only else "fixed",
            hide_index=True,
            key="milestones",
            disabled=read_only,
            column_config={
                "date": st.column_config.DateColumn("Date", format="DD/MM/YYYY", required=True),
                "label": st.column_config.TextColumn(
                    "What happened", max_chars=settings.MAX_LABEL, required=True
                ),
            },
        )
        if read_only or not st.button("Save milestones", icon=":material/save:"):
            return
        rows, problems = settings.check_milestones(edited)
        for problem in problems:
            st.error(ui.escape_markdown(problem), icon=":material/error:")
        if not problems:
            ui.save_settings(milestones=rows)
            st.rerun()


def split_choice(values: dict) -> tuple[str, str] | None:
    """The date the before/after table splits at: the programme start or a milestone."""
    choices = {"Programme start": None} | {
        f"{label} ({when:%d %b %Y})": (when.date().isoformat(), label)
        for when, label in settings.milestones(values)
    }
    picked = st.selectbox("Compare before and after", list(choices), key="split_choice")
    return choices.get(picked)


def action_tracker(ws) -> None:
    """The tracker, with edits kept for the session until saved: leaving the page and
    coming back shows them again with a warning, instead of losing them."""
    st.header("Action tracker")
    st.caption("Recommendations from reviews, with an owner, a due date and a status.")
    saved = review_log.load_actions(records_folder(ws))
    if "actions" not in st.session_state:  # first run of this visit to the page
        st.session_state["actions_base"] = st.session_state.get("actions_draft", saved)
    edited = st.data_editor(
        st.session_state["actions_base"],
        num_rows="fixed" if read_only else "dynamic",
        hide_index=True,
        key="actions",
        disabled=read_only,
        column_order=settings.ACTION_COLUMNS,
        column_config={
            "recommendation": st.column_config.TextColumn("Recommendation", width="large"),
            "owner": st.column_config.TextColumn("Owner"),
            "due": st.column_config.DateColumn(
                "Due", format="DD/MM/YYYY", min_value=review_log.EARLIEST_DUE
            ),
            "status": st.column_config.SelectboxColumn("Status", options=settings.ACTION_STATUSES),
            "shared": st.column_config.CheckboxColumn(
                "Shared with partners",
                help="Partners see this row (recommendation, owner, due date and status) "
                "once the partner release is published.",
                default=False,
            ),
        },
    )
    if read_only:
        return
    unsaved = not review_log.same_actions(edited, saved)
    if unsaved:
        st.session_state["actions_draft"] = edited
        st.warning(
            "Unsaved changes to the actions. They are kept while you visit other pages, "
            "but nobody else sees them until you save.",
            icon=":material/edit_note:",
        )
    else:
        st.session_state.pop("actions_draft", None)
    save, discard, export = st.columns(3)
    if save.button("Save actions", icon=":material/save:", disabled=not unsaved):
        problems = review_log.check_actions(edited)
        for problem in problems:
            st.error(ui.escape_markdown(problem), icon=":material/error:")
        if not problems:
            base = st.session_state["actions_base"]  # what this editor started from
            try:
                entries = review_log.save_actions(
                    records_folder(ws), edited, auth.visitor().who, base=base
                )
            except StaleEdit as stale:  # someone saved a row this copy changed
                st.error(ui.escape_markdown(str(stale)), icon=":material/sync_problem:")
                return
            ui.record("actions-edit", rows=len(edited))
            _restart_tracker()
            st.toast(f"Actions saved ({len(entries):d} changes in the history)")
            st.rerun()
    if discard.button("Discard changes", icon=":material/undo:", disabled=not unsaved):
        _restart_tracker()
        st.rerun()
    export.download_button(
        "Export actions and history (Excel)",
        lambda: export_actions(ws),  # built when clicked
        file_name="pmhc_actions.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export-actions",
        icon=":material/download:",
    )


def _restart_tracker() -> None:
    for key in ("actions_draft", "actions_base", "actions"):
        st.session_state.pop(key, None)


def export_actions(ws) -> bytes:
    actions = review_log.load_actions(records_folder(ws))
    return excel.actions_workbook(
        actions,
        review_log.history(records_folder(ws)),
        review_log.meetings_frame(records_folder(ws), actions),
    )


def meeting_log(ws) -> None:
    st.header("Review meetings")
    actions = review_log.load_actions(records_folder(ws))
    names = dict(zip(actions["id"], actions["recommendation"], strict=True))
    with (
        st.expander("Log a review meeting", icon=":material/groups:"),
        st.form("meeting", clear_on_submit=True),
    ):
        when = st.date_input("Meeting date", format="DD/MM/YYYY", max_value=date.today())
        roles = st.multiselect("Who attended (by role)", review_log.ROLES)
        decisions = st.text_area("Decisions (one a line)")
        linked = st.multiselect(
            "Linked actions",
            list(actions["id"]),
            format_func=lambda i: str(names.get(i) or "(no text)"),
        )
        if st.form_submit_button("Log the meeting", icon=":material/save:"):
            problems = review_log.add_meeting(
                records_folder(ws), when, roles, decisions, linked, by=auth.visitor().who
            )
            for problem in problems:
                st.error(ui.escape_markdown(problem), icon=":material/error:")
            if not problems:
                st.toast("Meeting logged")
    ui.table_view(review_log.meetings_frame(records_folder(ws), actions))


ui.page_header("review")
ws = ui.workspace()
values = ui.workspace_settings()
ds, _ = ui.current_dataset()
outcomes = metrics.available_outcomes(ds.calls) if ds.calls is not None else []
labels = {o.key: o.label for o in outcomes}
with st.container(border=True):
    left, right = st.columns(2)
    with left:
        programme_start(ws, values)
    # The key, kept in the session: the meeting pack draws the same chart (`_pack`).
    chosen = right.selectbox(
        "Outcome for the control chart",
        list(labels) or ["—"],
        format_func=lambda key: labels.get(key, key),
        key="control_outcome",
    )
    targets_editor(ws, values, outcomes)
    milestones_editor(ws, values)
    split = split_choice(values)
targets = tuple(sorted((values.get("targets") or {}).items()))
ui.render(
    ui.view(
        "review", outcome_key=chosen if chosen in labels else None, targets=targets, split=split
    )
)
st.divider()
ui.meeting_pack_downloads()
st.divider()
action_tracker(ws)
if not read_only:
    st.divider()
    meeting_log(ws)
if not ui.meeting_mode():
    st.divider()
    ui.checklist_section(6)
