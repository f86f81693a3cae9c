import streamlit as st

from pmhc import metrics, settings, ui

ui.page_header("review")
ws = ui.workspace()
values = ui.workspace_settings()
ds, _ = ui.current_dataset()

with st.container(border=True):
    left, right = st.columns(2)
    current = values.get("programme_start")
    picked = left.date_input(
        "Programme start (baseline ends the day before)",
        value=settings.programme_start(values),
        format="DD/MM/YYYY",
        disabled=ui.audience() == "partner",
        key="programme_start_input",
    )
    if picked and (current is None or picked.isoformat() != current):
        settings.save_settings(ws.folder, programme_start=picked.isoformat())
        st.rerun()
    outcomes = metrics.available_outcomes(ds.calls) if ds.calls is not None else []
    labels = {o.label: o.key for o in outcomes}
    chosen = right.selectbox(
        "Outcome for the control chart", list(labels) or ["—"], key="control_outcome"
    )

v = ui.view("review", outcome_key=labels.get(chosen, "connection"))
ui.render(v)

st.divider()
st.subheader("Action tracker")
st.caption("Recommendations from reviews, with an owner, a due date and a status.")
actions = settings.load_actions(ws.folder)
edited = st.data_editor(
    actions,
    num_rows="dynamic",
    hide_index=True,
    key="actions",
    disabled=ui.audience() == "partner",
    column_config={
        "recommendation": st.column_config.TextColumn("Recommendation", width="large"),
        "owner": st.column_config.TextColumn("Owner"),
        "due": st.column_config.DateColumn("Due", format="DD/MM/YYYY"),
        "status": st.column_config.SelectboxColumn("Status", options=settings.ACTION_STATUSES),
    },
)
if ui.audience() != "partner" and st.button("Save actions", icon=":material/save:"):
    settings.save_actions(ws.folder, edited)
    st.toast("Actions saved")

st.divider()
ui.checklist_section(6)
