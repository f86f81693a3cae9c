"""The partner view in Streamlit: pages drawn from the partner release only.

`main()` is the whole app for a partner server (`PMHC_AUDIENCE=partner`, and any link that
should show what partners see): it reads the published release and nothing else — no
dataset, no incident table, no workspace settings. Analysts see the same pages in the
preview (the sidebar's "Partner view" toggle), drawn from a draft release of the current
dataset, and publish it with "Publish for partners"."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pmhc.analysis.release import ALL_DISTRICTS, WHOLE_PERIOD
from pmhc.application import figures, partners
from pmhc.domain.untrusted import escape_markdown
from pmhc.present import partner as pv
from pmhc.present.guidance import PAGE_BY_KEY, PAGES
from pmhc.present.labels import moment_words
from pmhc.storage import dataset, releases
from pmhc.storage.workspace import Workspace
from pmhc.ui import components as ui
from pmhc.ui import navigation

SELECTION_KEYS = ("partner_district", "partner_period")


# --- which release ---------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _published(folder: str, version: str) -> releases.Release | None:
    return partners.published(Workspace(Path(folder)), ui.actor())


def published() -> releases.Release | None:
    """The release partners see now; None when nothing is published."""
    ws = ui.workspace()
    version, _ = partners.published_version(ws, ui.actor())
    return _published(str(ws.folder), version) if version else None


@st.cache_resource(max_entries=4, show_spinner="Building the partner release…")
def _draft(folder: str, ds_id: str, key: tuple[str, ...]) -> tuple[releases.Release, str]:
    """Built once per dataset, settings, answers, actions and release history."""
    ds, _ = ui.current_dataset()
    return figures.draft_release(Workspace(Path(folder)), ds, ds_id)


def _cached(ws: Workspace, ds: dataset.Dataset, ds_id: str) -> tuple[releases.Release, str]:
    return _draft(str(ws.folder), ds_id, figures.draft_key(ws, ds_id))


def _current_draft() -> tuple[releases.Release, str]:
    ds, ds_id = ui.current_dataset()
    return partners.draft(ui.workspace(), ui.actor(), ds, ds_id, builder=_cached)


def draft() -> releases.Release:
    """What publishing now would give partners: the current dataset's release, as a
    revision when it cannot continue the history (`needs_revision`)."""
    return _current_draft()[0]


def needs_revision() -> str:
    """Why the current data cannot continue the partners' release history ('' if it can):
    other outcome columns than the releases partners already have."""
    return _current_draft()[1]


def session_release() -> releases.Release | None:
    """A partner server shows the published release; an analyst's preview the draft."""
    if ui.locked_partner():
        return published()
    return draft()  # the preview of what publishing would give


# --- frame -----------------------------------------------------------------------------


def sidebar(release: releases.Release | None) -> pv.Selection:
    """The choices partners have: one district or all, one year or the whole period."""
    if release is None:
        return pv.Selection()
    rel = pv.Released(release)
    if not rel.has_calls:
        return pv.Selection()
    st.sidebar.markdown("**Filters**")
    district = st.sidebar.selectbox(
        "District", [ALL_DISTRICTS, *rel.districts()], key="partner_district"
    )
    period = st.sidebar.selectbox("Period", [WHOLE_PERIOD, *rel.years()], key="partner_period")
    sel = pv.Selection(district, period)
    st.session_state["partner_selection"] = sel
    return sel


def main() -> None:
    """The partner app: sidebar, navigation and the page, from the published release."""
    release = published()
    ui.print_styles()  # the same page styles as the internal pages (cards, phone titles)
    with st.sidebar:
        st.markdown("### PMHC Dashboard")
        st.caption(":material/lock: Partner view: small counts are hidden.")
        top = st.container(key="page_links")  # the page links before the filters
    sidebar(release)
    pages = {
        p.key: st.Page(
            f"app_pages/{p.key}.py", title=p.nav, icon=p.icon, default=p.key == "overview"
        )
        for p in PAGES
    }
    navigation.run(
        {
            "Start": [pages["overview"]],
            "The six questions": [
                pages[k]
                for k in ("leadership", "policies", "training", "services", "outcomes", "review")
            ],
        },
        where=top,
    ).run()


def published_when(record: dict | None) -> str:
    """When the release partners see was published, in words ('3 Dec 2026, 10:42 UTC')."""
    when = moment_words(record.get("published_at")) if record else ""
    return f"{when} UTC" if when else "at an unknown time"


def publish_control(key: str) -> None:
    """Publish the draft for partners, with where the published release stands."""
    current, record = partners.published_version(ui.workspace(), ui.actor())
    # Nothing published: no history to continue and nothing to compare, so the draft (an
    # audited build, seconds on a large dataset) waits for the preview or the publish.
    why = needs_revision() if current is not None else ""
    if why:  # one sentence, and publishing only as a revision
        st.warning(escape_markdown(why), icon=":material/history:")
    if current is None:
        st.caption("Nothing is published for partners yet.")
    elif current == draft().fingerprint():
        when = published_when(record)
        st.caption(f"Partners see this preview (published {escape_markdown(when)}).")
    else:
        st.caption(
            ":material/warning: Partners see an older release "
            f"(published {escape_markdown(published_when(record))})."
        )
    if not ui.can("edit"):  # viewers see where the release stands, analysts publish
        return
    label = "Publish a revision for partners" if why else "Publish for partners"
    if st.button(label, key=f"publish-{key}", icon=":material/publish:"):
        ds, ds_id = ui.current_dataset()
        if ui.attempt(partners.publish, ds_id, revise=bool(why), ds=ds) is not ui.FAILED:
            st.toast("Published: partners now see this preview.")
            st.rerun()


# --- pages -----------------------------------------------------------------------------


def page(key: str, **options) -> None:
    """One partner page: header, figures and charts, then what the analyst shared."""
    release = session_release()
    text = PAGE_BY_KEY[key]
    prefix = f"Question {text.question} · " if text.question else ""
    st.title(escape_markdown(f"{prefix}{text.title}"))
    if release is None:
        st.caption("Partner view")
        st.info("Nothing is published for partners yet.", icon=":material/hourglass_empty:")
        return
    rel = pv.Released(release)
    sel = st.session_state.get("partner_selection", pv.Selection())
    header_caption(rel, sel)
    if key == "overview":  # the plain-language summary first, from the figures shown
        short = pv.summary(pv.overview(rel, sel), rel, sel)
        if short:
            st.markdown(f"**In short.** {escape_markdown(short)}")
    st.info(f"**What good looks like.** {escape_markdown(text.good)}", icon=":material/lightbulb:")
    about_data(rel, sel, key)
    if key == "review" and rel.meta.get("outcomes"):
        labels = {o["key"]: o["label"] for o in rel.meta["outcomes"]}
        options["outcome_key"] = st.selectbox(
            "Outcome for the control chart",
            list(labels),
            format_func=lambda key: labels.get(key, key),
            key="p_control",  # the key: the partner pack draws the same chart
        )
    view = pv.PAGES[key](rel, sel, **options)
    if not (view.figures or view.charts or view.tables or view.notes):
        view.notes.append("The partner release holds no figures for this page.")
    ui.render(view)
    if key == "review":
        actions(release)
    if text.question:
        st.divider()
        answers(rel, text.question)


def header_caption(rel: pv.Released, sel: pv.Selection) -> None:
    span = pv.period_words(rel, sel) if rel.has_calls else ""
    agency = rel.meta.get("agency") or "Published for partners"
    st.caption(
        f"**{escape_markdown(agency)}**"
        + (f" · calls from {escape_markdown(span)}" if span else "")
        + f" · partner view: counts of {int(rel.threshold):d} or fewer are hidden, with "
        "figures that would narrow them down; a figure that changed by "
        f"{int(rel.threshold):d} or fewer since an earlier release keeps the value shown then"
    )


def about_data(rel: pv.Released, sel: pv.Selection, key: str) -> None:
    """Where the data end, and which measures this agency's data can and cannot show: on
    the overview in full, on the other pages what is missing in a line."""
    shown, missing = pv.measures(rel)
    note = pv.data_end_note(rel, sel)
    lines = [("Where the data end.", note)] if note else []
    if key == "overview":
        lines.append(("This agency's data can show:", "; ".join(shown) or "nothing yet"))
    if missing:
        lines.append(("Not in this agency's data:", "; ".join(missing)))
    st.markdown(
        "  \n".join(f"**{escape_markdown(lead)}** {escape_markdown(text)}" for lead, text in lines)
    )


def actions(release: releases.Release) -> None:
    table = release.tables.get("actions")
    st.subheader("Action tracker")
    if table is None or table.empty:
        st.caption("No actions are shared with partners.")
        return
    st.dataframe(
        table, hide_index=True, column_config=ui.column_config(table), placeholder=ui.MISSING
    )


def answers(rel: pv.Released, number: int) -> None:
    q = next((q for q in rel.meta.get("checklist", []) if q["number"] == number), None)
    st.subheader("Self-assessment")
    if q is None:
        return
    if q["score"] is not None:
        st.caption(f"Score {q['score']:.0%} over {q['answered']:d} of {len(q['items']):d} items")
    for item in q["items"]:
        # Shared text is the analyst's: shown as text, never as markdown or HTML.
        st.markdown(
            f"**{escape_markdown(item['id'])}** {escape_markdown(item['text'])} — "
            f"{escape_markdown(item['answer'] or 'not answered')}"
            + (f"  \n{escape_markdown(item['note'])}" if item["note"] else "")
        )
