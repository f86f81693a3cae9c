"""PMHC Dashboard: the router and frame. Run with `streamlit run app.py`."""

import logging
import os
from pathlib import Path

import streamlit as st

from pmhc.present.guidance import PAGES
from pmhc.ui import auth, partner
from pmhc.ui import components as ui
from pmhc.ui import navigation as links

# The app's workspace is data/ beside app.py wherever the server is started from (the CLI's
# default is data/ in the current folder); PMHC_DATA_DIR overrides both.
os.environ.setdefault("PMHC_DATA_DIR", str(Path(__file__).resolve().parent / "data"))

st.set_page_config(page_title="PMHC Dashboard", page_icon=ui.ICON, layout="wide")
ui.new_run()
ui.private_workspace()

visitor = auth.gate()  # stops here, showing no data, for anyone not let in
if ui.locked_partner():  # a partner link or a partner server: the published release only
    partner.main()
    st.stop()

ds, ds_id = ui.current_dataset()
ui.print_styles()
ui.meeting_styles()

QUESTIONS = ("leadership", "policies", "training", "services", "outcomes", "review")
pages = {
    p.key: st.Page(f"app_pages/{p.key}.py", title=p.nav, icon=p.icon, default=p.key == "overview")
    for p in PAGES
}


def internal_navigation():
    with st.sidebar:
        st.markdown("**PMHC Dashboard**")
        top = st.container(key="page_links")  # the page links, drawn once pages are known
        if ds.is_sample:
            st.caption(
                ":material/science: **Sample data** · a fictional agency. Upload your own "
                "exports on the Data page."
            )
        else:
            st.caption(f":material/folder_open: **{ui.escape_markdown(ui.dataset_name())}**")
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
        auth.sidebar_identity(visitor)
    if ui.audience() == "partner":
        partner.sidebar(partner.session_release())
    else:
        st.session_state["filters"] = ui.sidebar_filters(ds, ds_id)
    data_page = st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:")
    admin = st.Page("app_pages/admin.py", title="Access & audit", icon=":material/shield_person:")
    start = [pages["overview"], data_page] + ([admin] if ui.can("admin") else [])
    sections = {"Start": start, "The six questions": [pages[k] for k in QUESTIONS]}
    # In meeting mode the sidebar is hidden (the projector gets the width): pages at the top.
    return links.run(sections, "top" if ui.meeting_mode() else "sidebar", top)


navigation = internal_navigation()
try:
    navigation.run()
except ui.InputError as error:  # a use case's refusal or a bad input: its sentence
    ui.say(error)
except Exception as error:  # one friendly sentence, details in the server log
    logging.getLogger("pmhc").exception("page failed")
    ui.record("error", page=navigation.url_path or "overview", kind=type(error).__name__)
    st.error(
        "Something went wrong while drawing this page. It has been logged; try another "
        "page or reload, and tell the dashboard's administrator if it happens again.",
        icon=":material/error:",
    )
