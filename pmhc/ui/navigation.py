"""The sidebar's page links, drawn by the app: Streamlit's own sidebar navigation puts its
section headings as `div`s inside the `ul` of links (axe-core: `list` and `listitem`,
WCAG 1.3.1), which a screen reader announces as a broken list. Each section here is a
heading and plain links; `st.navigation` then runs the page with its own menu hidden."""

from __future__ import annotations

import streamlit as st


def sidebar_links(sections: dict[str, list]) -> None:
    """A heading per section and a link per page, in the sidebar."""
    with st.sidebar:
        for heading, pages in sections.items():
            st.markdown(f"**{heading}**")
            for page in pages:
                st.page_link(page)


def run(sections: dict[str, list], position: str = "sidebar"):
    """`st.navigation` over the sections; in the sidebar with the app's own links."""
    if position != "sidebar":
        return st.navigation(sections, position=position)
    sidebar_links(sections)
    return st.navigation(sections, position="hidden")
