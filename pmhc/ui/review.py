"""The Review page's editors: programme start, targets, milestones, the action tracker and
the meeting log. Each save is a use case (`pmhc.application`), which checks the role:
read-only controls here are tidiness, not the check."""

from __future__ import annotations

import functools
from datetime import date

import pandas as pd
import streamlit as st

from pmhc.analysis import metrics
from pmhc.application import review, settings
from pmhc.storage import settings as stored
from pmhc.ui import components as ui
from pmhc.ui import pack, plain


def read_only() -> bool:
    """Viewers and meeting mode see the records without editing them."""
    return ui.meeting_mode() or not ui.can("edit")


def programme_start(ds_id: str, values: dict) -> None:
    current = values.get("programme_start")
    picked = st.date_input(
        "Programme start (the baseline ends the day before)",
        value=stored.programme_start(values),
        format="DD/MM/YYYY",
        disabled=read_only(),
        key="programme_start_input",
    )
    changed = picked is not None and (current is None or picked.isoformat() != current)
    base = ui.setting_base(ds_id, "programme_start", fresh=not changed)
    if changed and ui.done(settings.set_programme_start, ds_id, picked, based_on=base):
        ui.forget_base(ds_id, "programme_start")
        st.rerun()


def targets_editor(ds_id: str, values: dict, outcomes: list) -> None:
    """Targets are rates in percent, one per outcome; blank means no target."""
    saved = values.get("targets") or {}
    table = pd.DataFrame(
        [
            {"outcome": o.label, "target %": 100 * saved[o.key] if o.key in saved else None}
            for o in outcomes
        ]
    )
    base = ui.setting_base(ds_id, "targets")  # as first drawn in this visit
    with st.expander("Targets for the key outcomes"):
        edited = st.data_editor(
            table,
            hide_index=True,
            disabled=["outcome"] if not read_only() else True,
            key="targets",
            column_config={
                "target %": st.column_config.NumberColumn(
                    "Target (%)", min_value=0, max_value=100, step=0.5
                )
            },
        )
        if not read_only() and st.button("Save targets", icon=":material/save:"):
            keys = {o.label: o.key for o in outcomes}
            targets = {
                keys[r["outcome"]]: r["target %"] / 100
                for _, r in edited.iterrows()
                if pd.notna(r["target %"]) and r["outcome"] in keys
            }
            if ui.done(settings.set_targets, ds_id, targets, based_on=base):
                ui.forget_base(ds_id, "targets")
                st.rerun()
        targets_form(ds_id, saved, outcomes, base)


def milestones_editor(ds_id: str, values: dict) -> None:
    """Dated events drawn on every time chart and offered as before/after splits."""
    base = ui.setting_base(ds_id, "milestones")  # as first drawn in this visit
    with st.expander("Milestones (drawn on every time chart)"):
        edited = st.data_editor(
            stored.milestones_frame(values),
            num_rows="fixed" if read_only() else "dynamic",
            hide_index=True,
            key="milestones",
            disabled=read_only(),
            column_config={
                "date": st.column_config.DateColumn("Date", format="DD/MM/YYYY", required=True),
                "label": st.column_config.TextColumn(
                    "What happened", max_chars=stored.MAX_LABEL, required=True
                ),
            },
        )
        milestones_form(ds_id, values, base)
        if read_only() or not st.button("Save milestones", icon=":material/save:"):
            return
        problems = ui.attempt(settings.set_milestones, ds_id, edited, based_on=base)
        if problems is ui.FAILED:
            return
        for problem in problems:
            st.error(ui.escape_markdown(problem), icon=":material/error:")
        if not problems:
            ui.forget_base(ds_id, "milestones")
            st.rerun()


def split_choice(values: dict) -> tuple[str, str] | None:
    """The date the before/after table splits at: the programme start or a milestone."""
    choices = {"Programme start": None} | {
        f"{label} ({when:%d %b %Y})": (when.date().isoformat(), label)
        for when, label in stored.milestones(values)
    }
    picked = st.selectbox("Compare before and after", list(choices), key="split_choice")
    return choices.get(picked)


def action_tracker(ds_id: str) -> pd.DataFrame:
    """The tracker, with edits kept for the session until saved: leaving the page and
    coming back shows them again with a warning, instead of losing them. Returns the
    tracker as saved (a save reruns the page, so it is what is saved now)."""
    st.header("Action tracker")
    st.caption("Recommendations from reviews, with an owner, a due date and a status.")
    saved = review.actions(ui.workspace(), ui.actor(), ds_id)
    # The editor keeps each row's id and version (hidden; what the save checks) but not who
    # changed it when: the history says that, in words.
    shown = saved.drop(columns=["changed_by", "changed_at"], errors="ignore")
    if "actions" not in st.session_state:  # first run of this visit to the page
        st.session_state["actions_base"] = st.session_state.get("actions_draft", shown)
    # The tracker as saved when this editor started (kept with an unsaved draft): the save
    # merges against it, so nobody's edit in between is lost or silently overwritten.
    st.session_state.setdefault("actions_origin", {}).setdefault(ds_id, saved)
    edited = st.data_editor(
        st.session_state["actions_base"],
        num_rows="fixed" if read_only() else "dynamic",
        hide_index=True,
        key="actions",
        disabled=read_only(),
        column_order=stored.ACTION_COLUMNS,
        column_config={
            "recommendation": st.column_config.TextColumn("Recommendation", width="large"),
            "owner": st.column_config.TextColumn("Owner"),
            "due": st.column_config.DateColumn(
                "Due", format="DD/MM/YYYY", min_value=review.EARLIEST_DUE
            ),
            "status": st.column_config.SelectboxColumn("Status", options=stored.ACTION_STATUSES),
            "shared": st.column_config.CheckboxColumn(
                "Shared with partners",
                help="Partners see this row (recommendation, owner, due date and status) "
                "once the partner release is published.",
                default=False,
            ),
        },
    )
    if read_only():
        actions_form(ds_id, saved)
        return saved
    unsaved = not review.same_actions(edited, saved)
    if unsaved:
        st.session_state["actions_draft"] = edited
        st.warning(
            "Unsaved changes to the actions. They are kept while you visit other pages, "
            "but nobody else sees them until you save.",
            icon=":material/edit_note:",
        )
    else:
        st.session_state.pop("actions_draft", None)
    tracker_buttons(ds_id, edited, unsaved)
    actions_form(ds_id, saved)
    return saved


def tracker_buttons(ds_id: str, edited: pd.DataFrame, unsaved: bool) -> None:
    save, discard, export = st.columns(3)
    if save.button("Save actions", icon=":material/save:", disabled=not unsaved):
        origin = st.session_state.get("actions_origin", {}).get(ds_id)
        entries = ui.attempt(review.save_actions, ds_id, edited, based_on=origin)
        if entries is not ui.FAILED:
            _restart_tracker()
            st.toast(f"Actions saved ({len(entries):d} changes in the history)")
            st.rerun()
    if discard.button("Discard changes", icon=":material/undo:", disabled=not unsaved):
        _restart_tracker()
        st.rerun()
    export.download_button(
        "Export actions and history (Excel)",
        functools.partial(review.actions_workbook, ui.workspace(), ui.actor(), ds_id),
        file_name="pmhc_actions.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export-actions",
        icon=":material/download:",
    )


def _restart_tracker() -> None:
    for key in ("actions_draft", "actions_base", "actions", "actions_origin"):
        st.session_state.pop(key, None)


def meeting_log(ds_id: str, actions: pd.DataFrame) -> None:
    """Log a meeting, its decisions and the `actions` (as saved) it followed up."""
    st.header("Review meetings")
    names = dict(zip(actions["id"], actions["recommendation"], strict=True))
    with (
        st.expander("Log a review meeting", icon=":material/groups:"),
        st.form("meeting", clear_on_submit=True),
    ):
        when = st.date_input("Meeting date", format="DD/MM/YYYY", max_value=date.today())
        roles = st.multiselect("Who attended (by role)", review.MEETING_ROLES)
        decisions = st.text_area("Decisions (one a line)")
        linked = st.multiselect(
            "Linked actions",
            list(actions["id"]),
            format_func=lambda i: str(names.get(i) or "(no text)"),
        )
        if st.form_submit_button("Log the meeting", icon=":material/save:"):
            problems = ui.attempt(review.add_meeting, ds_id, when, roles, decisions, linked)
            for problem in [] if problems is ui.FAILED else problems:
                st.error(ui.escape_markdown(problem), icon=":material/error:")
            if not problems:
                st.toast("Meeting logged")
    logged = review.meetings(ui.workspace(), ui.actor(), ds_id)
    logged["date"] = pd.to_datetime(logged["date"])  # drawn as '3 Dec 2026', not ISO
    ui.table_view(logged)
    meeting_correction(ds_id, names, logged)


def page() -> None:
    """The whole Review page for staff (partners get `partner.page("review")`)."""
    ui.page_header("review")
    ds, ds_id = ui.current_dataset()
    values = ui.workspace_settings()
    outcomes = metrics.available_outcomes(ds.calls) if ds.calls is not None else []
    labels = {o.key: o.label for o in outcomes}
    with st.container(border=True):
        left, right = st.columns(2)
        with left:
            programme_start(ds_id, values)
        # The key, kept in the session: the meeting pack draws the same chart (`ui.pack`).
        chosen = right.selectbox(
            "Outcome for the control chart",
            list(labels) or ["—"],
            format_func=lambda key: labels.get(key, key),
            key="control_outcome",
        )
        targets_editor(ds_id, values, outcomes)
        milestones_editor(ds_id, values)
        split = split_choice(values)
    targets = tuple(sorted((values.get("targets") or {}).items()))
    outcome = chosen if chosen in labels else None
    ui.render(ui.view("review", outcome_key=outcome, targets=targets, split=split))
    st.divider()
    pack.meeting_pack_downloads()
    st.divider()
    actions = action_tracker(ds_id)
    if ui.can("edit"):  # also in meeting mode: the meeting is where it is recorded
        st.divider()
        meeting_log(ds_id, actions)
    if not ui.meeting_mode():
        st.divider()
        ui.checklist_section(6)


# --- the same editors as plain tables and forms (keyboard and screen reader) ------------

FORM_NOTE = "The same as a plain table and a form, for the keyboard and screen readers:"


def targets_form(ds_id: str, saved: dict, outcomes: list, base) -> None:
    """Each outcome's target as a row: change it, or clear it (no target)."""
    frame = pd.DataFrame(
        {
            "key": [o.key for o in outcomes],
            "outcome": [o.label for o in outcomes],
            "target": [100 * saved[o.key] if o.key in saved else None for o in outcomes],
        }
    )
    st.markdown(f"**{ui.escape_markdown(FORM_NOTE)}**")
    plain.said("targets-plain")
    plain.table(frame, {"outcome": "Outcome", "target": "Target (%)"}, "Targets")
    if read_only() or frame.empty:
        return
    limits = {"min_value": 0.0, "max_value": 100.0, "step": 0.5}
    fields = [plain.Field("target", "Target (%)", "number", limits=limits)]
    action = plain.row_form(
        "targets-plain", frame, fields, lambda r: str(r["outcome"]), "target", add=False
    )
    if action is None:
        return
    # Removing a target keeps the outcome's row, without a target.
    cleared = plain.Action("save", action.row, {"target": None})
    changed = plain.apply(frame, action if action.verb == "save" else cleared)
    targets = {
        k: float(t) / 100
        for k, t in zip(changed["key"], changed["target"], strict=True)
        if t is not None and pd.notna(t)
    }
    if ui.done(settings.set_targets, ds_id, targets, based_on=base):
        ui.forget_base(ds_id, "targets")
        plain.said("targets-plain", "Target saved." if action.verb == "save" else "Target cleared.")
        st.rerun()


def milestones_form(ds_id: str, values: dict, base) -> None:
    frame = stored.milestones_frame(values)
    st.markdown(f"**{ui.escape_markdown(FORM_NOTE)}**")
    plain.said("milestones-plain")
    plain.table(frame, {"date": "Date", "label": "What happened"}, "Milestones")
    if read_only():
        return
    fields = [
        plain.Field("date", "Date", "date"),
        plain.Field("label", "What happened", limits={"max_chars": stored.MAX_LABEL}),
    ]
    action = plain.row_form(
        "milestones-plain",
        frame,
        fields,
        lambda r: f"{pd.Timestamp(r['date']):%d %b %Y}: {r['label']}",
        "milestone",
    )
    if action is None:
        return
    problems = ui.attempt(settings.set_milestones, ds_id, plain.apply(frame, action), based_on=base)
    if problems is ui.FAILED:
        return
    for problem in problems:
        st.error(ui.escape_markdown(problem), icon=":material/error:")
    if not problems:
        ui.forget_base(ds_id, "milestones")
        if action.verb == "remove":
            plain.forget("milestones-plain")
        plain.said(
            "milestones-plain", f"Milestone {'removed' if action.verb == 'remove' else 'saved'}."
        )
        st.rerun()


ACTION_FIELDS = [
    plain.Field("recommendation", "Recommendation", "long"),
    plain.Field("owner", "Owner"),
    plain.Field("due", "Due", "date", limits={"min_value": review.EARLIEST_DUE}),
    plain.Field("status", "Status", "choice", tuple(stored.ACTION_STATUSES)),
    plain.Field(
        "shared",
        "Shared with partners",
        "flag",
        help="Partners see this row once the partner release is published.",
    ),
]


def actions_form(ds_id: str, saved: pd.DataFrame) -> None:
    """The tracker as saved, one action at a time: add, change or remove it. Saved at once
    through the same use case as the grid, merged against the tracker as read here. Open
    in meeting mode, where the grid is read-only: an action agreed is recorded there."""
    title = "Actions as a plain table and a form (keyboard and screen reader)"
    if ui.meeting_mode():
        title = "Record an action agreed in this meeting"
    with st.expander(title, expanded=ui.meeting_mode()):
        plain.said("actions-plain")
        headings = {"recommendation": "Recommendation", "owner": "Owner", "due": "Due"}
        headings |= {"status": "Status", "shared": "Shared with partners"}
        plain.table(saved, headings, "Actions")
        if not ui.can("edit"):  # in meeting mode too: actions are agreed in the meeting
            return
        action = plain.row_form(
            "actions-plain",
            saved,
            ACTION_FIELDS,
            lambda r: str(r["recommendation"] or "(no text)")[:80],
            "action",
        )
        if action is None:
            return
        entries = ui.attempt(review.save_actions, ds_id, plain.apply(saved, action), based_on=saved)
        if entries is ui.FAILED:
            return
        _restart_tracker()  # the grid reads the tracker again
        if action.verb == "remove":
            plain.forget("actions-plain")
        word = {"remove": "removed", "save": "added" if action.row is None else "saved"}
        plain.said("actions-plain", f"Action {word[action.verb]}.")
        st.rerun()


def meeting_correction(ds_id: str, names: dict, logged: pd.DataFrame) -> None:
    """The log as a plain table, and a meeting already logged corrected: its date, who
    attended, the decisions and the linked actions."""
    kept = review.meeting_records(ui.workspace(), ui.actor(), ds_id)
    if not kept:
        return
    frame = pd.DataFrame(kept)
    title = "Meetings as a plain table, and corrections (keyboard and screen reader)"
    with st.expander(title, icon=":material/edit:"):
        plain.said("meeting-fix")
        headings = {"date": "Date", "attended": "Attended", "decisions": "Decisions"}
        plain.table(logged, headings | {"linked actions": "Linked actions"}, "Meetings")
        fields = [
            plain.Field("date", "Meeting date", "date", limits={"max_value": date.today()}),
            plain.Field("attendees", "Who attended (by role)", "many", tuple(review.MEETING_ROLES)),
            plain.Field("decisions", "Decisions (one a line)", "long"),
            plain.Field(
                "actions",
                "Linked actions",
                "many",
                tuple(names),
                show=lambda i: str(names.get(i) or "(no text)"),
            ),
        ]
        action = plain.row_form(
            "meeting-fix",
            frame,
            fields,
            lambda r: f"{pd.Timestamp(r['date']):%d %b %Y}: {str(r['decisions'])[:60]}",
            "meeting",
            add=False,
            remove=False,
        )
        if action is None:
            return
        old, new = frame.iloc[action.row], action.values
        problems = ui.attempt(
            review.update_meeting,
            ds_id,
            old["id"],
            new["date"] or date.today(),
            new["attendees"],
            new["decisions"],
            new["actions"],
            based_on=int(old["version"]),
        )
        for problem in [] if problems is ui.FAILED else problems:
            st.error(ui.escape_markdown(problem), icon=":material/error:")
        if problems is not ui.FAILED and not problems:
            plain.said("meeting-fix", "Meeting corrected.")
            st.rerun()
