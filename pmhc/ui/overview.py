"""The Overview for staff: the headline outcomes, and where each of the six questions'
self-assessment stands."""

from __future__ import annotations

import streamlit as st

from pmhc.application import review
from pmhc.domain import checklist
from pmhc.present.guidance import PAGES
from pmhc.ui import components as ui


def page() -> None:
    ui.page_header("overview")
    ui.render(ui.view("overview"))
    st.header("The six questions")
    answers = review.answers(ui.workspace(), ui.actor())
    columns = st.columns(3)
    for i, text in enumerate(p for p in PAGES if p.question):
        if text.question is None:  # the filter above: for the type checker
            continue
        score, answered = checklist.score(checklist.QUESTION_BY_NUMBER[text.question], answers)
        with columns[i % 3], st.container(border=True):
            st.markdown(f"**{text.question:d}\\. {ui.escape_markdown(text.title)}**")
            st.caption(
                "Self-assessment not started"
                if score is None
                else f"Self-assessment {score:.0%} ({answered:d} items answered)"
            )
            st.page_link(
                f"app_pages/{text.key}.py",
                label=f"Open {text.nav.split('· ')[-1]}",
                icon=text.icon,
            )
