"""Overview: the headline outcomes, and where each of the six questions stands."""

import streamlit as st

from pmhc.domain import checklist
from pmhc.present.guidance import PAGES
from pmhc.storage import answers as answer_store
from pmhc.ui import components as ui
from pmhc.ui import partner

if ui.audience() == "partner":
    partner.page("overview")
    st.stop()

ui.page_header("overview")
ui.render(ui.view("overview"))

st.header("The six questions")
answers = answer_store.load_answers(ui.answers_path())
columns = st.columns(3)
for i, page in enumerate(p for p in PAGES if p.question):
    if page.question is None:  # the filter above: for the type checker
        continue
    score, answered = checklist.score(checklist.QUESTION_BY_NUMBER[page.question], answers)
    with columns[i % 3], st.container(border=True):
        st.markdown(f"**{page.question:d}\\. {ui.escape_markdown(page.title)}**")
        st.caption(
            "Self-assessment not started"
            if score is None
            else f"Self-assessment {score:.0%} ({answered:d} items answered)"
        )
        st.page_link(
            f"app_pages/{page.key}.py", label=f"Open {page.nav.split('· ')[-1]}", icon=page.icon
        )
