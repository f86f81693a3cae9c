"""PMHC Dashboard: the router and frame. Run with `streamlit run app.py`."""

import os
from pathlib import Path

import streamlit as st

from pmhc.present.guidance import PAGES
from pmhc.ui import components as ui
from pmhc.ui import partner

# The app's workspace is data/ beside app.py wherever the server is started from (the CLI's
# default is data/ in the current folder); PMHC_DATA_DIR overrides both.
os.environ.setdefault("PMHC_DATA_DIR", str(Path(__file__).resolve().parent / "data"))

st.set_page_config(page_title="PMHC Dashboard", page_icon=":material/diversity_3:", layout="wide")

if ui.locked_partner():  # a partner server: the published release and nothing else
    partner.main()
    st.stop()

ds, ds_id = ui.current_dataset()
ui.print_styles()
ui.meeting_styles()

with st.sidebar:
    st.markdown("**PMHC Dashboard**")
    if ds.is_sample:
        st.caption(
            ":material/science: **Sample data** · a fictional agency. Upload your own "
            "exports on the Data page."
        )
    else:
        st.caption(f":material/folder_open: **{ds.label}**")
    st.toggle(
        "Meeting mode",
        key="meeting_mode",
        help="Larger type, no editing, and two districts or two periods side by side.",
    )
    st.toggle(
        "Partner view",
        key="partner_preview",
        help="Preview what community partners see: the partner release of this dataset, "
        "with small counts hidden and no record-level tables.",
    )
    if ui.audience() == "partner":
        partner.publish_control("sidebar")

if ui.audience() == "partner":
    partner.sidebar(partner.draft())
else:
    st.session_state["filters"] = ui.sidebar_filters(ds, ds_id)

pages = {
    p.key: st.Page(f"app_pages/{p.key}.py", title=p.nav, icon=p.icon, default=p.key == "overview")
    for p in PAGES
}
data_page = st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:")
start = [pages["overview"]] if ui.audience() == "partner" else [pages["overview"], data_page]
navigation = st.navigation(
    {
        "Start": start,
        "The six questions": [
            pages[k]
            for k in ("leadership", "policies", "training", "services", "outcomes", "review")
        ],
    }
)
navigation.run()
