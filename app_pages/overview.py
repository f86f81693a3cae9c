import streamlit as st

from pmhc import ui
from pmhc.guidance import PAGES

ui.page_header("overview")
ui.render(ui.view("overview"))

st.subheader("The six questions")
columns = st.columns(3)
for i, page in enumerate(p for p in PAGES if p.question):
    with columns[i % 3], st.container(border=True):
        st.markdown(f"**{page.question}. {page.title}**")
        st.page_link(
            f"app_pages/{page.key}.py", label=f"Open {page.nav.split('· ')[-1]}", icon=page.icon
        )
