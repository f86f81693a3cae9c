"""Access & audit (admins only): the audit log, and partner links to create and revoke."""

import pandas as pd
import streamlit as st

from pmhc.domain.errors import InputError
from pmhc.present import excel as reports
from pmhc.storage import audit, shares
from pmhc.ui import components as ui

if not ui.can("admin"):  # the page is not in the menu for others; a typed URL gets this
    st.title("Access & audit")
    st.info("This page is for the dashboard's administrators.")
    st.stop()

ws = ui.workspace()
st.title("Access & audit")

st.header("Audit log")
st.caption(
    "Sign-ins, uploads, partner links, and edits of rules, settings, answers and actions: "
    "who, when and what (ids and counts, never the data itself). Newest first."
)
log = audit.frame(audit.read(ws.folder))
st.dataframe(log.head(500), hide_index=True)


def export_log() -> bytes:
    ui.record("audit-export", entries=len(log))
    return reports.csv_bytes(log)


st.download_button(
    "Export the audit log (CSV)",
    export_log,
    file_name="pmhc_audit_log.csv",
    mime="text/csv",
    key="export-audit",
)

st.header("Partner links")
st.caption(
    "A partner link opens the partner view (small counts hidden) with no account, and "
    "nothing else. Only a fingerprint of each link is kept: copy a new link when it is "
    "shown, it cannot be shown again."
)
listed = shares.load(ws.folder)
st.dataframe(
    pd.DataFrame(
        [
            {"id": s.id, "label": s.label, "status": s.status(), "expires": s.expires[:10]}
            for s in listed
        ],
        columns=["id", "label", "status", "expires"],
    ),
    hide_index=True,
)
with st.form("new-share"):
    label = st.text_input("Who is it for?", placeholder="e.g. County crisis line partners")
    days = st.number_input("Valid for (days)", min_value=1, max_value=shares.MAX_DAYS, value=90)
    if st.form_submit_button("Create a partner link", icon=":material/link:"):
        try:
            token, share = shares.create(ws.folder, label, int(days))
            ui.record("share-create", link=share.id, days=int(days))
            st.success("Link created. Copy it now; it will not be shown again.")
            st.code(f"?share={token}", language=None)
        except InputError as e:
            st.error(ui.escape_markdown(str(e), 500))
active = [s for s in listed if s.status() == "active"]
if active:
    with st.form("revoke-share"):
        chosen = st.selectbox(
            "Revoke a link",
            [s.id for s in active],
            format_func=lambda i: i + " · " + next(s.label for s in active if s.id == i),
        )
        if st.form_submit_button("Revoke", icon=":material/link_off:"):
            shares.revoke(ws.folder, chosen)
            ui.record("share-revoke", link=chosen)
            st.rerun()
