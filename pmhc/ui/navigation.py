"""The sidebar's page links, drawn by the app: Streamlit's own sidebar navigation puts its
section headings as `div`s inside the `ul` of links (axe-core: `list` and `listitem`,
WCAG 1.3.1), which a screen reader announces as a broken list. Each section here is a
heading and plain links; `st.navigation` then runs the page with its own menu hidden."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from pmhc.domain.untrusted import escape_markdown


def sidebar_links(sections: dict[str, list], where=None) -> None:
    """A heading per section and a link per page, in `where` (a sidebar container made
    before the rest of the sidebar, so the links come first), else the sidebar."""
    with where if where is not None else st.sidebar:
        for heading, pages in sections.items():
            st.markdown(f"**{escape_markdown(heading)}**")
            for page in pages:
                st.page_link(page)


def run(sections: dict[str, list], position: Literal["sidebar", "top"] = "sidebar", where=None):
    """`st.navigation` over the sections; in the sidebar with the app's own links, drawn in
    `where` when given."""
    if position != "sidebar":
        return st.navigation(sections, position=position)
    sidebar_links(sections, where)
    return st.navigation(sections, position="hidden")
