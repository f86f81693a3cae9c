"""The Access & audit page (administrators): the audit log, and partner links to create
and revoke. The use cases check the role; this module only lays them out."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from pmhc.application import partners, report
from pmhc.present import labels
from pmhc.ui import components as ui


def page() -> None:
    st.title("Access & audit")
    if not ui.can("admin"):  # not in the menu for others; a typed URL gets this
        st.info("This page is for the dashboard's administrators.")
        return
    audit_log()
    links()


def audit_log() -> None:
    st.header("Audit log")
    st.caption(
        "Sign-ins, uploads, partner links, and edits of rules, settings, answers and actions: "
        "who, when (UTC) and what (ids and counts, never the data itself). Newest first; "
        "the export keeps the exact time stamps."
    )
    log = report.audit_entries(ui.workspace(), ui.actor())
    st.dataframe(audit_in_words(log.head(500)), hide_index=True)
    st.download_button(
        "Export the audit log (CSV)",
        functools.partial(report.export_audit, ui.workspace(), ui.actor()),  # audited when clicked
        file_name="pmhc_audit_log.csv",
        mime="text/csv",
        key="export-audit",
    )


def audit_in_words(log: pd.DataFrame) -> pd.DataFrame:
    """The log as people read it: '3 Dec 2026, 10:42', not '2026-12-03T10:42:00+00:00';
    details as words, not JSON."""
    return pd.DataFrame(
        {
            "When (UTC)": log["at"].map(labels.moment_words),
            "Who": log["who"],
            "Role": log["role"].map(labels.words),
            "What": log["action"],
            "Details": log["details"].map(labels.details_words),
        }
    )


def links() -> None:
    st.header("Partner links")
    st.caption(
        "A partner link opens the partner view (small counts hidden) with no account, and "
        "nothing else. Only a fingerprint of each link is kept: copy a new link when it is "
        "shown, it cannot be shown again."
    )
    listed = partners.links(ui.workspace(), ui.actor())
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Link": s.id,
                    "For": s.label,
                    "Status": labels.words(s.status()),
                    "Expires": labels.moment_words(s.expires).split(",")[0],
                }
                for s in listed
            ],
            columns=["Link", "For", "Status", "Expires"],
        ),
        hide_index=True,
    )
    with st.form("new-share"):
        label = st.text_input("Who is it for?", placeholder="e.g. County crisis line partners")
        days = st.number_input(
            "Valid for (days)", min_value=1, max_value=partners.MAX_DAYS, value=90
        )
        if st.form_submit_button("Create a partner link", icon=":material/link:"):
            made = ui.attempt(partners.create_link, label, int(days))
            if made is not ui.FAILED:
                st.success("Link created. Copy it now; it will not be shown again.")
                st.code(f"?share={made[0]}", language=None)
    active = [s for s in listed if s.status() == "active"]
    if active:
        with st.form("revoke-share"):
            chosen = st.selectbox(
                "Revoke a link",
                [s.id for s in active],
                format_func=lambda i: i + " · " + next(s.label for s in active if s.id == i),
            )
            if st.form_submit_button("Revoke", icon=":material/link_off:") and ui.done(
                partners.revoke_link, chosen
            ):
                st.rerun()
